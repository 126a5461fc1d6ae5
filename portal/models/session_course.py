"""Courses inside a session, in order, and their course coaches."""

from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    ForeignKeyConstraint,
    Integer,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, UTCDateTime
from .course import Assignment, Course
from .training_session import TrainingSession
from .user import User


class SessionCourse(Base):
    __tablename__ = "session_course"
    __table_args__ = (UniqueConstraint("session_id", "course_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("training_session.id", ondelete="CASCADE")
    )
    # Course -> sessions using it (deletion checks, copies).
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    # Hand-ins waiting for a grade here (handed in, ungraded, learner enrolled): kept
    # exact by the database's triggers (models/to_grade_count.py), never written by the
    # application. The coach's list and the grading pages read it instead of probing
    # every submission. On this row, not a table of its own: it lives and goes exactly
    # as the course does in the session.
    to_grade: Mapped[int] = mapped_column(Integer, server_default=text("0"))

    session: Mapped[TrainingSession] = relationship(back_populates="courses")
    course: Mapped[Course] = relationship()
    coaches: Mapped[list["SessionCourseCoach"]] = relationship(
        back_populates="session_course",
        cascade="all, delete-orphan",
        passive_deletes=True,
        overlaps="coach_links",
    )


class SessionCourseCoach(Base):
    """A course coach: teaches one course inside one session."""

    __tablename__ = "session_course_coach"
    __table_args__ = (
        ForeignKeyConstraint(
            ["session_id", "course_id"],
            ["session_course.session_id", "session_course.course_id"],
            ondelete="CASCADE",
        ),
    )

    session_id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(primary_key=True)
    # Coach -> sessions they teach in.
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), primary_key=True, index=True
    )

    session_course: Mapped[SessionCourse] = relationship(
        back_populates="coaches",
        primaryjoin="and_(SessionCourseCoach.session_id == SessionCourse.session_id,"
        " SessionCourseCoach.course_id == SessionCourse.course_id)",
        foreign_keys="[SessionCourseCoach.session_id, SessionCourseCoach.course_id]",
    )
    user: Mapped[User] = relationship()


class AssignmentDue(Base):
    """When an assignment is due in one session: a fixed moment, or N days after each
    learner's own access start (domain/due_dates.py). Kept per session course, so a
    course used in two sessions has its own due dates in each; removing the course from
    the session removes them."""

    __tablename__ = "assignment_due"
    __table_args__ = (
        ForeignKeyConstraint(
            ["session_id", "course_id"],
            ["session_course.session_id", "session_course.course_id"],
            ondelete="CASCADE",
        ),
        CheckConstraint("(due_at IS NULL) <> (due_days IS NULL)", name="fixed_or_relative"),
        CheckConstraint("due_days IS NULL OR (due_days >= 0 AND due_days <= 3650)",
                        name="due_days_range"),
    )

    session_id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(
        ForeignKey("assignment.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    course_id: Mapped[int] = mapped_column(Integer)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    due_days: Mapped[int | None] = mapped_column(Integer)

    assignment: Mapped[Assignment] = relationship()
