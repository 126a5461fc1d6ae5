"""Training sessions: a bundle of courses, learners and coaches with three date windows."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, UTCDateTime, utcnow
from .category import SessionCategory
from .user import User


class AfterEndPolicy(StrEnum):
    """What happens once a window has ended (Chamilo's "visibility")."""

    READ_ONLY = "read_only"
    OPEN = "open"
    CLOSED = "closed"


class TrainingSession(Base):
    __tablename__ = "training_session"
    __table_args__ = (
        CheckConstraint(
            "after_end_policy IN ('read_only', 'open', 'closed')", name="after_end_policy"
        ),
        CheckConstraint("duration_days IS NULL OR duration_days > 0", name="duration_positive"),
        # Status filters and "My sessions" tabs range over these.
        Index("ix_training_session_access_window", "access_start", "access_end"),
        Index("ix_training_session_display_window", "display_start", "display_end"),
        Index("ix_training_session_coach_window", "coach_start", "coach_end"),
        Index("ix_training_session_access_end", "access_end"),
        # The lists sorted by name (admin list, API): lower(name), name, id.
        Index("ix_training_session_name_order", func.lower(text("name")), "name", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    # An external code (e.g. the training department's) that names the session across
    # imports: a sessions import finds the session by it when given, else by name.
    # A unique index (not a constraint): SQLite adds it without rebuilding the table.
    code: Mapped[str | None] = mapped_column(String(64), unique=True, index=True)
    description: Mapped[str] = mapped_column(Text, default="")
    category_id: Mapped[int | None] = mapped_column(
        ForeignKey("session_category.id", ondelete="SET NULL"), index=True
    )
    coach_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    after_end_policy: Mapped[str] = mapped_column(
        String(16), default=AfterEndPolicy.READ_ONLY.value
    )

    # Windows: start inclusive, end exclusive, None = unbounded; stored in UTC.
    display_start: Mapped[datetime | None] = mapped_column(UTCDateTime)
    display_end: Mapped[datetime | None] = mapped_column(UTCDateTime)
    access_start: Mapped[datetime | None] = mapped_column(UTCDateTime)
    access_end: Mapped[datetime | None] = mapped_column(UTCDateTime)
    coach_start: Mapped[datetime | None] = mapped_column(UTCDateTime)
    coach_end: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Duration mode: each learner gets this many days from their first access.
    duration_days: Mapped[int | None] = mapped_column(Integer)

    # Messages this session sends (off unless the admin turns them on).
    welcome_message: Mapped[bool] = mapped_column(Boolean, default=False,
                                                  server_default=text("false"))
    # Remind learners / coaches this many days (> 0, checked by the session form) before
    # their access ends; None: never.
    remind_days_before_end: Mapped[int | None] = mapped_column(Integer)
    coach_remind_days_before_end: Mapped[int | None] = mapped_column(Integer)
    grade_released_message: Mapped[bool] = mapped_column(Boolean, default=False,
                                                         server_default=text("false"))

    # Learners enrolled: kept exact by the database's triggers on enrolment
    # (models/learner_count.py), never written by the application. The admin list
    # sorts 10,000 sessions by it without counting a million enrolments.
    learner_count: Mapped[int] = mapped_column(Integer, server_default=text("0"))

    # When every learner of a fixed-date session has individual dates, the span of their
    # windows (learners_span true; a missing bound: unbounded): the admin lists' status
    # comes from it (access.admin_list_window). Kept by enrolment.refresh_learners_span.
    learners_span: Mapped[bool] = mapped_column(Boolean, default=False,
                                                server_default=text("false"))
    learners_start: Mapped[datetime | None] = mapped_column(UTCDateTime)
    learners_end: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # Optimistic locking: every UPDATE checks and bumps it.
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    category: Mapped[SessionCategory | None] = relationship()
    coach: Mapped[User] = relationship()
    courses: Mapped[list["SessionCourse"]] = relationship(  # noqa: F821
        back_populates="session",
        order_by="SessionCourse.position, SessionCourse.id",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )

    __mapper_args__ = {"version_id_col": version}

    def __repr__(self) -> str:
        return f"<TrainingSession {self.name!r}>"
