"""Hand-ins of learners and the grades coaches give them."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, UTCDateTime, utcnow
from .course import Assignment
from .training_session import TrainingSession
from .user import User


class Submission(Base):
    __tablename__ = "submission"
    __table_args__ = (
        # Leading session_id serves the grading grid of a session.
        UniqueConstraint("session_id", "assignment_id", "user_id"),
        # Learner -> submissions, and a learner's work in one session: what the to-grade
        # triggers of an enrolment read (models/to_grade_count.py); the unique key above
        # would scan all of a big session's hand-ins for each learner.
        Index("ix_submission_user_id_session_id", "user_id", "session_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("training_session.id", ondelete="CASCADE")
    )
    assignment_id: Mapped[int] = mapped_column(
        ForeignKey("assignment.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    answer: Mapped[str] = mapped_column(Text, default="")
    # Optional attached file, stored outside static/ under a random name.
    file_name: Mapped[str | None] = mapped_column(String(255))
    file_key: Mapped[str | None] = mapped_column(String(64))
    file_size: Mapped[int | None] = mapped_column(Integer)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    session: Mapped[TrainingSession] = relationship()
    assignment: Mapped[Assignment] = relationship()
    user: Mapped[User] = relationship()
    grade: Mapped["Grade | None"] = relationship(
        back_populates="submission", cascade="all, delete-orphan", passive_deletes=True
    )


class Grade(Base):
    __tablename__ = "grade"

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(
        ForeignKey("submission.id", ondelete="CASCADE"), unique=True
    )
    score: Mapped[float] = mapped_column(Numeric(7, 2, asdecimal=False))
    feedback: Mapped[str] = mapped_column(Text, default="")
    grader_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), index=True
    )
    graded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    submission: Mapped[Submission] = relationship(back_populates="grade")
    grader: Mapped[User | None] = relationship()
