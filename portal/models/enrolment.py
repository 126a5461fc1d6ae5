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
        CheckConstraint("extension_days <= 3650", name="extension_at_most_ten_years"),
        # Either "+N days" or an individual window, never both (see domain/learner_dates).
        CheckConstraint("extension_days = 0 OR (own_start IS NULL AND own_end IS NULL)",
                        name="extension_or_own_window"),
        CheckConstraint("own_start IS NULL OR own_end IS NULL OR own_start < own_end",
                        name="own_window_ordered"),
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
    # Individual dates (domain/learner_dates.py): extra days on the learner's access end
    # (or on their duration in duration mode), or an individual access window whose set
    # bounds replace the session's; with the reason given, which the pages show.
    extension_days: Mapped[int] = mapped_column(Integer, default=0)
    own_start: Mapped[datetime | None] = mapped_column(UTCDateTime)
    own_end: Mapped[datetime | None] = mapped_column(UTCDateTime)
    dates_reason: Mapped[str | None] = mapped_column(String(200))
    # Suspended: the learner keeps their work but opens nothing inside the session.
    suspended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    suspension_reason: Mapped[str | None] = mapped_column(String(200))

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
