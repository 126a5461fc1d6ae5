"""Grading: the grid of a course's learners and assignments, and the grade itself.

Plain functions taking a database session (and ``now`` where time matters); no
Flask request inside. Who may grade is the gate's business (portal.domain.access), not
this module's: callers have already checked it. ``save_grade`` is the one write of a
grade, journaled.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import exists, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import joinedload

from ..models import (
    Assignment,
    Enrolment,
    Grade,
    SessionCourse,
    Submission,
    TrainingSession,
    User,
)
from . import due_dates, journal, notify
from .access import SessionRules, learner_fact_columns, learner_facts_of
from .journal import Actor
from .language import gettext as _
from .language import lazy_gettext as _l
from .language import number_text
from .pagination import Page, paginate

MAX_FEEDBACK_CHARS = 10_000
JOURNAL_FEEDBACK_CHARS = 60  # of the feedback, the journal keeps the beginning
NOT_A_NUMBER = _l("Enter a number, e.g. 14 or 14.5.")
TOO_PRECISE = _l("Use at most two decimals, e.g. 14.25.")

# Digits with an optional decimal part; a comma is read as a decimal point.
_NUMBER = re.compile(r"^[+-]?(\d+([.,]\d*)?|[.,]\d+)$")


class GradeError(ValueError):
    """A score that cannot be saved; the message says how to fix it."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def out_of_range(max_score: int) -> str:
    return _("The score must be between 0 and %(max)s.", max=number_text(max_score))


def suspended_read_only(name: str) -> str:
    """Why the work of the suspended learner ``name`` cannot be graded."""
    return _("%(name)s is suspended from this session: their work and grades stay visible, "
             "but they cannot be graded until an admin lifts the suspension.", name=name)


def feedback_too_long() -> str:
    return _("Write at most %(count)s characters.", count=number_text(MAX_FEEDBACK_CHARS))


def parse_score(text: str | None, max_score: int) -> Decimal:
    """Read a typed score: a number from 0 to ``max_score`` with at most two decimals.

    Raises GradeError with the message to show under the field.
    """
    text = (text or "").strip()
    if not _NUMBER.match(text):
        raise GradeError(str(NOT_A_NUMBER))
    value = Decimal(text.replace(",", "."))
    if value < 0 or value > max_score:
        raise GradeError(out_of_range(max_score))
    if value != value.quantize(Decimal("0.01")):
        raise GradeError(str(TOO_PRECISE))
    return value


def format_score(score: float | Decimal | None) -> str:
    """14.0 -> '14', 14.5 -> '14.5', 14.25 -> '14.25'."""
    if score is None:
        return ""
    return f"{float(score):.2f}".rstrip("0").rstrip(".")


def score_text(score: float | Decimal | None) -> str:
    """format_score in the current language, for reading: '14.5' in English, '14,5' in
    French (format_score stays the form's and the journal's value)."""
    return number_text(Decimal(format_score(score))) if score is not None else ""


# --- the grid -----------------------------------------------------------------


class CellState(StrEnum):
    MISSING = "missing"
    HANDED_IN = "handed_in"
    GRADED = "graded"


@dataclass(frozen=True)
class Cell:
    """One learner's work on one assignment, as the grid shows it."""

    learner_id: int
    assignment_id: int
    max_score: int
    submission_id: int | None = None
    submitted_at: datetime | None = None
    score: float | None = None
    due_at: datetime | None = None  # the learner's due moment (portal.domain.due_dates)

    @property
    def late(self) -> bool:
        return due_dates.is_late(self.submitted_at, self.due_at)

    @property
    def late_text(self) -> str:
        """'2 days late', or '' for work on time (or without a due date)."""
        return due_dates.late_words(self.submitted_at, self.due_at) if self.late else ""

    @property
    def state(self) -> CellState:
        if self.submission_id is None:
            return CellState.MISSING
        return CellState.HANDED_IN if self.score is None else CellState.GRADED

    @property
    def score_text(self) -> str:
        """The score as people read it in their language ('14.5', '14,5')."""
        return score_text(self.score)


@dataclass(frozen=True)
class GridRow:
    learner: User
    cells: list[Cell]
    suspended: bool = False  # their work is shown, and cannot be graded


@dataclass(frozen=True)
class Grid:
    assignments: list[Assignment]
    rows: Page  # items: list[GridRow]
    to_grade: int  # handed in and not graded, in this course, for every learner


def _ungraded_in_course(session_id: int, course_id: int, user_id_column):
    """EXISTS: the learner has a handed-in, ungraded submission in the course."""
    return (
        exists()
        .where(Submission.session_id == session_id, Submission.user_id == user_id_column)
        .where(Assignment.id == Submission.assignment_id, Assignment.course_id == course_id)
        .where(~exists().where(Grade.submission_id == Submission.id))
    )


def course_assignments(db_session, course_id: int) -> list[Assignment]:
    """The course's assignments in order; the course comes in the same query, so a
    page that shows its title gets it from the identity map (db_session.get)."""
    return list(db_session.scalars(
        select(Assignment).where(Assignment.course_id == course_id)
        .options(joinedload(Assignment.course))
        .order_by(Assignment.position, Assignment.id)
    ))


def learners_statement(session_id: int, course_id: int, *, ungraded_only: bool):
    """The session's learners by name; with ``ungraded_only``, those with work to grade."""
    stmt = (
        select(User, *learner_fact_columns())
        .join(Enrolment, Enrolment.user_id == User.id)
        .where(Enrolment.session_id == session_id)
    )
    if ungraded_only:
        stmt = stmt.where(_ungraded_in_course(session_id, course_id, User.id))
    return stmt.order_by(func.lower(User.last_name), func.lower(User.first_name),
                         User.username, User.id)


def count_to_grade(db_session, session_id: int, course_id) -> int:
    """Handed-in, ungraded submissions of the session's learners in the course
    (``course_id``: a course's id, or a SELECT of course ids): the counts the database
    keeps per course of the session (models/to_grade_count.py)."""
    in_course = SessionCourse.course_id == course_id if isinstance(course_id, int) \
        else SessionCourse.course_id.in_(course_id)
    return db_session.scalar(
        select(func.coalesce(func.sum(SessionCourse.to_grade), 0))
        .where(SessionCourse.session_id == session_id, in_course)
    ) or 0


def grading_grid(db_session, session_id: int, course_id: int, *, ungraded_only: bool = False,
                 page: int = 1, per_page: int = 25, now: datetime) -> Grid:
    """One page of learners × the course's assignments, in six queries whatever the
    page size: assignments, learner count and page (with their enrolment's facts), their
    work, the course's due dates, the count to grade. Each cell carries the learner's
    due moment at ``now`` (needed for a duration-mode learner who has not started)."""
    assignments = course_assignments(db_session, course_id)
    learners = paginate(db_session, learners_statement(session_id, course_id,
                                                       ungraded_only=ungraded_only),
                        page, per_page, scalars=False)
    facts = {row.User.id: learner_facts_of(row) for row in learners.items}
    dues = {}
    due_rules = due_dates.session_due_rules(db_session, session_id, course_id)
    if due_rules and facts:
        session = db_session.get(TrainingSession, session_id)  # the gate's, if any
        dues = due_dates.dues_of(due_rules, SessionRules.of(session), facts,
                                 now)
    work: dict[tuple[int, int], tuple] = {}
    learner_ids = list(facts)
    if learner_ids and assignments:
        rows = db_session.execute(
            select(Submission.id, Submission.user_id, Submission.assignment_id,
                   Submission.submitted_at, Grade.score)
            .outerjoin(Grade, Grade.submission_id == Submission.id)
            .where(Submission.session_id == session_id,
                   Submission.user_id.in_(learner_ids),
                   Submission.assignment_id.in_([a.id for a in assignments]))
        )
        work = {(row.user_id, row.assignment_id): row for row in rows}
    grid_rows = []
    for learner in (row.User for row in learners.items):
        cells = []
        for assignment in assignments:
            row = work.get((learner.id, assignment.id))
            cells.append(Cell(
                learner_id=learner.id,
                assignment_id=assignment.id,
                max_score=assignment.max_score,
                submission_id=row.id if row else None,
                submitted_at=row.submitted_at if row else None,
                score=row.score if row else None,
                due_at=dues.get((learner.id, assignment.id)),
            ))
        grid_rows.append(GridRow(learner, cells, suspended=facts[learner.id].suspended))
    return Grid(
        assignments=assignments,
        rows=Page(grid_rows, learners.total, learners.page, learners.per_page),
        to_grade=count_to_grade(db_session, session_id, course_id),
    )


# --- one submission -----------------------------------------------------------


def submission_in_course(db_session, session_id: int, course_id: int,
                         submission_id: int) -> Submission | None:
    """The submission, with its assignment, learner and grade, if it belongs to an
    assignment of ``course_id`` in ``session_id``; None otherwise."""
    return db_session.scalar(
        select(Submission)
        .join(Assignment, Assignment.id == Submission.assignment_id)
        .where(Submission.id == submission_id, Submission.session_id == session_id,
               Assignment.course_id == course_id)
        .options(joinedload(Submission.assignment), joinedload(Submission.user),
                 joinedload(Submission.grade), joinedload(Submission.session))
    )


def cell_of(submission: Submission, due_at: datetime | None = None) -> Cell:
    grade = submission.grade
    return Cell(
        learner_id=submission.user_id,
        assignment_id=submission.assignment_id,
        max_score=submission.assignment.max_score,
        submission_id=submission.id,
        submitted_at=submission.submitted_at,
        score=grade.score if grade is not None else None,
        due_at=due_at,
    )


@dataclass(frozen=True)
class SubmissionContext:
    """What the open cell of a submission shows besides the work: the learner's due
    moment for it, and whether the learner is suspended (read only)."""

    due_at: datetime | None
    suspended: bool


def submission_context(db_session, submission: Submission, now: datetime) -> SubmissionContext:
    """The due moment and suspension of the submission's learner, in two queries."""
    due, facts = due_dates.learner_dues(db_session, submission.session, None,
                                        [submission.user_id], now)
    learner = facts.get(submission.user_id)
    return SubmissionContext(due.get((submission.user_id, submission.assignment_id)),
                             learner is not None and learner.suspended)


def _suspended(db_session, submission: Submission) -> bool:
    return bool(db_session.scalar(
        select(Enrolment.suspended_at.is_not(None))
        .where(Enrolment.session_id == submission.session_id,
               Enrolment.user_id == submission.user_id)))


@dataclass(frozen=True)
class GradeSaved:
    """What saving a grade changed: the grade, whether it is the first one, and the
    journal's values of it (``before`` empty for a first grade)."""

    grade: Grade
    created: bool
    before: dict
    after: dict


def _journal_values(score, feedback: str) -> dict:
    return {"score": format_score(score), "feedback": feedback[:JOURNAL_FEEDBACK_CHARS]}


def _insert_first_grade(db_session, values: dict) -> int | None:
    """INSERT the grade unless the submission has one: its id, or None when another
    coach's first grade got there first (ON CONFLICT DO NOTHING waits for it)."""
    dialect = {"postgresql": postgresql, "sqlite": sqlite}[db_session.get_bind().dialect.name]
    return db_session.scalar(
        dialect.insert(Grade).values(**values)
        .on_conflict_do_nothing(index_elements=[Grade.submission_id])
        .returning(Grade.id)
    )


def save_grade(db_session, submission: Submission, score: Decimal, feedback: str, *,
               by: Actor, now: datetime) -> GradeSaved:
    """Create or update the submission's grade and journal it (("grade", "create" or
    "update")); the caller commits.

    Raises GradeError, writing nothing, when the learner is suspended: their work
    stays visible to coaches, read only.

    Two coaches saving the first grade at once both try to INSERT: the loser's
    write becomes an update of the winner's row, so the last save wins as it
    would for two updates.
    """
    if _suspended(db_session, submission):
        raise GradeError(suspended_read_only(submission.user.full_name))
    feedback = (feedback or "").strip()
    if len(feedback) > MAX_FEEDBACK_CHARS:
        raise GradeError(feedback_too_long())
    values = {"score": float(score), "feedback": feedback, "grader_id": by.user_id,
              "graded_at": now}
    new = _journal_values(score, feedback)
    grade, created = submission.grade, False
    if grade is None:
        grade_id = _insert_first_grade(db_session, {"submission_id": submission.id, **values})
        created = grade_id is not None
        grade = db_session.get(Grade, grade_id) if created else db_session.scalar(
            select(Grade).where(Grade.submission_id == submission.id))
    if created:
        before, after = {}, new
    else:
        before, after = journal.changes(_journal_values(grade.score, grade.feedback or ""), new)
        for name, value in values.items():
            setattr(grade, name, value)
        db_session.flush()
    if "score" in after:
        after["max_score"] = submission.assignment.max_score  # read against its maximum
    journal.record(
        db_session, by, now, "grade", "create" if created else "update",
        object_id=grade.id, object_label=submission.assignment.title,
        session_id=submission.session_id, session_label=submission.session.name,
        learner_id=submission.user_id, learner_label=submission.user.full_name,
        before=before or None, after=after,
    )
    if created:
        notify.queue_grade_released(db_session, submission.id, now=now)
    return GradeSaved(grade, created, before, after)
