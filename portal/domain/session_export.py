"""The admin session list as a CSV file: the rows the filters select, as people read them.

The first columns keep their names and order; their dates read as on the pages (an end
at midnight is its last day: "15 Jul 2027", any other bound with its time, in the
viewer's zone). Programs read the last columns instead: the same bounds as ISO 8601
instants in UTC, ends exclusive ("2027-07-15T22:00:00+00:00"), empty when unbounded.
"""

from collections.abc import Iterator
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from .dates import format_bound
from .session_list import STATUS_LABELS, SessionFilters, row_status, session_list_statement

BOUNDS = ("display_start", "display_end", "access_start", "access_end")
EXPORT_HEADER = ("Session name", "Category", "Display start", "Display end", "Access start",
                 "Access end", "Courses", "Learners", "Status",
                 "Display start (UTC, ISO 8601)", "Display end (UTC, ISO 8601)",
                 "Access start (UTC, ISO 8601)", "Access end (UTC, ISO 8601)")


def _for_people(moment: datetime | None, tz: ZoneInfo, *, is_end: bool) -> str:
    return format_bound(moment, tz, is_end=is_end) if moment else ""


def _for_programs(moment: datetime | None) -> str:
    return moment.astimezone(UTC).isoformat() if moment else ""


def export_rows(db, filters: SessionFilters, now: datetime, tz: ZoneInfo) -> Iterator[list]:
    """One list of cells per session of the filtered list (all pages), in its order,
    dates in ``tz``. The query runs now; its rows are read as the file is streamed."""
    result = db.execute(session_list_statement(filters, now, tz))
    return (_cells(row, now, tz) for row in result)


def _cells(row, now: datetime, tz: ZoneInfo) -> list:
    bounds = [getattr(row, name) for name in BOUNDS]
    return [row.name, row.category or "",
            *(_for_people(m, tz, is_end=name.endswith("_end")) for m, name in zip(
                bounds, BOUNDS, strict=True)),
            row.n_courses, row.n_learners, STATUS_LABELS[row_status(row, now)],
            *(_for_programs(m) for m in bounds)]
