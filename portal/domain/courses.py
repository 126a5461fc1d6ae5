"""Courses and their assignments as the administration manages them: the searchable
list, where a course is used, and one write function per change.

Every write records its journal entry (``("course", ...)`` or ``("assignment", ...)``)
in the caller's transaction and returns what changed; the caller commits.
"""

from dataclasses import asdict, dataclass
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.sql import Select

from ..models import Assignment, Course, SessionCourse, Submission, TrainingSession
from . import journal
from .journal import Actor
from .text_search import contains

NAMES_SHOWN = 5  # sessions named when a delete is refused


def courses_matching(q: str) -> Select:
    """Rows (course, assignments, sessions): all courses, or those whose code or title
    contains ``q``, by code, with their counts in the same SELECT."""
    assignments = (select(func.count()).select_from(Assignment)
                   .where(Assignment.course_id == Course.id).correlate(Course).scalar_subquery())
    sessions = (select(func.count()).select_from(SessionCourse)
                .where(SessionCourse.course_id == Course.id).correlate(Course).scalar_subquery())
    stmt = select(Course, assignments.label("assignments"), sessions.label("sessions"))
    if q:
        stmt = stmt.where(or_(contains(Course.code, q), contains(Course.title, q)))
    return stmt.order_by(Course.code)


@dataclass(frozen=True)
class CourseUsage:
    """Where a course is used; any of it keeps the course from being deleted."""

    session_names: list[str]  # the first NAMES_SHOWN, by name
    sessions: int
    submissions: int  # to the course's assignments

    @property
    def in_use(self) -> bool:
        return bool(self.sessions or self.submissions)


def course_usage(db, course_id: int) -> CourseUsage:
    """Two queries at most: the counts together, then the first session names."""
    sessions, submissions = db.execute(select(
        select(func.count()).select_from(SessionCourse)
        .where(SessionCourse.course_id == course_id).scalar_subquery(),
        select(func.count()).select_from(Submission)
        .join(Assignment, Assignment.id == Submission.assignment_id)
        .where(Assignment.course_id == course_id).scalar_subquery(),
    )).one()
    names = []
    if sessions:
        names = list(db.scalars(
            select(TrainingSession.name)
            .join(SessionCourse, SessionCourse.session_id == TrainingSession.id)
            .where(SessionCourse.course_id == course_id)
            .order_by(TrainingSession.name).limit(NAMES_SHOWN)
        ))
    return CourseUsage(names, sessions, submissions)


def assignment_submission_count(db, assignment_id: int) -> int:
    return db.scalar(select(func.count()).select_from(Submission)
                     .where(Submission.assignment_id == assignment_id))


class CourseInUse(Exception):
    """The course is used (``usage`` says where) and cannot be deleted."""

    def __init__(self, usage: CourseUsage):
        super().__init__("course in use")
        self.usage = usage


class AssignmentInUse(Exception):
    """The assignment has ``submissions`` and cannot be deleted."""

    def __init__(self, submissions: int):
        super().__init__("assignment in use")
        self.submissions = submissions


# --- courses ----------------------------------------------------------------------


@dataclass(frozen=True)
class CourseValues:
    code: str
    title: str
    description: str = ""


def _course_fields(course: Course) -> dict:
    return {"code": course.code, "title": course.title, "description": course.description}


def create_course(db, values: CourseValues, *, by: Actor, now: datetime) -> Course:
    """Add the course (flushed: it has its id) and its ("course", "create") entry."""
    course = Course(**asdict(values))
    db.add(course)
    db.flush()
    journal.record(db, by, now, "course", "create", object_id=course.id,
                   object_label=course.code, after=_course_fields(course))
    return course


def update_course(db, course: Course, values: CourseValues, *, by: Actor, now: datetime
                  ) -> tuple[dict, dict]:
    """Save ``values`` on ``course``; returns the changed fields (before, after).
    Nothing changed: no entry."""
    return _update(db, "course", course, values, _course_fields, label_field="code", by=by,
                   now=now)


def delete_course(db, course: Course, *, by: Actor, now: datetime) -> dict:
    """Delete an unused course and its assignments; returns the values it had.

    Raises CourseInUse (nothing written) when a session uses it or its assignments
    have submissions.
    """
    usage = course_usage(db, course.id)
    if usage.in_use:
        raise CourseInUse(usage)
    values = _course_fields(course)
    journal.record(db, by, now, "course", "delete", object_id=course.id,
                   object_label=course.code, before=values)
    db.delete(course)
    db.flush()
    return values


# --- assignments ------------------------------------------------------------------


@dataclass(frozen=True)
class AssignmentValues:
    title: str
    instructions: str = ""
    max_score: int = 100


def _assignment_fields(assignment: Assignment) -> dict:
    return {"title": assignment.title, "instructions": assignment.instructions,
            "max_score": assignment.max_score}


def assignments_of(course_id: int) -> Select:
    """The course's assignments in their order: a statement to page through."""
    return (select(Assignment).where(Assignment.course_id == course_id)
            .order_by(Assignment.position, Assignment.id))


def create_assignment(db, course: Course, values: AssignmentValues, *, by: Actor,
                      now: datetime) -> Assignment:
    """Add the assignment last in ``course`` and its ("assignment", "create") entry
    (after: its values and the course code)."""
    last = db.scalar(select(func.max(Assignment.position))
                     .where(Assignment.course_id == course.id))
    assignment = Assignment(course_id=course.id, position=(last or 0) + 1, **asdict(values))
    db.add(assignment)
    db.flush()
    journal.record(db, by, now, "assignment", "create", object_id=assignment.id,
                   object_label=assignment.title,
                   after={"course": course.code, **_assignment_fields(assignment)})
    return assignment


def update_assignment(db, assignment: Assignment, values: AssignmentValues, *, by: Actor,
                      now: datetime) -> tuple[dict, dict]:
    """Save ``values`` on ``assignment``; returns the changed fields (before, after).
    Nothing changed: no entry."""
    return _update(db, "assignment", assignment, values, _assignment_fields,
                   label_field="title", by=by, now=now)


def _update(db, kind: str, thing, values, fields_of, *, label_field: str, by: Actor,
            now: datetime) -> tuple[dict, dict]:
    """Set ``values`` on a course or an assignment and record what changed; the entry
    names it by ``label_field`` (code, title) as it reads after the change."""
    before = fields_of(thing)
    for name, value in asdict(values).items():
        setattr(thing, name, value)
    changed_before, changed_after = journal.changes(before, fields_of(thing))
    if changed_after:
        journal.record(db, by, now, kind, "update", object_id=thing.id,
                       object_label=getattr(thing, label_field),
                       before=changed_before, after=changed_after)
    return changed_before, changed_after


def delete_assignment(db, assignment: Assignment, *, by: Actor, now: datetime) -> dict:
    """Delete an assignment nobody handed in; returns the values it had (with the
    course code). Raises AssignmentInUse (nothing written) when it has submissions."""
    submissions = assignment_submission_count(db, assignment.id)
    if submissions:
        raise AssignmentInUse(submissions)
    values = {"course": assignment.course.code, **_assignment_fields(assignment)}
    journal.record(db, by, now, "assignment", "delete", object_id=assignment.id,
                   object_label=assignment.title, before=values)
    db.delete(assignment)
    db.flush()
    return values
