"""The admin session list: filters, sorting and counts in one statement."""

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import case, func, select
from sqlalchemy.sql import Select

from ..models import SessionCategory, SessionCourse, TrainingSession
from . import keyset
from .access import (
    Status,
    Window,
    admin_list_window,
    admin_list_window_columns,
    list_status,
    session_learners_span,
)
from .dates import parse_local, read_range
from .keyset import Key
from .language import lazy_gettext as _l
from .pagination import Page, read_page_args
from .text_search import clean_search

# The columns' sorts, and "starts" / "ends": by the dates the status is read from
# (admin_list_window), for links such as the dashboard's "see all".
SORTS = ("name", "category", "display", "access", "courses", "learners", "status", "starts",
         "ends")
STATUSES = {"active": Status.CURRENT, "upcoming": Status.UPCOMING, "past": Status.PAST}
STATUS_LABELS = {Status.CURRENT: _l("Active"), Status.UPCOMING: _l("Upcoming"),
                 Status.PAST: _l("Past")}
DATE_MAX = 40  # characters of a typed date kept (a date and time with its offset is 25)


@dataclass(frozen=True)
class SessionFilters:
    q: str = ""
    category: int | None = None
    status: str = ""
    date_from: str = ""
    date_to: str = ""
    sort: str = "name"
    direction: str = "asc"
    page: int = 1
    per_page: int = 25
    # Messages about dates that were not applied (unreadable, or From after To), and
    # the dates as typed, so the filter bar shows them to be corrected.
    errors: tuple[str, ...] = ()
    typed_from: str = ""
    typed_to: str = ""

    @classmethod
    def from_args(cls, args, tz: ZoneInfo) -> "SessionFilters":
        """Read the filters from query arguments, dates typed in ``tz``. Unknown choices
        are ignored; dates that cannot apply are reported in ``errors`` and ignored."""
        page, per_page = read_page_args(args)
        dates, errors = _read_dates(args, tz)
        try:
            category = int(args.get("category") or 0) or None
        except ValueError:
            category = None
        if category is not None and not 0 < category < 2**31:  # no id is that large
            category = None
        status = args.get("status", "")
        sort = args.get("sort", "name")
        return cls(
            q=args.get("q", "").strip()[:200],
            category=category,
            status=status if status in STATUSES else "",
            date_from=dates["from"],
            date_to=dates["to"],
            sort=sort if sort in SORTS else "name",
            direction="desc" if args.get("dir") == "desc" else "asc",
            page=page,
            per_page=per_page,
            errors=errors,
            typed_from=clean_search(args.get("from"), DATE_MAX),
            typed_to=clean_search(args.get("to"), DATE_MAX),
        )

    @property
    def narrows(self) -> bool:
        """True when a filter leaves sessions out (sorting and page size do not)."""
        return bool(self.q or self.category or self.status or self.date_from or self.date_to)

    def args(self, **changes) -> dict:
        """Query arguments for a link to these filters with ``changes`` applied."""
        f = replace(self, **changes)
        out = {"q": f.q, "category": f.category or "", "status": f.status, "from": f.date_from,
               "to": f.date_to, "sort": f.sort, "dir": f.direction, "page": f.page,
               "per_page": f.per_page}
        defaults = {"sort": "name", "dir": "asc", "page": 1, "per_page": 25}
        return {k: v for k, v in out.items() if v not in ("", None) and defaults.get(k) != v}

    def sort_args(self, column: str) -> dict:
        """Link arguments to sort by ``column``; a second click reverses the order."""
        direction = "desc" if self.sort == column and self.direction == "asc" else "asc"
        return self.args(sort=column, direction=direction, page=1)


def _read_dates(args, tz: ZoneInfo) -> tuple[dict[str, str], tuple[str, ...]]:
    """The From and To texts that apply (written as in the session forms; neither when the
    From is not before the To), and the messages about those that do not."""
    dates = read_range(clean_search(args.get("from"), DATE_MAX),
                       clean_search(args.get("to"), DATE_MAX), tz)
    if not dates.applies:
        return {"from": "", "to": ""}, dates.errors
    return {"from": dates.date_from, "to": dates.date_to}, dates.errors


def courses_count():
    return (
        select(func.count()).where(SessionCourse.session_id == TrainingSession.id)
        .correlate(TrainingSession).scalar_subquery()
    )


def learners_count():
    """Learners of the session: the count the enrolment triggers keep (see the model)."""
    return TrainingSession.learner_count


def filter_conditions(filters: SessionFilters, now: datetime, tz: ZoneInfo) -> list:
    """The WHERE conditions of ``filters`` over ``training_session``."""
    conditions = []
    if filters.q:
        escaped = filters.q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        conditions.append(func.lower(TrainingSession.name).like(f"%{escaped}%", escape="\\"))
    if filters.category:
        conditions.append(TrainingSession.category_id == filters.category)
    window = admin_list_window_columns()  # the dates the Status column is read from
    if filters.status:
        conditions.append(window.status_condition(STATUSES[filters.status], now))
    if filters.date_from or filters.date_to:  # that window meets the dates chosen
        since = parse_local(filters.date_from, tz, is_end=False) if filters.date_from else None
        until = parse_local(filters.date_to, tz, is_end=True) if filters.date_to else None
        conditions.append(window.overlaps(Window(since, until)))
    return conditions


DATE_SORTS = ("display", "access", "starts", "ends")
# Stands in for a missing date in a keyset (NULLs first going up, last going down, as
# the list's NULLS FIRST / NULLS LAST).
EARLIEST = datetime(1, 1, 1, tzinfo=UTC)


def _sort_expression(sort: str, now: datetime, n_courses):
    window = admin_list_window_columns()
    if sort == "status":
        return case(
            (window.status_condition(Status.UPCOMING, now), 1),
            (window.status_condition(Status.PAST, now), 2),
            else_=0,
        )
    return {
        "name": func.lower(TrainingSession.name),
        "category": func.lower(func.coalesce(SessionCategory.name, "")),
        "display": TrainingSession.display_start,
        "access": TrainingSession.access_start,
        "courses": n_courses,
        "learners": learners_count(),
        "starts": window.start,
        "ends": window.end,
    }[sort]


def _order(filters: SessionFilters, now: datetime, n_courses) -> list:
    order = _sort_expression(filters.sort, now, n_courses)
    order = order.desc() if filters.direction == "desc" else order.asc()
    if filters.sort in DATE_SORTS:
        order = order.nulls_first() if filters.direction == "asc" else order.nulls_last()
    return [order, TrainingSession.name, TrainingSession.id]


def list_order(filters: SessionFilters, now: datetime) -> list:
    """The list's ORDER BY for a statement over ``training_session`` (joined to its
    category when sorted by it), as session_list_statement orders its rows."""
    return _order(filters, now, courses_count())


def sort_keys(filters: SessionFilters, now: datetime) -> list[Key]:
    """The list's order as keyset keys (the same order as ``_order``): the sort, then the
    name and the id."""
    kind = {"name": "text", "category": "text", **dict.fromkeys(DATE_SORTS, "instant")}
    return [
        Key(_sort_expression(filters.sort, now, courses_count()),
            kind.get(filters.sort, "int"), filters.direction == "desc",
            EARLIEST if filters.sort in DATE_SORTS else None),
        Key(TrainingSession.name, "text"),
        Key(TrainingSession.id, "int"),
    ]


def sessions_after(db_session, filters: SessionFilters, now: datetime, tz: ZoneInfo,
                   after_values: list | None, limit: int) -> list:
    """Up to ``limit`` rows of session_list_statement (with the keyset columns of
    ``sort_keys``) that come after ``after_values`` in the list's order; one query."""
    keys = sort_keys(filters, now)
    stmt = session_list_statement(filters, now, tz).order_by(None) \
        .add_columns(*keyset.columns(keys)).order_by(*(key.order_by() for key in keys))
    if after_values is not None:
        stmt = stmt.where(keyset.after(keys, after_values))
    return db_session.execute(stmt.limit(limit)).all()


def session_list_statement(filters: SessionFilters, now: datetime, tz: ZoneInfo,
                           only_ids: Select | None = None) -> Select:
    """Rows of session columns, category name, course and learner counts; filtered, sorted.

    ``only_ids``: a statement of session ids to restrict the rows to (one page of them).
    """
    n_courses = courses_count().label("n_courses")
    stmt = select(
        TrainingSession.id,
        TrainingSession.name,
        SessionCategory.name.label("category"),
        TrainingSession.display_start,
        TrainingSession.display_end,
        TrainingSession.access_start,
        TrainingSession.access_end,
        TrainingSession.coach_start,
        TrainingSession.coach_end,
        TrainingSession.duration_days,
        TrainingSession.learners_span,
        TrainingSession.learners_start,
        TrainingSession.learners_end,
        n_courses,
        learners_count().label("n_learners"),
    ).outerjoin(SessionCategory, SessionCategory.id == TrainingSession.category_id)
    if only_ids is not None:
        stmt = stmt.where(TrainingSession.id.in_(only_ids))
    else:
        stmt = stmt.where(*filter_conditions(filters, now, tz))
    return stmt.order_by(*_order(filters, now, n_courses))


def session_list_page(db_session, filters: SessionFilters, now: datetime, tz: ZoneInfo) -> Page:
    """One page of session_list_statement, in two queries whatever the number of sessions.

    The count and the choice of the page's ids run on the sessions alone; the course
    count (a subquery per row) is computed for the page's rows only, unless the list
    is sorted by it. A page past the end shows the last page.
    """
    conditions = filter_conditions(filters, now, tz)
    total = db_session.scalar(select(func.count()).select_from(TrainingSession)
                              .where(*conditions))
    pages = max(1, -(-total // filters.per_page))
    page = min(filters.page, pages)
    ids = select(TrainingSession.id).where(*conditions)
    if filters.sort == "category":
        ids = ids.outerjoin(SessionCategory, SessionCategory.id == TrainingSession.category_id)
    ids = (ids.order_by(*_order(filters, now, courses_count()))
           .limit(filters.per_page).offset((page - 1) * filters.per_page))
    rows = db_session.execute(session_list_statement(filters, now, tz, only_ids=ids)).all()
    return Page(rows, total, page, filters.per_page)


def row_status(row, now: datetime) -> Status:
    """The Status column of a row of session_list_statement (or of a TrainingSession, which
    has the same attributes): what the status filter selects (``admin_list_window``; in
    duration mode, the display window)."""
    window = admin_list_window(Window(row.access_start, row.access_end),
                               Window(row.display_start, row.display_end), row.duration_days,
                               session_learners_span(row))
    return list_status(window, now)
