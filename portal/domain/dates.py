"""Time zones and date entry: what users type and read, converted to and from UTC."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones


class DateInputError(ValueError):
    """A date the user typed that cannot be read; the message says how to write it."""


# Dates are refused, not accepted, outside these years: every page can show and compute
# with what is inside (zone shifts, day arithmetic, timelines never near datetime's own
# limits of years 1 and 9999), and a training session outside them is a typo.
FIRST_YEAR, LAST_YEAR = 1900, 2999
YEAR_OUT_OF_RANGE = (f"Use a year from {FIRST_YEAR} to {LAST_YEAR}; "
                     "leave a start or an end empty for no limit.")
# The extreme instants Python can convert to any zone (offsets stay under a day).
EARLIEST = datetime(1, 1, 2, tzinfo=UTC)
LATEST = datetime(9999, 12, 30, tzinfo=UTC)


def zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name) if name else ZoneInfo("UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def is_known_zone(name: str) -> bool:
    return name in available_zone_names()


_zone_names: tuple[str, ...] | None = None


def available_zone_names() -> tuple[str, ...]:
    global _zone_names
    if _zone_names is None:
        _zone_names = tuple(sorted(available_timezones() - {"localtime"}))
    return _zone_names


_FORMATS = ("%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S")


def parse_local(text: str, tz: ZoneInfo, *, is_end: bool) -> datetime | None:
    """Read a date or a date and time typed in ``tz`` and return it in UTC.

    A date alone means the start of that day for a start, and the end of that
    day (00:00 of the next day, exclusive) for an end. Empty means unbounded.
    Raises DateInputError for unreadable text and for a year outside FIRST_YEAR..LAST_YEAR.
    """
    text = (text or "").strip()
    if not text:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        day = None
    if day is not None:
        if not FIRST_YEAR <= day.year <= LAST_YEAR:
            raise DateInputError(YEAR_OUT_OF_RANGE)
        if is_end:
            day += timedelta(days=1)
        local = datetime.combine(day, time(0, 0))
    else:
        local = None
        for fmt in _FORMATS:
            try:
                local = datetime.strptime(text, fmt)  # noqa: DTZ007 - zone attached below
                break
            except ValueError:
                continue
        if local is None:
            raise DateInputError(
                "Write a date as 2026-03-31 or a date and time as 2026-03-31 14:30."
            )
        if not FIRST_YEAR <= local.year <= LAST_YEAR:
            raise DateInputError(YEAR_OUT_OF_RANGE)
    # fold=0 picks the first of two ambiguous wall times; a time skipped by a
    # daylight-saving jump is normalised forward by the round trip through UTC.
    return local.replace(tzinfo=tz).astimezone(UTC)


def _in_zone(moment: datetime, tz: ZoneInfo) -> datetime:
    """``moment`` in ``tz``; within a day of datetime's limits (a value stored before
    the year check) it stays in UTC rather than overflow."""
    try:
        return moment.astimezone(tz)
    except OverflowError:
        return moment.astimezone(UTC)


def shifted(moment: datetime, delta: timedelta) -> datetime:
    """``moment + delta`` kept between EARLIEST and LATEST (no OverflowError)."""
    if delta >= timedelta(0):
        return moment + delta if LATEST - moment > delta else max(moment, LATEST)
    return moment + delta if moment - EARLIEST > -delta else min(moment, EARLIEST)


def to_local(moment: datetime | None, tz: ZoneInfo) -> datetime | None:
    return _in_zone(moment, tz) if moment is not None else None


def format_local(moment: datetime | None, tz: ZoneInfo, *, with_time: bool = True) -> str:
    """'3 Dec 2026 at 09:00' in ``tz``; empty for None."""
    if moment is None:
        return ""
    local = _in_zone(moment, tz)
    day = f"{local.day} {local.strftime('%b %Y')}"
    return f"{day} at {local.strftime('%H:%M')}" if with_time else day


def input_value(moment: datetime | None, tz: ZoneInfo, *, is_end: bool) -> str:
    """The text to put back in a form field so that parse_local() gives ``moment`` again."""
    if moment is None:
        return ""
    local = _in_zone(moment, tz)
    if local.hour == 0 and local.minute == 0 and local.second == 0:
        if is_end and local.date() > date.min:
            return (local.date() - timedelta(days=1)).isoformat()
        return local.date().isoformat()
    return local.strftime("%Y-%m-%d %H:%M")


def humanize_delta(delta: timedelta) -> str:
    """'in 4 days', 'in 3 hours', 'in 12 minutes' for a positive delta."""
    seconds = int(delta.total_seconds())
    if seconds >= 2 * 86400:
        return f"{seconds // 86400} days"
    if seconds >= 86400:
        return "1 day"
    if seconds >= 7200:
        return f"{seconds // 3600} hours"
    if seconds >= 3600:
        return "1 hour"
    minutes = max(1, seconds // 60)
    return f"{minutes} minute" + ("s" if minutes != 1 else "")


def format_bound(moment: datetime, tz: ZoneInfo, *, is_end: bool) -> str:
    """A window bound as people read it: an end at midnight is the day before, inclusive."""
    local = _in_zone(moment, tz)
    if local.hour == 0 and local.minute == 0:
        day = shifted(local, -timedelta(days=1)) if is_end else local
        return format_local(day, tz, with_time=False)
    return format_local(moment, tz)


def date_range(start: datetime | None, end: datetime | None, tz: ZoneInfo) -> str:
    """'3 Dec 2026 – 10 Dec 2026', 'From 3 Dec 2026', 'Until …' or 'Always'."""
    if start is None and end is None:
        return "Always"
    if start is None:
        return "Until " + format_bound(end, tz, is_end=True)
    if end is None:
        return "From " + format_bound(start, tz, is_end=False)
    return f"{format_bound(start, tz, is_end=False)} – {format_bound(end, tz, is_end=True)}"
