"""The kinds of message a person chose not to get (from their profile or a message's
unsubscribe link): one row per user and kind; no row means they get it."""

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime


class NotificationOptOut(Base):
    __tablename__ = "notification_opt_out"

    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"),
                                         primary_key=True)
    kind: Mapped[str] = mapped_column(String(40), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
