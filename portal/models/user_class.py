"""Classes: named groups of users that can be enrolled in a session at once."""

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, UTCDateTime, utcnow
from .user import User


class UserClass(Base):
    __tablename__ = "user_class"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    memberships: Mapped[list["ClassMembership"]] = relationship(
        back_populates="user_class", cascade="all, delete-orphan", passive_deletes=True
    )


class ClassMembership(Base):
    __tablename__ = "class_membership"

    class_id: Mapped[int] = mapped_column(
        ForeignKey("user_class.id", ondelete="CASCADE"), primary_key=True
    )
    # Second key column indexed on its own: user -> classes.
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user_class: Mapped[UserClass] = relationship(back_populates="memberships")
    user: Mapped[User] = relationship()
