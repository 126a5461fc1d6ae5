"""Tracking data of a session: per-learner figures, daily series, grade distribution.

Plain functions taking a database session (and ``now`` where time matters); no
Flask request inside. Every figure is computed in SQL so that a page of the
table costs the same fixed number of queries for 10 learners or 10,000, and so
that the table can be sorted by any figure before it is paginated.

Only the session's enrolled learners are counted: coaches' own page views are
recorded too (portal.domain.access) but are not learner activity. A course coach sees
the figures of the courses they coach ("scope"): the access events and the work
in those courses only.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import (
    Float,
    case,
    distinct,
    exists,
    func,
    select,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql import Select
from sqlalchemy.sql.functions import FunctionElement

from ..models import (
    AccessEvent,
    Assignment,
    AssignmentDue,
    Course,
    Enrolment,
    Grade,
    SessionCourse,
    SessionCourseCoach,
    Submission,
    TrainingSession,
    User,
)
from . import due_dates, figures
from .access import (
    LearnerFacts,
    SessionRules,
    WindowKind,
    learner_fact_columns,
    learner_facts_of,
    learner_window,
    learner_window_kind,
)
from .dates import LocalMinutes, days_text, format_bound
from .language import _, _l
from .pagination import Page, link_args, read_page_args
from .text_search import clean_search, user_matches

# Two access events closer than this are one stretch of continuous work.
IDLE_GAP = timedelta(minutes=30)
CHART_DAYS = 90
GRADE_BUCKETS = 10


@dataclass(frozen=True)
class Column:
    """A column of the learners' table: its cell (CSS class, and the template's macro
    that draws it), its heading, and the sort its heading links to (None: not sortable)."""

    cell: str
    label: str  # lazy: read in the viewer's language
    sort: str | None


COLUMNS = (
    Column("learner", _l("Learner"), "name"),
    Column("first-access", _l("First access"), "first"),
    Column("last-access", _l("Last access"), "last"),
    Column("time-spent", _l("Time spent"), "time"),
    Column("courses-visited", _l("Courses visited"), None),
    Column("handed-in", _l("Handed in"), "handins"),
    Column("average-grade", _l("Average grade"), "grade"),
    Column("progress", _l("Progress"), "progress"),
    Column("access-until", _l("Access until"), None),
)  # late hand-ins are counted in the "Handed in" cell (and have their own CSV column)
SORTS = tuple(column.sort for column in COLUMNS if column.sort)


# --- time between two timestamps, in SQL ----------------------------------------


class seconds_between(FunctionElement):  # noqa: N801 - reads as the SQL function it is
    """``seconds_between(earlier, later)``: seconds from one timestamp column to another.

    SQLite keeps timestamps as text and PostgreSQL as ``timestamp``; each gets
    its own arithmetic. Rounded to the millisecond on SQLite, whose julianday()
    is a float.
    """

    type = Float()
    inherit_cache = True
    name = "seconds_between"


@compiles(seconds_between, "sqlite")
def _seconds_sqlite(element, compiler, **kw):
    earlier, later = (compiler.process(arg, **kw) for arg in element.clauses)
    return f"ROUND((julianday({later}) - julianday({earlier})) * 86400.0, 3)"


@compiles(seconds_between)
def _seconds_default(element, compiler, **kw):
    earlier, later = (compiler.process(arg, **kw) for arg in element.clauses)
    return f"EXTRACT(EPOCH FROM ({later} - {earlier}))"


# --- what the viewer may see ------------------------------------------------------


@dataclass(frozen=True)
class ScopeCourse:
    id: int
    code: str
    title: str
    assignments: int


@dataclass(frozen=True)
class Scope:
    """The courses whose data the viewer sees.

    ``limited``: the viewer is a course coach and sees only their courses;
    ``selected``: one course chosen in the filter. When neither is set, the
    figures cover the whole session (page views outside any course included).
    """

    courses: list[ScopeCourse]
    limited: bool = False
    selected: ScopeCourse | None = None

    @property
    def shown(self) -> list[ScopeCourse]:
        return [self.selected] if self.selected else self.courses

    @property
    def course_ids(self) -> list[int]:
        return [course.id for course in self.shown]

    @property
    def narrowed(self) -> bool:
        return self.limited or self.selected is not None

    @property
    def assignments(self) -> int:
        return sum(course.assignments for course in self.shown)


def tracking_scope(db_session, session_id: int, user_id: int, *, sees_all: bool,
                   course_id: int | None = None) -> Scope:
    """The session's courses the viewer may see (all when ``sees_all``, else those they
    coach), in session order, and the one ``course_id`` picked among them, in one query."""
    n_assignments = (
        select(func.count(Assignment.id)).where(Assignment.course_id == SessionCourse.course_id)
        .correlate(SessionCourse).scalar_subquery()
    )
    mine = exists().where(SessionCourseCoach.session_id == SessionCourse.session_id,
                          SessionCourseCoach.course_id == SessionCourse.course_id,
                          SessionCourseCoach.user_id == user_id)
    stmt = (
        select(Course.id, Course.code, Course.title, n_assignments.label("n"))
        .join(SessionCourse, SessionCourse.course_id == Course.id)
        .where(SessionCourse.session_id == session_id)
        .order_by(SessionCourse.position, SessionCourse.id)
    )
    if not sees_all:
        stmt = stmt.where(mine)
    courses = [ScopeCourse(r.id, r.code, r.title, r.n) for r in db_session.execute(stmt)]
    selected = next((c for c in courses if c.id == course_id), None)
    return Scope(courses, limited=not sees_all, selected=selected)


def scope_text(scope: Scope) -> str:
    """What the figures cover, in words."""
    if scope.selected is not None:
        return _("Figures for the course %(course)s only.", course=scope.selected.title)
    if scope.limited:
        if not scope.courses:
            return _("Figures for the courses you coach: none.")
        return _("Figures for the courses you coach: %(courses)s.",
                 courses=", ".join(c.title for c in scope.courses))
    return _("Figures for the whole session.")


# --- filters of the table ---------------------------------------------------------


@dataclass(frozen=True)
class TrackingFilters:
    q: str = ""
    sort: str = "name"
    direction: str = "asc"
    course: int | None = None
    page: int = 1
    per_page: int = 25

    @classmethod
    def from_args(cls, args) -> TrackingFilters:
        """Read the filters from query arguments; anything unreadable is ignored."""
        page, per_page = read_page_args(args)
        sort = args.get("sort", "name")
        try:
            course = int(args.get("course") or 0) or None
        except ValueError:
            course = None
        return cls(
            q=clean_search(args.get("q")),
            sort=sort if sort in SORTS else "name",
            direction="desc" if args.get("dir") == "desc" else "asc",
            course=course,
            page=page,
            per_page=per_page,
        )

    def args(self, **changes) -> dict:
        """Query arguments for a link to these filters with ``changes`` applied."""
        f = replace(self, **changes)
        return link_args({"q": f.q, "sort": f.sort, "dir": f.direction, "course": f.course,
                          "page": f.page, "per_page": f.per_page},
                         {"sort": "name", "dir": "asc", "page": 1, "per_page": 25})

    def sort_args(self, column: str) -> dict:
        """Link arguments to sort by ``column``; a second click reverses the order."""
        direction = "desc" if self.sort == column and self.direction == "asc" else "asc"
        return self.args(sort=column, direction=direction, page=1)


# --- the table --------------------------------------------------------------------


@dataclass(frozen=True)
class LearnerStats:
    user_id: int
    name: str
    username: str
    email: str
    first_access: datetime | None
    last_access: datetime | None
    seconds_spent: int
    courses_visited: int
    handed_in: int
    average_grade: float | None  # mean of score / max score, in percent
    progress: float | None  # handed in / assignments in scope, in percent
    facts: LearnerFacts = field(default_factory=LearnerFacts)  # their enrolment's dates
    # Filled in by with_learner_dates: hand-ins after the learner's due date, and the
    # learner's own access end in words ('' until then).
    late: int = 0
    access_until: str = ""

    @property
    def suspended(self) -> bool:
        return self.facts.suspended

    @property
    def time_spent(self) -> str:
        return figures.duration_text(self.seconds_spent, self.first_access is not None)





def _learner_ids(session_id: int):
    return select(Enrolment.user_id).where(Enrolment.session_id == session_id)


def _event_filter(session_id: int, scope: Scope, learners=None) -> list:
    """``learners``: a statement of user ids to restrict to (default: every learner)."""
    if learners is None:
        learners = _learner_ids(session_id)
    conditions = [AccessEvent.session_id == session_id, AccessEvent.user_id.in_(learners)]
    if scope.narrowed:
        conditions.append(AccessEvent.course_id.in_(scope.course_ids))
    return conditions


def access_statistics(session_id: int, scope: Scope, learners=None):
    """Per learner: first and last access, seconds spent, courses visited.

    Time spent is estimated from the access events alone, since a page view has
    no end: the learner's events are ordered by time, and each gap between two
    consecutive events that is shorter than IDLE_GAP (30 minutes) is counted as
    time spent; a longer gap is a break and counts nothing. A lone visit thus
    counts 0, and reading one page for an hour counts 0 too: it is an estimate
    that errs low. Computed with LAG() (SQLite 3.25+, PostgreSQL).
    """
    previous = func.lag(AccessEvent.at).over(partition_by=AccessEvent.user_id,
                                             order_by=(AccessEvent.at, AccessEvent.id))
    events = (
        select(AccessEvent.user_id, AccessEvent.course_id, AccessEvent.at,
               previous.label("previous_at"))
        .where(*_event_filter(session_id, scope, learners))
        .subquery("events")
    )
    gap = seconds_between(events.c.previous_at, events.c.at)
    counted = case((gap < IDLE_GAP.total_seconds(), gap), else_=0)
    visited = case((events.c.course_id.in_(scope.course_ids), events.c.course_id))
    return (
        select(
            events.c.user_id,
            func.min(events.c.at).label("first_at"),
            func.max(events.c.at).label("last_at"),
            func.coalesce(func.sum(counted), 0).label("seconds"),
            func.count(distinct(visited)).label("courses_visited"),
        )
        .group_by(events.c.user_id)
        .subquery("access_stats")
    )


def work_statistics(session_id: int, scope: Scope, learners=None):
    """Per learner: assignments handed in, and the mean grade in percent of each
    assignment's maximum score (graded work only), in the courses of ``scope``.
    ``learners``: a statement of user ids to restrict to (default: everyone's work)."""
    percent = Grade.score * 100.0 / Assignment.max_score
    stmt = (
        select(
            Submission.user_id,
            func.count(Submission.id).label("handed_in"),
            func.avg(percent).label("average"),
        )
        .join(Assignment, Assignment.id == Submission.assignment_id)
        .outerjoin(Grade, Grade.submission_id == Submission.id)
        .where(Submission.session_id == session_id,
               Assignment.course_id.in_(scope.course_ids))
    )
    if learners is not None:
        stmt = stmt.where(Submission.user_id.in_(learners))
    return stmt.group_by(Submission.user_id).subquery("work_stats")


def _search(filters: TrackingFilters) -> list:
    # Not the e-mail: every learner's ends in the portal's domain, which "le" would find.
    return [user_matches(filters.q, email=False)] if filters.q else []


def _by_name(direction: str) -> list:
    keys = (func.lower(User.last_name), func.lower(User.first_name), User.username)
    return [k.desc() if direction == "desc" else k.asc() for k in keys]


def _learners_found(session_id: int, filters: TrackingFilters) -> Select:
    """Enrolled learners matching the search, without any figure."""
    return (
        select(Enrolment.user_id)
        .join(User, User.id == Enrolment.user_id)
        .where(Enrolment.session_id == session_id, *_search(filters))
    )


def tracking_statement(session_id: int, scope: Scope, filters: TrackingFilters,
                       only=None) -> Select:
    """One row per enrolled learner with every figure of the table, searched and sorted.

    ``only``: a statement of the user ids to compute (one page of them); the figures
    are then computed for those learners alone.
    """
    access = access_statistics(session_id, scope, only)
    work = work_statistics(session_id, scope, only)
    seconds = func.coalesce(access.c.seconds, 0)
    handed_in = func.coalesce(work.c.handed_in, 0)
    first_at, last_at = access.c.first_at, access.c.last_at
    if not scope.narrowed:
        # The enrolment keeps the session's first and last visit (portal.domain.visits),
        # even for visits whose events are gone; the events fill in otherwise.
        first_at = func.coalesce(Enrolment.first_access_at, access.c.first_at)
        last_at = func.coalesce(Enrolment.last_access_at, access.c.last_at)
    stmt = (
        select(
            User.id, User.first_name, User.last_name, User.username, User.email,
            first_at.label("first_at"), last_at.label("last_at"),
            seconds.label("seconds"),
            func.coalesce(access.c.courses_visited, 0).label("courses_visited"),
            handed_in.label("handed_in"),
            work.c.average,
            *learner_fact_columns(),
        )
        .select_from(Enrolment)
        .join(User, User.id == Enrolment.user_id)
        .outerjoin(access, access.c.user_id == Enrolment.user_id)
        .outerjoin(work, work.c.user_id == Enrolment.user_id)
        .where(Enrolment.session_id == session_id)
    )
    if only is not None:
        stmt = stmt.where(Enrolment.user_id.in_(only))
    else:
        stmt = stmt.where(*_search(filters))
    by_name = (func.lower(User.last_name), func.lower(User.first_name), User.username)
    if filters.sort == "name":
        order = _by_name(filters.direction)
    else:
        column = {
            "first": first_at,
            "last": last_at,
            "time": seconds,
            "handins": handed_in,
            "progress": handed_in,
            "grade": work.c.average,
        }[filters.sort]
        # Learners without the figure (never came, nothing graded) stay at the end.
        order = [case((column.is_(None), 1), else_=0),
                 column.desc() if filters.direction == "desc" else column.asc(), *by_name]
    return stmt.order_by(*order, User.id)


def _stats(row, assignments: int) -> LearnerStats:
    # Not stripped: a name is exported as typed, and csv_export neutralises it.
    name = " ".join(part for part in (row.first_name, row.last_name) if part) or row.username
    return LearnerStats(
        user_id=row.id,
        name=name,
        username=row.username,
        email=row.email,
        first_access=row.first_at,
        last_access=row.last_at,
        seconds_spent=int(row.seconds or 0),
        courses_visited=row.courses_visited,
        handed_in=row.handed_in,
        average_grade=float(row.average) if row.average is not None else None,
        progress=row.handed_in * 100.0 / assignments if assignments else None,
        facts=learner_facts_of(row),
    )


def tracking_page(db_session, session_id: int, scope: Scope, filters: TrackingFilters, *,
                  session: TrainingSession | None = None, now: datetime | None = None,
                  tz: ZoneInfo | None = None) -> Page:
    """One page of the table (items: LearnerStats), in two queries; with ``session``,
    ``now`` and ``tz``, each learner's own dates and late hand-ins too (one more query,
    ``with_learner_dates``).

    The count reads the enrolments alone. Sorted by name (the default), the page's
    learners are chosen first and their figures computed for them alone, not for
    the whole session; sorted by a figure, every learner's figures are needed.
    """
    total = db_session.scalar(
        select(func.count()).select_from(_learners_found(session_id, filters).subquery()))
    pages = max(1, -(-total // filters.per_page))
    number = min(filters.page, pages)
    offset = (number - 1) * filters.per_page
    if filters.sort == "name":
        on_page = (_learners_found(session_id, filters)
                   .order_by(*_by_name(filters.direction), User.id)
                   .limit(filters.per_page).offset(offset)).cte("page_learners")
        stmt = tracking_statement(session_id, scope, filters,
                                  only=select(on_page.c.user_id))
    else:
        stmt = tracking_statement(session_id, scope, filters).limit(filters.per_page) \
            .offset(offset)
    items = [_stats(row, scope.assignments) for row in db_session.execute(stmt)]
    if session is not None:
        items = with_learner_dates(db_session, session, scope, items, now, tz)
    return Page(items, total, number, filters.per_page)


def all_learner_stats(db_session, session_id: int, scope: Scope,
                      filters: TrackingFilters, *, session: TrainingSession | None = None,
                      now: datetime | None = None, tz: ZoneInfo | None = None
                      ) -> list[LearnerStats]:
    """Every row of the table, searched and sorted as shown, in one query (the export);
    with ``session``, ``now`` and ``tz``, their own dates and late hand-ins (one more)."""
    rows = db_session.execute(tracking_statement(session_id, scope, filters))
    stats = [_stats(row, scope.assignments) for row in rows]
    if session is not None:
        stats = with_learner_dates(db_session, session, scope, stats, now, tz, every=True)
    return stats


# --- each learner's own dates -----------------------------------------------------


def access_until_text(rules: SessionRules, facts: LearnerFacts, now: datetime,
                      tz: ZoneInfo) -> str:
    """A learner's access end in words, naming what gave it: '20 Jul 2027 (extended by
    5 days)', '20 Jul 2027 (individual dates)', '8 Dec 2026 (30 days from the first
    access)', 'Not started' (duration mode, never came), 'Session dates'."""
    kind = learner_window_kind(rules, facts)
    if kind is WindowKind.ACCESS:
        return _("Session dates")
    if kind is WindowKind.DURATION and facts.first_access_at is None:
        return _("Not started")
    end = learner_window(rules, facts, now).end
    words = format_bound(end, tz, is_end=True) if end is not None else _("No end")
    extension = days_text(facts.extension_days)
    if kind is WindowKind.EXTENDED:
        return _("%(end)s (extended by %(days)s)", end=words, days=extension)
    if kind is WindowKind.INDIVIDUAL:
        return _("%(end)s (individual dates)", end=words)
    duration = days_text(rules.duration_days)
    if facts.extension_days:
        return _("%(end)s (%(duration)s from the first access, extended by %(days)s)",
                 end=words, duration=duration, days=extension)
    return _("%(end)s (%(duration)s from the first access)", end=words, duration=duration)


def with_learner_dates(db_session, session: TrainingSession, scope: Scope,
                       stats: list[LearnerStats], now: datetime, tz: ZoneInfo, *,
                       every: bool = False) -> list[LearnerStats]:
    """``stats`` with each learner's access end in words and their late hand-ins (in
    the courses of ``scope``), in one query: the hand-ins that have a due date, whose
    lateness depends on each learner's own dates (``due_dates.learner_due``). ``every``:
    ``stats`` holds every learner of the session, so the query need not name them."""
    if not stats:
        return stats
    rules = SessionRules.of(session)
    facts = {s.user_id: s.facts for s in stats}
    late = late_hand_ins(db_session, session.id, rules, scope, facts.get, now,
                         None if every else list(facts))
    return [replace(s, late=late.get(s.user_id, 0),
                    access_until=access_until_text(rules, s.facts, now, tz)) for s in stats]


def late_hand_ins(db_session, session_id: int, rules: SessionRules, scope: Scope,
                  facts_of, now: datetime, user_ids: list[int] | None = None
                  ) -> dict[int, int]:
    """Learner id -> their hand-ins after their own due date, in the courses of ``scope``,
    in one query: the hand-ins that have a due date, whose lateness depends on each
    learner's own dates (``due_dates.learner_due``). ``facts_of``: a learner's id -> their
    LearnerFacts (None: not counted); ``user_ids``: the learners to read (None: all)."""
    stmt = (
        select(Submission.user_id, Submission.assignment_id, Submission.submitted_at,
               AssignmentDue.due_at, AssignmentDue.due_days)
        .join(AssignmentDue, (AssignmentDue.session_id == Submission.session_id)
              & (AssignmentDue.assignment_id == Submission.assignment_id))
        .where(Submission.session_id == session_id,
               AssignmentDue.course_id.in_(scope.course_ids))
    )
    if user_ids is not None:
        stmt = stmt.where(Submission.user_id.in_(user_ids))
    late: dict[int, int] = {}
    for row in db_session.execute(stmt):
        learner = facts_of(row.user_id)
        if learner is None:
            continue
        rule = due_dates.DueRule(row.assignment_id, row.due_at, row.due_days)
        if due_dates.is_late(row.submitted_at, due_dates.learner_due(rule, rules, learner, now)):
            late[row.user_id] = late.get(row.user_id, 0) + 1
    return late


# The columns of tracking_statement, in order, as export_table unpacks them.
_EXPORTED = ["id", "first_name", "last_name", "username", "email", "first_at", "last_at",
             "seconds", "courses_visited", "handed_in", "average", "first_access_at",
             "extension_days", "own_start", "own_end", "suspended"]


def export_header(tz: ZoneInfo) -> list[str]:
    """The CSV export's header, in the reader's language (nothing reads the file back)."""
    return [_("Name"), _("Username"), _("E-mail"), _("First access (%(zone)s)", zone=tz.key),
            _("Last access (%(zone)s)", zone=tz.key), _("Time spent (minutes)"),
            _("Courses visited"), _("Assignments handed in"), _("Average grade (%)"),
            _("Progress (%)"), _("Access until"), _("Late hand-ins"), _("Suspended")]


def export_table(db_session, session: TrainingSession, scope: Scope, filters: TrackingFilters,
                 now: datetime, tz: ZoneInfo) -> tuple[list[str], list[list]]:
    """Header and rows of the export: every learner matching the search, in the order
    shown, with the figures of the table (raw cells: csv_export neutralises them; the
    worded ones in the reader's language). Two queries: the table's, and the hand-ins
    with a due date (the late ones).

    The rows are the query's tuples, turned into cells directly (no LearnerStats), and
    what many learners share is worded once: a time, a percentage, an access end."""
    # Through the connection: plain rows, without the ORM's pass over each one.
    result = db_session.connection().execute(tracking_statement(session.id, scope, filters))
    if list(result.keys()) != _EXPORTED:
        raise RuntimeError(f"tracking_statement's columns changed: {list(result.keys())}")
    rows = result.all()
    rules = SessionRules.of(session)
    by_id = {row.id: row for row in rows}

    def facts_of(user_id: int) -> LearnerFacts | None:
        row = by_id.get(user_id)
        return learner_facts_of(row) if row is not None else None

    late = late_hand_ins(db_session, session.id, rules, scope, facts_of, now)
    times = LocalMinutes(tz).texts(
        moment for row in rows for moment in (row.first_at, row.last_at))
    yes, duration_mode = _("yes"), rules.duration_days is not None
    assignments = scope.assignments
    shares: dict = {}  # a figure -> its cell
    progress: dict = {}  # hand-ins -> the progress cell
    ends: dict = {}  # what an access end depends on -> its words
    cells = []
    for row in rows:
        (user_id, first, last, username, email, first_at, last_at, seconds, visited,
         handed_in, average, first_access_at, extension_days, own_start, own_end,
         suspended) = row
        if average not in shares:  # the page's figure, as a number (figures.py rounds both)
            shares[average] = figures.file_value(
                figures.share(float(average) if average is not None else None))
        if handed_in not in progress:
            progress[handed_in] = figures.file_value(figures.share(
                handed_in * 100.0 / assignments if assignments else None))
        # The access end depends on the first access in duration mode only.
        end_key = (first_access_at if duration_mode else None, extension_days or 0,
                   own_start, own_end)
        if end_key not in ends:
            ends[end_key] = access_until_text(rules, learner_facts_of(row), now, tz)
        cells.append([
            # Not stripped: a name is exported as typed, and csv_export neutralises it.
            " ".join(part for part in (first, last) if part) or username,
            username, email, times[first_at], times[last_at],
            figures.file_value(figures.minutes_spent(int(seconds or 0), first_at is not None)),
            visited, handed_in, shares[average], progress[handed_in], ends[end_key],
            late.get(user_id, 0), yes if suspended else ""])
    return export_header(tz), cells
