"""The admin session list as a CSV file: the rows the filters select, as people read them."""

from collections.abc import Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

from .session_list import STATUS_LABELS, SessionFilters, row_status, session_list_statement

EXPORT_HEADER = ("Session name", "Category", "Display start", "Display end", "Access start",
                 "Access end", "Courses", "Learners", "Status")


def _local(moment: datetime | None, tz: ZoneInfo) -> str:
    return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M") if moment else ""


def export_rows(db, filters: SessionFilters, now: datetime, tz: ZoneInfo) -> Iterator[list]:
    """One list of cells per session of the filtered list (all pages), in its order,
    dates in ``tz``. The query runs now; its rows are read as the file is streamed."""
    result = db.execute(session_list_statement(filters, now, tz))
    return (_cells(row, now, tz) for row in result)


def _cells(row, now: datetime, tz: ZoneInfo) -> list:
    return [row.name, row.category or "", _local(row.display_start, tz),
            _local(row.display_end, tz), _local(row.access_start, tz),
            _local(row.access_end, tz), row.n_courses, row.n_learners,
            STATUS_LABELS[row_status(row, now)]]
