"""Access events: who opened which session (and course) when, for tracking."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, BigId, UTCDateTime, utcnow


class AccessEvent(Base):
    __tablename__ = "access_event"
    __table_args__ = (
        # Tracking reads per session over time, and per learner inside a session.
        Index("ix_access_event_session_at", "session_id", "at"),
        Index("ix_access_event_session_user_at", "session_id", "user_id", "at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("training_session.id", ondelete="CASCADE")
    )
    course_id: Mapped[int | None] = mapped_column(ForeignKey("course.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
