"""Who may do what in a session, and when: the one home of the window rules.

Where each rule lives (rules: DESIGN.md, "The three windows"):

- **Pure decisions** (plain facts and ``now`` in, a value out): ``Window.status``
  (before / inside / after a window, from the ``_CROSSINGS`` table), ``learner_window``,
  ``coach_window`` (falls back to the access window), ``decide`` (the access decision the
  gate, ``portal.web.gate``, applies to every session route), ``allows`` / ``role_missing``
  (what a gate need asks of it), ``sees_whole_tracking``.
- **SQL forms** of the same rules, built from the same ``_CROSSINGS`` table and
  ``_decision_of``: ``WindowColumns`` (``status_condition``, ``contains``,
  ``decision_condition``, ``overlaps``) for ``access_window_columns``,
  ``coach_window_columns``, ``display_window_columns`` and ``admin_list_window_columns``
  (``admin_list_window``: what an admin list's status comes from). Lists filter and count with
  these; ``tests/test_access_sql.py`` checks they select what the Python decides.
- **Loading the facts** the decisions need: ``relation_for``, ``load_for_gate``,
  ``course_in_session``, and ``may_download_hand_in`` (which reads course coaches).
"""

from __future__ import annotations

import operator
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import and_, case, exists, false, not_, or_, select, true
from sqlalchemy.sql.elements import ColumnElement

from ..models import (
    AfterEndPolicy,
    Assignment,
    Enrolment,
    SessionCourse,
    SessionCourseCoach,
    Submission,
    TrainingSession,
)


class Decision(StrEnum):
    OPEN = "open"
    READ_ONLY = "read_only"
    NOT_YET = "not_yet"
    CLOSED = "closed"
    SUSPENDED = "suspended"  # a learner whose enrolment an admin suspended
    NONE = "none"


# For someone who is both coach and learner, the more generous result wins.
_GENEROSITY = {
    Decision.OPEN: 5,
    Decision.READ_ONLY: 4,
    Decision.NOT_YET: 3,
    Decision.CLOSED: 2,
    Decision.SUSPENDED: 1,
    Decision.NONE: 0,
}


class Status(StrEnum):
    UPCOMING = "upcoming"
    CURRENT = "current"
    PAST = "past"


# Where an instant falls in a window, for Window.status and WindowColumns alike:
# (status, bound, test of the instant against the bound), tried in order. The first
# row whose bound is set and whose test holds gives the status; an instant that
# crosses no bound is CURRENT. Start inclusive, end exclusive: ``start <= now < end``.
_CROSSINGS = (
    (Status.UPCOMING, "start", operator.lt),  # now < start
    (Status.PAST, "end", operator.ge),  # now >= end
)


@dataclass(frozen=True)
class Window:
    """``start <= now < end``; a missing start is "since always", a missing end "for ever"."""

    start: datetime | None
    end: datetime | None

    def status(self, now: datetime) -> Status:
        for status, bound, crosses in _CROSSINGS:
            value = getattr(self, bound)
            if value is not None and crosses(now, value):
                return status
        return Status.CURRENT

    def overlaps(self, other: Window) -> bool:
        """Each window starts before the other ends (a missing bound is unbounded): two
        windows that are not empty overlap when they share an instant."""
        return _before(self.start, other.end) and _before(other.start, self.end)


def _before(start: datetime | None, end: datetime | None) -> bool:
    """``start < end``, a missing start being the earliest and a missing end the latest."""
    return start is None or end is None or start < end


@dataclass(frozen=True)
class SessionRules:
    """The facts of a session the decision needs."""

    access: Window
    coach: Window | None  # None: the coach window is unset, the access window applies
    after_end_policy: str
    duration_days: int | None = None

    @classmethod
    def of(cls, session: TrainingSession) -> SessionRules:
        coach = None
        if session.coach_start is not None or session.coach_end is not None:
            coach = Window(session.coach_start, session.coach_end)
        return cls(
            access=Window(session.access_start, session.access_end),
            coach=coach,
            after_end_policy=session.after_end_policy,
            duration_days=session.duration_days,
        )


@dataclass(frozen=True)
class LearnerFacts:
    """What the decision needs about one enrolment: its first access, its individual
    dates (``extension_days`` or an individual window ``own_start``/``own_end``, never
    both) and whether it is suspended."""

    first_access_at: datetime | None = None
    extension_days: int = 0
    own_start: datetime | None = None
    own_end: datetime | None = None
    suspended: bool = False

    @classmethod
    def of(cls, enrolment: Enrolment) -> LearnerFacts:
        return cls(enrolment.first_access_at, enrolment.extension_days or 0,
                   enrolment.own_start, enrolment.own_end, enrolment.suspended_at is not None)

    @property
    def has_own_window(self) -> bool:
        return self.own_start is not None or self.own_end is not None


class WindowKind(StrEnum):
    """Which rule gave a learner their window (what the access explainer names)."""

    ACCESS = "access"  # the session's access window
    EXTENDED = "extended"  # the access window, its end moved by the extension
    INDIVIDUAL = "individual"  # the learner's individual window
    DURATION = "duration"  # N days from the first access (plus any extension)


@dataclass(frozen=True)
class Relation:
    """How a user relates to a session (or to one course of it)."""

    is_admin: bool = False
    is_coach: bool = False  # session coach, or coach of the course in question
    learner: LearnerFacts | None = None


@dataclass(frozen=True)
class Access:
    """The decision, and the part each role contributed to it."""

    decision: Decision
    as_coach: Decision = Decision.NONE
    as_learner: Decision = Decision.NONE
    is_admin: bool = False
    opens_at: datetime | None = None  # for not_yet: when the applicable window opens
    ended_at: datetime | None = None  # for read_only/closed after the end

    @property
    def can_view(self) -> bool:
        return self.decision in (Decision.OPEN, Decision.READ_ONLY)

    @property
    def can_submit(self) -> bool:
        return self.as_learner is Decision.OPEN

    @property
    def can_grade(self) -> bool:
        return self.is_admin or self.as_coach is Decision.OPEN

    @property
    def can_track(self) -> bool:
        return self.is_admin or self.as_coach in (Decision.OPEN, Decision.READ_ONLY)


def learner_window_kind(rules: SessionRules, learner: LearnerFacts) -> WindowKind:
    if learner.has_own_window:
        return WindowKind.INDIVIDUAL
    if rules.duration_days is not None:
        return WindowKind.DURATION
    if learner.extension_days and rules.access.end is not None:
        return WindowKind.EXTENDED
    return WindowKind.ACCESS


def learner_window(rules: SessionRules, learner: LearnerFacts, now: datetime) -> Window:
    """The learner's access window.

    - An individual window replaces the session's: each bound it sets replaces the
      session's access bound, a bound it leaves unset keeps the session's fixed one (in
      duration mode too: the individual window then replaces the N days).
    - Duration mode: N days (plus the extension) from the first access.
    - Fixed dates: the access window, its end moved later by the extension (no end:
      nothing to extend).
    """
    kind = learner_window_kind(rules, learner)
    if kind is WindowKind.INDIVIDUAL:
        return Window(learner.own_start if learner.own_start is not None else rules.access.start,
                      learner.own_end if learner.own_end is not None else rules.access.end)
    if kind is WindowKind.DURATION:
        first = learner.first_access_at or now  # opening it now is what starts the clock
        return Window(first, _plus_days(first, rules.duration_days + learner.extension_days))
    if kind is WindowKind.EXTENDED:
        return Window(rules.access.start, _plus_days(rules.access.end, learner.extension_days))
    return rules.access


def _plus_days(moment: datetime, days: int) -> datetime:
    """``moment`` + ``days``, kept at the last representable instant near year 9999."""
    try:
        return moment + timedelta(days=days)
    except OverflowError:
        return datetime.max.replace(tzinfo=moment.tzinfo)


def coach_window(rules: SessionRules) -> Window:
    """The coach window, falling back to the access window when unset.

    In duration mode the fallback is the fixed access dates (often unbounded):
    coaches are never locked out by a learner's personal N days.
    """
    return rules.coach if rules.coach is not None else rules.access


def _decision_of(status: Status, policy: str) -> Decision:
    """What a window gives at ``status``; after its end, the session's after-end policy."""
    if status is Status.UPCOMING:
        return Decision.NOT_YET
    if status is Status.CURRENT or policy == AfterEndPolicy.OPEN:
        return Decision.OPEN
    return Decision(policy)


def _window_decision(window: Window, policy: str, now: datetime) -> Decision:
    return _decision_of(window.status(now), policy)


def decide(relation: Relation, rules: SessionRules, now: datetime) -> Access:
    """The one access decision for a user, a session (or a course of it) and ``now``."""
    if relation.is_admin:
        return Access(Decision.OPEN, Decision.OPEN, Decision.NONE, is_admin=True)
    candidates: list[tuple[Decision, Window]] = []
    as_coach = as_learner = Decision.NONE
    if relation.is_coach:
        window = coach_window(rules)
        as_coach = _window_decision(window, rules.after_end_policy, now)
        candidates.append((as_coach, window))
    if relation.learner is not None:
        window = learner_window(rules, relation.learner, now)
        as_learner = (Decision.SUSPENDED if relation.learner.suspended
                      else _window_decision(window, rules.after_end_policy, now))
        candidates.append((as_learner, window))
    if not candidates:
        return Access(Decision.NONE)
    decision, window = max(candidates, key=lambda pair: _GENEROSITY[pair[0]])
    return Access(
        decision,
        as_coach,
        as_learner,
        opens_at=window.start if decision is Decision.NOT_YET else None,
        ended_at=window.end if window.status(now) is Status.PAST
        and decision is not Decision.SUSPENDED else None,
    )


def list_status(window: Window, now: datetime) -> Status:
    """Status for lists and tabs: upcoming, current or past. No end means never past."""
    return window.status(now)


def admin_list_window(access: Window, display: Window, duration_days: int | None,
                      learners: Window | None = None) -> Window:
    """The window a session's status in the admin lists comes from: its access window;
    when every learner has individual dates (``learners``: the span of their windows,
    kept on the session), that span; in duration mode, where each learner's access runs
    from their own first visit (``learner_window``), the display window, the only fixed
    dates that still apply to learners. ``admin_list_window_columns`` is its SQL form."""
    if duration_days is not None:
        return display
    return learners if learners is not None else access


def session_learners_span(session) -> Window | None:
    """The span ``admin_list_window`` takes from a session (or a row with its columns)."""
    if not session.learners_span:
        return None
    return Window(session.learners_start, session.learners_end)


def learners_span_of(windows: Iterable[Window]) -> Window:
    """The span of learners' windows: earliest start to latest end (None: unbounded)."""
    starts, ends = [], []
    for window in windows:
        starts.append(window.start)
        ends.append(window.end)
    return Window(None if None in starts or not starts else min(starts),
                  None if None in ends or not ends else max(ends))


# --- what each need asks of the decision ----------------------------------

# "card": any relation to the session, in any window: what a learner may see of a
# session they cannot open yet or any more (its card, its calendar entry).
NEEDS = ("view", "submit", "grade", "track", "card")


def allows(access: Access, need: str) -> bool:
    return {
        "view": access.can_view,
        "submit": access.can_submit,
        "grade": access.can_grade,
        "track": access.can_track,
        "card": access.decision is not Decision.NONE,
    }[need]


def role_missing(access: Access, need: str) -> bool:
    """True when the user lacks the role the need asks for: they get a 404, not a hint."""
    if need in ("grade", "track"):
        return not access.is_admin and access.as_coach is Decision.NONE
    if need == "submit":
        return access.as_learner is Decision.NONE
    return False


class Outcome(StrEnum):
    """What the gate answers to a need."""

    ALLOWED = "allowed"
    LOCKED = "locked"  # the locked page, 403
    NOT_FOUND = "not_found"  # 404: no role for this need (or no relation at all)


def gate_outcome(access: Access, need: str) -> Outcome:
    """The gate's answer (portal.web.gate.session_gate) to ``need`` under ``access``; the
    access explainer shows the same answer."""
    if access.decision is Decision.NONE or role_missing(access, need):
        return Outcome.NOT_FOUND
    if not allows(access, need):
        return Outcome.LOCKED
    return Outcome.ALLOWED


def sees_whole_tracking(user, session: TrainingSession, access: Access) -> bool:
    """Admins and the session coach see every course's tracking; a course coach only
    the courses they coach (``user`` has an ``id``; ``access`` is the gate's)."""
    return access.is_admin or session.coach_id == user.id


# --- the same rules as SQL ----------------------------------------------------


@dataclass(frozen=True)
class WindowColumns:
    """A window as two SQL expressions over ``training_session`` (NULL: unbounded).

    Its conditions are built from ``_CROSSINGS`` and ``_decision_of``, the definitions
    ``Window.status`` and ``decide`` use, so a list filters as the decision decides.
    """

    start: ColumnElement
    end: ColumnElement

    def status_condition(self, status: Status, now: datetime) -> ColumnElement[bool]:
        """Rows whose window has ``status`` at ``now``, exactly as ``Window.status``."""
        not_crossed = []  # the earlier rows of the table did not apply
        for candidate, bound, crosses in _CROSSINGS:
            column = getattr(self, bound)
            if candidate is status:
                return and_(*not_crossed, column.is_not(None), crosses(now, column))
            not_crossed.append(or_(column.is_(None), not_(crosses(now, column))))
        return and_(*not_crossed)

    def contains(self, now: datetime) -> ColumnElement[bool]:
        """``start <= now < end``: the window is current."""
        return self.status_condition(Status.CURRENT, now)

    def decision_condition(self, decision: Decision, now: datetime,
                           policy=TrainingSession.after_end_policy) -> ColumnElement[bool]:
        """Rows where this window gives ``decision`` at ``now`` under the after-end
        ``policy`` column, as ``_decision_of`` does for each status and policy."""
        parts = []
        for status in Status:
            policies = [p.value for p in AfterEndPolicy if _decision_of(status, p) is decision]
            if len(policies) == len(AfterEndPolicy):
                parts.append(self.status_condition(status, now))
            elif policies:
                parts.append(and_(self.status_condition(status, now), policy.in_(policies)))
        return or_(false(), *parts)

    def overlaps(self, other: Window) -> ColumnElement[bool]:
        """Rows whose window shares an instant with ``other``, as ``Window.overlaps``."""
        conditions = []
        if other.end is not None:  # starts before ``other`` ends
            conditions.append(or_(self.start.is_(None), self.start < other.end))
        if other.start is not None:  # ends after ``other`` starts
            conditions.append(or_(self.end.is_(None), self.end > other.start))
        return and_(true(), *conditions)


def access_window_columns() -> WindowColumns:
    return WindowColumns(TrainingSession.access_start, TrainingSession.access_end)


def display_window_columns() -> WindowColumns:
    return WindowColumns(TrainingSession.display_start, TrainingSession.display_end)


def admin_list_window_columns() -> WindowColumns:
    """``admin_list_window`` as SQL: the display window's columns for a session in
    duration mode, the learners' span when every learner has individual dates, the
    access window's for the others."""
    ts = TrainingSession
    in_duration_mode = ts.duration_days.is_not(None)
    spanned = ts.learners_span == true()
    return WindowColumns(
        case((in_duration_mode, ts.display_start), (spanned, ts.learners_start),
             else_=ts.access_start),
        case((in_duration_mode, ts.display_end), (spanned, ts.learners_end),
             else_=ts.access_end))


def coach_window_columns() -> WindowColumns:
    """The coach window, falling back to the access window when the session sets
    neither coach date, as ``SessionRules.of`` and ``coach_window`` do."""
    ts = TrainingSession
    has_own = or_(ts.coach_start.is_not(None), ts.coach_end.is_not(None))
    return WindowColumns(case((has_own, ts.coach_start), else_=ts.access_start),
                         case((has_own, ts.coach_end), else_=ts.access_end))


# --- loading the facts ------------------------------------------------------


def _relation_columns(user, session_id, course_id: int | None) -> list:
    """Columns that read a non-admin user's relation to a session (see _relation_of)."""
    coach_filter = [
        SessionCourseCoach.session_id == session_id,
        SessionCourseCoach.user_id == user.id,
    ]
    if course_id is not None:
        coach_filter.append(SessionCourseCoach.course_id == course_id)
    mine = (Enrolment.session_id == session_id) & (Enrolment.user_id == user.id)
    return [
        *(select(column).where(mine).scalar_subquery().label(label)
          for label, column in _LEARNER_FACT_COLUMNS.items()),
        exists().where(*coach_filter).label("cc"),
    ]


# LearnerFacts field -> the enrolment column it is read from.
_LEARNER_FACT_COLUMNS = {
    "first_access_at": Enrolment.first_access_at,
    "extension_days": Enrolment.extension_days,
    "own_start": Enrolment.own_start,
    "own_end": Enrolment.own_end,
    "suspended": Enrolment.suspended_at.is_not(None),
}


def learner_fact_columns() -> list:
    """The enrolment's columns ``learner_facts_of`` reads, labelled, for any select."""
    return [column.label(label) for label, column in _LEARNER_FACT_COLUMNS.items()]


def learner_facts_of(row) -> LearnerFacts:
    """The facts of a row selected with ``learner_fact_columns``."""
    return LearnerFacts(row.first_access_at, row.extension_days or 0, row.own_start,
                        row.own_end, bool(row.suspended))


def _relation_of(row, user, session: TrainingSession) -> Relation:
    learner = None
    if row.extension_days is not None:  # NOT NULL in an enrolment: None means not enrolled
        learner = learner_facts_of(row)
    return Relation(is_coach=session.coach_id == user.id or bool(row.cc), learner=learner)


def relation_for(db_session, user, session: TrainingSession, course_id: int | None) -> Relation:
    """Read the user's relation to ``session`` (and ``course_id``) in one query."""
    if user is None or not user.is_authenticated:
        return Relation()
    if user.is_admin:
        return Relation(is_admin=True)
    row = db_session.execute(select(*_relation_columns(user, session.id, course_id))).one()
    return _relation_of(row, user, session)


def course_in_session(db_session, session_id: int, course_id: int) -> bool:
    return db_session.scalar(select(_course_in_session(session_id, course_id)))


def _course_in_session(session_id, course_id: int):
    return exists().where(
        SessionCourse.session_id == session_id, SessionCourse.course_id == course_id
    )


def load_for_gate(db_session, user, session_id: int, course_id: int | None
                  ) -> tuple[TrainingSession | None, bool, Relation]:
    """The session, whether ``course_id`` (if given) is one of its courses, and the
    signed-in ``user``'s relation to it, in one query: what relation_for and
    course_in_session read, without a round trip each."""
    columns = []
    if course_id is not None:
        columns.append(_course_in_session(TrainingSession.id, course_id).label("course_ok"))
    if not user.is_admin:
        columns += _relation_columns(user, TrainingSession.id, course_id)
    row = db_session.execute(
        select(TrainingSession, *columns).where(TrainingSession.id == session_id)
    ).one_or_none()
    if row is None:
        return None, False, Relation()
    session = row.TrainingSession
    course_ok = course_id is None or bool(row.course_ok)
    if user.is_admin:
        return session, course_ok, Relation(is_admin=True)
    return session, course_ok, _relation_of(row, user, session)


def may_download_hand_in(db_session, user, session: TrainingSession, access: Access,
                         submission: Submission) -> bool:
    """The hand-in's file goes to its owner, admins, the session coach and the coaches
    of the submission's course (``access``: the gate's, for ``session``); one query at
    most, for a course coach."""
    if submission.user_id == user.id or access.is_admin:
        return True
    if access.as_coach is Decision.NONE:
        return False
    if session.coach_id == user.id:
        return True
    course_of_submission = (select(Assignment.course_id)
                            .where(Assignment.id == submission.assignment_id).scalar_subquery())
    return bool(db_session.scalar(select(exists().where(
        SessionCourseCoach.session_id == session.id,
        SessionCourseCoach.course_id == course_of_submission,
        SessionCourseCoach.user_id == user.id,
    ))))
