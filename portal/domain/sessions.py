"""Creating, copying and deleting sessions, and the checks on their windows.

Plain functions over the database session; callers commit.
"""

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import delete, func, select

from ..models import (
    Enrolment,
    EnrolmentSource,
    Grade,
    SessionCourse,
    SessionCourseCoach,
    Submission,
    TrainingSession,
)
from . import enrolment

WINDOW_FIELDS = (
    ("display_start", "display_end"),
    ("access_start", "access_end"),
    ("coach_start", "coach_end"),
)


def window_order_errors(values: dict[str, datetime | None]) -> dict[str, str]:
    """An error on each end field that is not after its start."""
    errors = {}
    for start_name, end_name in WINDOW_FIELDS:
        start, end = values.get(start_name), values.get(end_name)
        if start is not None and end is not None and end <= start:
            errors[end_name] = "The end must be after the start."
    return errors


def coach_window_warning(values: dict[str, datetime | None]) -> str | None:
    """A warning when the coach window does not cover the learners' access window.

    Coaches should be able to prepare before learners arrive and follow up after
    they leave; a narrower coach window is allowed, but the admin is told.
    """
    coach_start, coach_end = values.get("coach_start"), values.get("coach_end")
    if coach_start is None and coach_end is None:
        return None  # unset: coaches use the access window
    access_start, access_end = values.get("access_start"), values.get("access_end")
    problems = []
    if coach_start is not None and (access_start is None or coach_start > access_start):
        problems.append("starts after learners can get in")
    if coach_end is not None and (access_end is None or coach_end < access_end):
        problems.append("ends before learners' access ends")
    if not problems:
        return None
    return (
        "The coach access " + " and ".join(problems) + ". Coaches usually need to prepare "
        "before learners arrive and follow up after they leave. You can save anyway."
    )


def name_taken(db, name: str, *, except_id: int | None = None) -> bool:
    stmt = select(TrainingSession.id).where(func.lower(TrainingSession.name) == name.lower())
    if except_id is not None:
        stmt = stmt.where(TrainingSession.id != except_id)
    return db.scalar(stmt.limit(1)) is not None


@dataclass
class SessionPlan:
    """Everything the create form gathered, validated, ready to be written."""

    fields: dict  # TrainingSession column values
    course_ids: list[int] = field(default_factory=list)
    course_coaches: dict[int, list[int]] = field(default_factory=dict)
    learner_ids: list[int] = field(default_factory=list)
    class_ids: list[int] = field(default_factory=list)


def create_session(db, plan: SessionPlan, now: datetime) -> TrainingSession:
    """Create the session with its courses, course coaches, learners and classes."""
    session = TrainingSession(**plan.fields, created_at=now, updated_at=now)
    db.add(session)
    db.flush()
    for position, course_id in enumerate(plan.course_ids):
        db.add(SessionCourse(session_id=session.id, course_id=course_id, position=position))
    db.flush()
    for course_id, coach_ids in plan.course_coaches.items():
        for user_id in coach_ids:
            db.add(SessionCourseCoach(session_id=session.id, course_id=course_id,
                                      user_id=user_id))
    enrolment.enrol_users(db, session.id, plan.learner_ids, EnrolmentSource.INDIVIDUAL, now)
    for class_id in plan.class_ids:
        enrolment.link_class(db, session.id, class_id, now)
    db.flush()
    return session


def copy_name(db, name: str) -> str:
    """'Copy of NAME', numbered when that is taken."""
    candidate = f"Copy of {name}"[:200]
    n = 2
    while name_taken(db, candidate):
        candidate = f"Copy of {name} ({n})"[:200]
        n += 1
    return candidate


def copy_session(db, source: TrainingSession, new_name: str, now: datetime) -> TrainingSession:
    """A new session with the same courses, course coaches, coach, category, policy and
    dates as ``source``, but no learners and no classes."""
    columns = ("description", "category_id", "coach_id", "after_end_policy", "display_start",
               "display_end", "access_start", "access_end", "coach_start", "coach_end",
               "duration_days")
    copy = TrainingSession(name=new_name, created_at=now, updated_at=now,
                           **{c: getattr(source, c) for c in columns})
    db.add(copy)
    db.flush()
    courses = db.execute(
        select(SessionCourse.course_id, SessionCourse.position)
        .where(SessionCourse.session_id == source.id)
    ).all()
    for course_id, position in courses:
        db.add(SessionCourse(session_id=copy.id, course_id=course_id, position=position))
    db.flush()
    coaches = db.execute(
        select(SessionCourseCoach.course_id, SessionCourseCoach.user_id)
        .where(SessionCourseCoach.session_id == source.id)
    ).all()
    for course_id, user_id in coaches:
        db.add(SessionCourseCoach(session_id=copy.id, course_id=course_id, user_id=user_id))
    db.flush()
    return copy


@dataclass(frozen=True)
class DeletionImpact:
    learners: int
    submissions: int
    grades: int


def deletion_impact(db, session_id: int) -> DeletionImpact:
    row = db.execute(select(
        select(func.count()).where(Enrolment.session_id == session_id).scalar_subquery(),
        select(func.count()).where(Submission.session_id == session_id).scalar_subquery(),
        select(func.count()).select_from(Grade).join(Submission)
        .where(Submission.session_id == session_id).scalar_subquery(),
    )).one()
    return DeletionImpact(*row)


def delete_session(db, session_id: int) -> None:
    """Delete a session and everything that belongs to it (enrolments, hand-ins, grades)."""
    # The foreign keys cascade on PostgreSQL and on SQLite with foreign_keys=ON.
    db.execute(delete(TrainingSession).where(TrainingSession.id == session_id))


# --- courses and course coaches of an existing session ------------------------------


def add_course(db, session_id: int, course_id: int) -> bool:
    """Append a course at the end of the session. False when it is already there."""
    positions = db.execute(
        select(SessionCourse.course_id, SessionCourse.position)
        .where(SessionCourse.session_id == session_id)
    ).all()
    if any(c == course_id for c, _ in positions):
        return False
    last = max((p for _, p in positions), default=-1)
    db.add(SessionCourse(session_id=session_id, course_id=course_id, position=last + 1))
    db.flush()
    return True


def move_course(db, session_id: int, course_id: int, offset: int) -> bool:
    """Move a course up (-1) or down (+1) in the session's order."""
    rows = db.scalars(
        select(SessionCourse).where(SessionCourse.session_id == session_id)
        .order_by(SessionCourse.position, SessionCourse.id)
    ).all()
    index = next((i for i, sc in enumerate(rows) if sc.course_id == course_id), None)
    if index is None or not 0 <= index + offset < len(rows):
        return False
    rows[index], rows[index + offset] = rows[index + offset], rows[index]
    for position, row in enumerate(rows):  # renumber: positions stay dense and unique
        row.position = position
    db.flush()
    return True


def hidden_submissions(db, session_id: int, course_id: int) -> int:
    """How many hand-ins of this session belong to the course's assignments.

    Removing the course hides them (they stay stored and come back if it is re-added).
    """
    from ..models import Assignment

    return db.scalar(
        select(func.count()).select_from(Submission)
        .join(Assignment, Assignment.id == Submission.assignment_id)
        .where(Submission.session_id == session_id, Assignment.course_id == course_id)
    )


def remove_course(db, session_id: int, course_id: int) -> bool:
    """Take a course out of the session, with its course coaches."""
    result = db.execute(delete(SessionCourse).where(
        SessionCourse.session_id == session_id, SessionCourse.course_id == course_id
    ))
    # Course coaches go with it (foreign key cascade; explicit for clarity on every engine).
    db.execute(delete(SessionCourseCoach).where(
        SessionCourseCoach.session_id == session_id, SessionCourseCoach.course_id == course_id
    ))
    return result.rowcount > 0


def add_course_coach(db, session_id: int, course_id: int, user_id: int) -> bool:
    exists_already = db.scalar(select(func.count()).select_from(SessionCourseCoach).where(
        SessionCourseCoach.session_id == session_id, SessionCourseCoach.course_id == course_id,
        SessionCourseCoach.user_id == user_id,
    ))
    if exists_already:
        return False
    db.add(SessionCourseCoach(session_id=session_id, course_id=course_id, user_id=user_id))
    db.flush()
    return True


def remove_course_coach(db, session_id: int, course_id: int, user_id: int) -> bool:
    result = db.execute(delete(SessionCourseCoach).where(
        SessionCourseCoach.session_id == session_id, SessionCourseCoach.course_id == course_id,
        SessionCourseCoach.user_id == user_id,
    ))
    return result.rowcount > 0
