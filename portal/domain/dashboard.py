"""The administration's home: what needs an administrator's eye this week.

Six queries whatever the size of the portal: one for the counts by status, one per list
of sessions (each capped at LIMIT rows, its full size counted in the same query) and
one for the recent imports. A session's dates and status are those of the admin list
(``admin_list_window``: the display window in duration mode), so a "see all" link to
the list filtered the same way shows the same sessions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, exists, func, not_, select

from ..models import (
    JournalEntry,
    MessageStatus,
    OutboxMessage,
    SessionCourse,
    SessionCourseCoach,
    TrainingSession,
    User,
)
from . import journal
from .access import Status, admin_list_window_columns
from .dates import format_local, parse_local
from .language import _
from .session_list import STATUSES, SessionFilters, filter_conditions

LIMIT = 10
SOON = timedelta(days=7)
RECENT_IMPORTS = timedelta(days=30)


@dataclass(frozen=True)
class SessionItem:
    """A session in a dashboard list, with the dates its status is read from."""

    id: int
    name: str
    start: datetime | None
    end: datetime | None
    duration_days: int | None


@dataclass(frozen=True)
class SessionGroup:
    """Up to LIMIT sessions, how many there are in all, and the list filters that show
    them all (None when the list cannot filter so)."""

    items: list[SessionItem]
    total: int
    see_all: dict | None = None


@dataclass(frozen=True)
class ImportItem:
    """An applied CSV import, read from the head entry its enrolment changes wrote."""

    id: int
    when: str
    who: str
    file: str
    sentence: str


@dataclass(frozen=True)
class Dashboard:
    counts: dict[str, int]  # STATUSES keys and "all"
    starting: SessionGroup
    ending: SessionGroup
    without_coach: SessionGroup
    without_courses: SessionGroup
    imports: list[ImportItem]
    failed_messages: int  # refused for good by the mail server: an admin should look


def dashboard(db, now: datetime, tz: ZoneInfo) -> Dashboard:
    last_day = (now + SOON).astimezone(tz).date().isoformat()
    starting = SessionFilters(status="upcoming", date_to=last_day, sort="starts")
    return Dashboard(
        counts=status_counts(db, now),
        starting=_group(db, filter_conditions(starting, now, tz), _window().start,
                        see_all=starting.args()),
        ending=_group(db, _ending_by(now, last_day, tz), _window().end),
        without_coach=_group(db, [_not_past(now), _without_active_coach()], _window().start),
        without_courses=_group(db, [_not_past(now), _without_courses()], _window().start),
        imports=recent_imports(db, now, tz),
        failed_messages=db.scalar(select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.status == MessageStatus.FAILED.value)) or 0,
    )


def _window():
    return admin_list_window_columns()


def status_counts(db, now: datetime) -> dict[str, int]:
    """How many sessions have each status of the list, and how many in all."""
    window = _window()
    columns = [func.coalesce(func.sum(case((window.status_condition(status, now), 1),
                                           else_=0)), 0).label(key)
               for key, status in STATUSES.items()]
    row = db.execute(select(*columns, func.count().label("all"))
                     .select_from(TrainingSession)).one()
    return dict(row._mapping)


def _group(db, conditions: list, order, *, see_all: dict | None = None) -> SessionGroup:
    window = _window()
    rows = db.execute(
        select(TrainingSession.id, TrainingSession.name, window.start.label("start"),
               window.end.label("end"), TrainingSession.duration_days,
               func.count().over().label("total"))
        .where(*conditions)
        .order_by(order, func.lower(TrainingSession.name), TrainingSession.id)
        .limit(LIMIT)
    ).all()
    items = [SessionItem(r.id, r.name, r.start, r.end, r.duration_days) for r in rows]
    return SessionGroup(items, rows[0].total if rows else 0, see_all)


def _ending_by(now: datetime, last_day: str, tz: ZoneInfo) -> list:
    """Active sessions whose dates end by the end of ``last_day`` (in ``tz``)."""
    window = _window()
    return [window.status_condition(Status.CURRENT, now), window.end.is_not(None),
            window.end <= parse_local(last_day, tz, is_end=True)]


def _not_past(now: datetime):
    return not_(_window().status_condition(Status.PAST, now))


def _without_active_coach():
    """No active account can coach it: its session coach is deactivated and no course
    of it has an active course coach. Such a session has nobody to grade its work."""
    ts = TrainingSession
    coach_active = exists().where(User.id == ts.coach_id, User.active.is_(True))
    course_coach_active = exists().where(SessionCourseCoach.session_id == ts.id,
                                         SessionCourseCoach.user_id == User.id,
                                         User.active.is_(True))
    # Two NOT EXISTS, not NOT (a OR b): each becomes an anti-join on PostgreSQL, where the
    # OR tested every session against a hash of all the active users (20 ms at 50,000).
    return and_(not_(coach_active), not_(course_coach_active))


def _without_courses():
    return not_(exists().where(SessionCourse.session_id == TrainingSession.id))


def recent_imports(db, now: datetime, tz: ZoneInfo) -> list[ImportItem]:
    """The last LIMIT CSV imports applied in the last 30 days, newest first: the head
    entries of the enrolment changes made "by import" (see journal.ACTIONS)."""
    entry = JournalEntry
    rows = db.scalars(
        select(entry)
        .where(entry.parent_id.is_(None), entry.object_type == "enrolments",
               entry.action == "change", entry.at >= now - RECENT_IMPORTS,
               entry.after["how"].as_string() == "import")
        .order_by(entry.id.desc())
        .limit(LIMIT)
    ).all()
    # The whole sentence, its author in it: a name glued before a sentence would not
    # read right in every language.
    return [ImportItem(row.id, format_local(row.at, tz), row.actor_name or _("Someone"),
                       (row.after or {}).get("file", ""), journal.sentence(row, tz))
            for row in rows]
