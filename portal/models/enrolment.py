"""Learners enrolled in sessions, and the classes linked to sessions."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from . import learner_count
from .base import Base, UTCDateTime, utcnow
from .training_session import TrainingSession
from .user import User
from .user_class import UserClass


class EnrolmentSource(StrEnum):
    INDIVIDUAL = "individual"
    CLASS = "class"
    IMPORT = "import"


class Enrolment(Base):
    """One learner in one session.

    ``source`` says how the enrolment first came. ``direct`` is True while the
    learner is enrolled on their own (individually or by import); a class reason
    is not stored but derived live from the linked classes, so unlinking a class
    removes exactly the enrolments nothing else holds.
    """

    __tablename__ = "enrolment"
    __table_args__ = (
        # Also serves session -> enrolments (leading column).
        UniqueConstraint("session_id", "user_id"),
        CheckConstraint("source IN ('individual', 'class', 'import')", name="source"),
        CheckConstraint("extension_days >= 0", name="extension_non_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("training_session.id", ondelete="CASCADE")
    )
    # Learner -> enrolments ("My sessions").
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    source: Mapped[str] = mapped_column(String(16), default=EnrolmentSource.INDIVIDUAL.value)
    direct: Mapped[bool] = mapped_column(Boolean, default=True)
    enrolled_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    first_access_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_access_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Duration mode: extra days granted to this learner.
    extension_days: Mapped[int] = mapped_column(Integer, default=0)

    session: Mapped[TrainingSession] = relationship()
    user: Mapped[User] = relationship()


learner_count.install(Enrolment.__table__)


class SessionClass(Base):
    """A class linked to a session: its members are enrolled while the link lasts."""

    __tablename__ = "session_class"

    session_id: Mapped[int] = mapped_column(
        ForeignKey("training_session.id", ondelete="CASCADE"), primary_key=True
    )
    # Class -> sessions, for the live link when membership changes.
    class_id: Mapped[int] = mapped_column(
        ForeignKey("user_class.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    linked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    session: Mapped[TrainingSession] = relationship()
    user_class: Mapped[UserClass] = relationship()
