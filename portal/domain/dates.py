"""Time zones and date entry: what users type and read, converted to and from UTC."""

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from babel.dates import format_date

from .language import current_code, language, ngettext
from .language import gettext as _
from .language import lazy_gettext as _l


class DateInputError(ValueError):
    """A date the user typed that cannot be read; the message says how to write it."""


# Dates are refused, not accepted, outside these years: every page can show and compute
# with what is inside (zone shifts, day arithmetic, timelines never near datetime's own
# limits of years 1 and 9999), and a training session outside them is a typo.
FIRST_YEAR, LAST_YEAR = 1900, 2999
YEAR_OUT_OF_RANGE = _l("Use a year from %(first)s to %(last)s; leave a start or an end empty "
                       "for no limit.", first=FIRST_YEAR, last=LAST_YEAR)
# The extreme instants Python can convert to any zone (offsets stay under a day).
EARLIEST = datetime(1, 1, 2, tzinfo=UTC)
LATEST = datetime(9999, 12, 30, tzinfo=UTC)


# Kept alive here: ZoneInfo's own cache holds few zones strongly, and reading a zone's
# file again cost the profile page's list of 300 zones 50 ms.
@lru_cache(maxsize=1024)
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
# A date and time followed by an explicit UTC offset: how an admin names one of the two
# instants of a wall time that happens twice ("2026-10-25 02:30 +01:00").
_WITH_OFFSET = re.compile(
    r"(?P<local>\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(?::\d{2})?)\s*"
    r"(?P<offset>Z|UTC|[+-]\d{2}(?::?\d{2})?)", re.IGNORECASE | re.ASCII)
# Besides ISO dates, each language's own short form: month first in (US) English, day
# first in French and Spanish. "31/03/2027" and "03/31/2027" are read accordingly.
DAY_ORDER = {"en": "mdy", "fr": "dmy", "es": "dmy"}
_LOCAL_FORM = re.compile(r"(?P<a>\d{1,2})/(?P<b>\d{1,2})/(?P<year>\d{4})"
                         r"(?:[ T](?P<time>\d{1,2}:\d{2}(?::\d{2})?))?", re.ASCII)
_EXAMPLE_DAY = date(2026, 3, 31)


def local_form(day: date) -> str:
    """``day`` in the current language's short form: '03/31/2027', '31/03/2027'."""
    if DAY_ORDER.get(current_code(), "dmy") == "mdy":
        return f"{day.month:02d}/{day.day:02d}/{day.year}"
    return f"{day.day:02d}/{day.month:02d}/{day.year}"


def date_forms_hint() -> str:
    """What a date field accepts, in the current language: 'A date (2027-03-31 or
    03/31/2026) or a date and time (2026-03-31 14:30).'"""
    return _("A date (%(iso)s or %(local)s) or a date and time (%(iso)s 14:30).",
             iso=_EXAMPLE_DAY.isoformat(), local=local_form(_EXAMPLE_DAY))


def unreadable_message() -> str:
    return _("Write a date as %(iso)s or %(local)s, or a date and time as %(iso)s 14:30.",
             iso=_EXAMPLE_DAY.isoformat(), local=local_form(_EXAMPLE_DAY))


def _local_form_text(text: str) -> str | None:
    """``text`` written in the language's short form, rewritten as ISO (None if it is
    not in that form; DateInputError for a day that does not exist)."""
    found = _LOCAL_FORM.fullmatch(text)
    if not found:
        return None
    first, second = int(found["a"]), int(found["b"])
    month, day = (first, second) if DAY_ORDER.get(current_code(), "dmy") == "mdy" \
        else (second, first)
    try:
        iso = date(int(found["year"]), month, day).isoformat()
    except ValueError:
        raise DateInputError(unreadable_message()) from None
    return f"{iso} {found['time']}" if found["time"] else iso
OFFSET_RANGE = _l("Write a UTC offset from -18:00 to +18:00, e.g. +01:00.")


class NonexistentTimeError(DateInputError):
    """A wall time skipped when the clocks go forward: no instant has it."""


class AmbiguousTimeError(DateInputError):
    """A wall time that happens twice when the clocks go back: the offset says which."""


def parse_local(text: str, tz: ZoneInfo, *, is_end: bool) -> datetime | None:
    """Read a date or a date and time typed in ``tz`` and return it in UTC.

    A date alone means the start of that day for a start, and the end of that
    day (00:00 of the next day, exclusive) for an end. Empty means unbounded.
    A date and time may end with a UTC offset (``+01:00``, ``-0500``, ``Z``): then it
    names that instant whatever ``tz`` is.
    Raises DateInputError for unreadable text and for a year outside FIRST_YEAR..LAST_YEAR;
    NonexistentTimeError for a time the clocks skip in ``tz`` and AmbiguousTimeError
    for one they show twice (unless an offset is given), never moving it silently.
    """
    text = (text or "").strip()
    if not text:
        return None
    text = _local_form_text(text) or text
    try:
        day = date.fromisoformat(text)
    except ValueError:
        day = None
    if day is not None:
        if not FIRST_YEAR <= day.year <= LAST_YEAR:
            raise DateInputError(str(YEAR_OUT_OF_RANGE))
        if is_end:
            day += timedelta(days=1)
        return day_start(day, tz)
    offset = None
    with_offset = _WITH_OFFSET.fullmatch(text)
    if with_offset:
        text, offset = with_offset["local"], _offset(with_offset["offset"])
    local = _wall_time(text)
    if not FIRST_YEAR <= local.year <= LAST_YEAR:
        raise DateInputError(str(YEAR_OUT_OF_RANGE))
    if offset is not None:
        return local.replace(tzinfo=timezone(offset)).astimezone(UTC)
    if is_nonexistent(local, tz):
        raise NonexistentTimeError(nonexistent_message(local, tz))
    if is_ambiguous(local, tz):
        raise AmbiguousTimeError(ambiguous_message(local, tz))
    return local.replace(tzinfo=tz).astimezone(UTC)


def _wall_time(text: str) -> datetime:
    if len(text) == 15 and text[10] == " ":  # "2027-03-31 9:30" from "31/03/2027 9:30"
        text = f"{text[:11]}0{text[11:]}"
    for fmt in _FORMATS:
        try:
            return datetime.strptime(text, fmt)  # noqa: DTZ007 - a wall time, zone given later
        except ValueError:
            continue
    raise DateInputError(unreadable_message())


def _offset(text: str) -> timedelta:
    if text.upper() in ("Z", "UTC"):
        return timedelta(0)
    digits = text[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:] or 0)
    if hours > 18 or minutes > 59 or (hours == 18 and minutes):
        raise DateInputError(str(OFFSET_RANGE))
    size = timedelta(hours=hours, minutes=minutes)
    return -size if text[0] == "-" else size


def day_start(day: date, tz: ZoneInfo) -> datetime:
    """The first instant of ``day`` in ``tz``, in UTC (01:00 where midnight is skipped)."""
    return datetime.combine(day, time(0, 0)).replace(tzinfo=tz).astimezone(UTC)


# --- wall times that the clock changes skip or repeat -----------------------------------


def _as_utc(local: datetime, tz: ZoneInfo, fold: int) -> datetime:
    return local.replace(tzinfo=tz, fold=fold).astimezone(UTC)


def is_nonexistent(local: datetime, tz: ZoneInfo) -> bool:
    """True when the clocks of ``tz`` skip the wall time ``local`` (naive): its round
    trip through UTC comes back as another wall time."""
    return _as_utc(local, tz, 0).astimezone(tz).replace(tzinfo=None) != local


def is_ambiguous(local: datetime, tz: ZoneInfo) -> bool:
    """True when the clocks of ``tz`` show ``local`` (naive) twice: the first and the
    second reading (fold 0 and 1) are different instants."""
    return not is_nonexistent(local, tz) and _as_utc(local, tz, 0) != _as_utc(local, tz, 1)


@dataclass(frozen=True)
class ClockChange:
    """A change of the clocks of a zone: at ``at`` (UTC) they go from ``before`` (the
    wall time they would have reached) to ``after``."""

    at: datetime
    before: datetime
    after: datetime


def clock_change_near(local: datetime, tz: ZoneInfo) -> ClockChange:
    """The change that skips or repeats ``local`` (naive, nonexistent or ambiguous)."""
    low, high = sorted((_as_utc(local, tz, 0), _as_utc(local, tz, 1)))
    offset_after = high.astimezone(tz).utcoffset()
    # ``low`` has the old offset and ``high`` the new one: halve the gap to the second.
    while high - low > timedelta(seconds=1):
        middle = low + timedelta(seconds=max(1, int((high - low).total_seconds()) // 2))
        if middle.astimezone(tz).utcoffset() == offset_after:
            high = middle
        else:
            low = middle
    offset_before = low.astimezone(tz).utcoffset()
    naive = high.replace(tzinfo=None)
    return ClockChange(high, naive + offset_before, naive + offset_after)


def _hm(moment: datetime) -> str:
    return moment.strftime("%H:%M")


def _change_text(change: ClockChange) -> str:
    """'from 02:00 to 03:00', with the days when the change skips or repeats a date."""
    if change.before.date() == change.after.date():
        return _("from %(before)s to %(after)s", before=_hm(change.before),
                 after=_hm(change.after))
    return _("from %(before)s on %(before_day)s to %(after)s on %(after_day)s",
             before=_hm(change.before), before_day=day_text(change.before.date()),
             after=_hm(change.after), after_day=day_text(change.after.date()))


def _typed(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M")


def _offset_text(moment: datetime) -> str:
    minutes = int(moment.utcoffset().total_seconds()) // 60
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def nonexistent_message(local: datetime, tz: ZoneInfo) -> str:
    """'02:30 on 28 Mar 2027 does not exist in Europe/Paris: clocks go forward from 02:00
    to 03:00. Write 2027-03-28 03:30 (02:30 by the clock before the change) or another time.'"""
    change = clock_change_near(local, tz)
    moved = _as_utc(local, tz, 0).astimezone(tz)
    return _("%(time)s on %(day)s does not exist in %(zone)s: clocks go forward %(change)s. "
             "Write %(instead)s (%(time)s by the clock before the change) or another time.",
             time=_hm(local), day=day_text(local.date()), zone=tz.key,
             change=_change_text(change), instead=_typed(moved))


def _reading(moment: datetime, other: datetime) -> str:
    """'summer time, CEST' for the reading of an ambiguous time whose zone is on
    daylight saving, 'winter time, CET' for the other one; the abbreviation alone when
    the change is not a daylight-saving one."""
    name = moment.tzname() or ""
    name = name if name.isalpha() else ""
    if moment.dst() != other.dst():
        summer = moment.dst() > other.dst()
        if name:
            return (_("summer time, %(name)s", name=name) if summer
                    else _("winter time, %(name)s", name=name))
        return _("summer time") if summer else _("winter time")
    return name or f"UTC{_offset_text(moment)}"


def ambiguous_message(local: datetime, tz: ZoneInfo) -> str:
    """'02:30 on 25 Oct 2026 happens twice in Europe/Paris: ... Write 2026-10-25 02:30
    +02:00 for the first (summer time, CEST; 00:30 UTC) or ... +01:00 for the second ...'"""
    change = clock_change_near(local, tz)
    first = _as_utc(local, tz, 0).astimezone(tz)
    second = _as_utc(local, tz, 1).astimezone(tz)

    def spelling(moment, other) -> str:
        utc = moment.astimezone(UTC)
        return _("%(typed)s %(offset)s (%(reading)s; %(utc)s UTC)", typed=_typed(local),
                 offset=_offset_text(moment), reading=_reading(moment, other), utc=_hm(utc))

    return _("%(time)s on %(day)s happens twice in %(zone)s: clocks go back %(change)s. "
             "Write %(first)s for the first or %(second)s for the second.",
             time=_hm(local), day=day_text(local.date()), zone=tz.key,
             change=_change_text(change), first=spelling(first, second),
             second=spelling(second, first))


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




def days_text(count: int) -> str:
    """'1 day', '5 days' ('1 jour', '5 días')."""
    return ngettext("%(num)s day", "%(num)s days", count)


def day_text(day: date, *, with_year: bool = True) -> str:
    """'3 Dec 2026', or '3 Dec' without the year ('3 déc. 2026', '3 dic 2026'), in the
    current language."""
    return _day_text(day, with_year, current_code())


@lru_cache(maxsize=8192)
def _day_text(day: date, with_year: bool, code: str) -> str:
    # Babel's formatting costs tens of microseconds; an export of 10,000 sessions shows
    # a few hundred distinct days, so each is formatted once.
    return format_date(day, "d MMM y" if with_year else "d MMM", locale=language(code).locale)


def at_time(day: str, clock: str) -> str:
    """A day and a time of day: '3 Dec 2026 at 09:00', '3 déc. 2026 à 09:00',
    '3 dic 2026, 09:00'."""
    return _("%(day)s at %(time)s", day=day, time=clock)


def format_local(moment: datetime | None, tz: ZoneInfo, *, with_time: bool = True) -> str:
    """An instant that is not a window bound (a hand-in, a login, a journal entry):
    '3 Dec 2026 at 09:00' in ``tz``; empty for None. Bounds go through format_bound."""
    if moment is None:
        return ""
    local = _in_zone(moment, tz)
    day = day_text(local.date())
    return at_time(day, local.strftime("%H:%M")) if with_time else day


def is_day_start(moment: datetime, tz: ZoneInfo) -> bool:
    """True when ``moment`` is the first instant of its day in ``tz`` (local midnight):
    a bound typed as a date alone."""
    local = _in_zone(moment, tz)
    try:
        return day_start(local.date(), tz) == moment
    except OverflowError:
        return local.hour == local.minute == local.second == local.microsecond == 0


def bound_day(moment: datetime, tz: ZoneInfo, *, is_end: bool) -> date | None:
    """The day a bound stands for when it is a whole day, else None: a start at local
    midnight is that day; an end at local midnight (exclusive) is the day before."""
    if not is_day_start(moment, tz):
        return None
    day = _in_zone(moment, tz).date()
    return day - timedelta(days=1) if is_end and day > date.min else day


def format_bound(moment: datetime, tz: ZoneInfo, *, is_end: bool, with_year: bool = True) -> str:
    """THE wording of a window bound, for every reader: pages, fragments, e-mails and
    other messages, CSV exports, calendar descriptions. In ``tz``: a bound at local
    midnight is a day ('15 Jul 2027'; for an end the last included day, since ends are
    exclusive), any other instant keeps its time ('3 Dec 2026 at 09:00').
    Phrases (until_text, ended_text, opens_text, date_range) are built on it."""
    day = bound_day(moment, tz, is_end=is_end)
    if day is not None:
        return day_text(day, with_year=with_year)
    local = _in_zone(moment, tz)
    return at_time(day_text(local.date(), with_year=with_year), local.strftime("%H:%M"))


def _shown_year(moment: datetime, tz: ZoneInfo, *, is_end: bool) -> int:
    day = bound_day(moment, tz, is_end=is_end)
    return day.year if day is not None else _in_zone(moment, tz).year


def until_text(end: datetime, tz: ZoneInfo) -> str:
    """'until 15 Jul 2027' (the whole of 15 Jul), 'until 15 Jul 2027 at 09:30'."""
    return _("until %(bound)s", bound=format_bound(end, tz, is_end=True))


def ended_text(end: datetime, tz: ZoneInfo) -> str:
    """'ended on 24 Nov 2026' (the last day it was open), 'ended on 3 Dec 2026 at 09:00'."""
    return _("ended on %(bound)s", bound=format_bound(end, tz, is_end=True))


def opens_text(start: datetime, tz: ZoneInfo) -> str:
    """'opens on 3 Dec 2026', 'opens on 3 Dec 2026 at 09:00'."""
    return _("opens on %(bound)s", bound=format_bound(start, tz, is_end=False))


def window_words(start: datetime | None, end: datetime | None, tz: ZoneInfo) -> str:
    """A window in words, lower case: 'always', 'from 3 Dec 2026', 'until 15 Jul 2027',
    '13 Oct – 24 Nov 2026' (the year once when both days are in it), '3 Dec 2026 –
    10 Jan 2027', '3 Dec 2026' (one whole day), '3 Dec 2026 at 09:00 – 17:00'."""
    if start is None and end is None:
        return _("always")
    if start is None:
        return until_text(end, tz)
    if end is None:
        return _("from %(bound)s", bound=format_bound(start, tz, is_end=False))
    first = bound_day(start, tz, is_end=False)
    last = bound_day(end, tz, is_end=True)
    if first is not None and first == last:
        return day_text(first)
    last_text = format_bound(end, tz, is_end=True)
    if first is None and last is None:
        local_start, local_end = _in_zone(start, tz), _in_zone(end, tz)
        if local_start.date() == local_end.date():
            return f"{format_bound(start, tz, is_end=False)} – {local_end.strftime('%H:%M')}"
    same_year = _shown_year(start, tz, is_end=False) == _shown_year(end, tz, is_end=True)
    return f"{format_bound(start, tz, is_end=False, with_year=not same_year)} – {last_text}"


def date_range(start: datetime | None, end: datetime | None, tz: ZoneInfo) -> str:
    """window_words with a capital: 'Always', 'From 3 Dec 2026', 'Until 15 Jul 2027',
    '13 Oct – 24 Nov 2026'."""
    words = window_words(start, end, tz)
    return words[0].upper() + words[1:]


def input_value(moment: datetime | None, tz: ZoneInfo, *, is_end: bool) -> str:
    """The text to put back in a form field so that parse_local() gives ``moment`` again:
    a date alone for a bound at local midnight (an end: the last included day), a wall
    time with its UTC offset when that wall time happens twice in ``tz``."""
    if moment is None:
        return ""
    day = bound_day(moment, tz, is_end=is_end)
    if day is not None:
        return day.isoformat()
    local = _in_zone(moment, tz)
    text = _typed(local)
    if is_ambiguous(local.replace(tzinfo=None), tz):
        text += " " + _offset_text(local)
    return text


_CLOCK_TEXTS = tuple(f"{minute // 60:02d}:{minute % 60:02d}" for minute in range(24 * 60))


class LocalMinutes:
    """Instants as exports write them for programs to read, in one zone: '2026-12-03 09:00'
    (``strftime("%Y-%m-%d %H:%M")`` of the local time), each day's part written once."""

    def __init__(self, tz: ZoneInfo):
        self.tz = tz

    def texts(self, moments) -> dict:
        """Each of ``moments`` (aware, or naive UTC) -> its text; None -> ''."""
        out: dict = {None: ""}
        days: dict[date, str] = {}
        for moment in set(moments):
            if moment is None:
                continue
            aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
            local = aware.astimezone(self.tz)
            day = local.date()
            text = days.get(day)
            if text is None:
                text = days[day] = day.strftime("%Y-%m-%d ")
            out[moment] = text + _CLOCK_TEXTS[local.hour * 60 + local.minute]
        return out


class InputValues:
    """``input_value`` for the many bounds of an export, all in one zone: the same texts,
    each instant's worked out once (``texts``), with the zone's offset looked up once per
    UTC day and each local day's ISO form written once.

    Only a UTC day with no change of the clocks within two days of it takes the short way
    (there every local midnight exists once and no wall time happens twice, so an instant
    is a day's first when its local time is 00:00); any other, or a year strftime would
    write differently, goes through ``input_value`` itself."""

    def __init__(self, tz: ZoneInfo):
        self.tz = tz
        self._offsets: dict[date, timedelta | None] = {}  # UTC day -> its steady offset
        self._days: dict[date, tuple[str, str]] = {}  # local day -> its ISO, the day before's

    def texts(self, moments, *, is_end: bool) -> dict:
        """Each of ``moments`` (aware, or naive UTC as the database keeps it: an export
        may read its columns raw) -> its text; None -> ''. The rows then read their cells
        with a subscript."""
        out = {None: ""}
        offsets, days = self._offsets, self._days
        for moment in set(moments):
            if moment is None:
                continue
            naive = moment if moment.tzinfo is None \
                else moment.astimezone(UTC).replace(tzinfo=None)
            utc_day = naive.date()
            offset = offsets.get(utc_day, False)
            if offset is False:
                offset = offsets[utc_day] = self._steady_offset(utc_day)
            if offset is None:
                out[moment] = input_value(naive.replace(tzinfo=UTC), self.tz, is_end=is_end)
                continue
            local = naive + offset
            day = local.date()
            isos = days.get(day)
            if isos is None:
                isos = days[day] = (day.isoformat(), (day - timedelta(days=1)).isoformat())
            if not (local.hour or local.minute or local.second or local.microsecond):
                out[moment] = isos[1] if is_end else isos[0]  # an end: the day before
            else:  # as _typed writes it: the minute, seconds dropped
                out[moment] = f"{isos[0]} {_CLOCK_TEXTS[local.hour * 60 + local.minute]}"
        return out

    def _steady_offset(self, utc_day: date) -> timedelta | None:
        """The zone's offset on ``utc_day`` when it is the same from two days before to
        three days after (its local days and their neighbours then have no clock change),
        else None; None too for a year not written with four digits."""
        if not 1001 <= utc_day.year <= 9997:
            return None
        midnight = datetime.combine(utc_day, time(0), tzinfo=UTC)
        offsets = {(midnight + timedelta(days=days)).astimezone(self.tz).utcoffset()
                   for days in range(-2, 4)}
        return offsets.pop() if len(offsets) == 1 else None


def humanize_delta(delta: timedelta) -> str:
    """'4 days', '3 hours', '12 minutes' for a positive delta (the phrases around it say
    'in …' or '… left'), in the current language."""
    seconds = int(delta.total_seconds())
    if seconds >= 86400:
        return days_text(seconds // 86400)
    if seconds >= 3600:
        return ngettext("%(num)s hour", "%(num)s hours", seconds // 3600)
    return ngettext("%(num)s minute", "%(num)s minutes", max(1, seconds // 60))


FROM_AFTER_TO = _l("“From” must be before “To”: the dates are not applied.")


@dataclass(frozen=True)
class TypedRange:
    """A From–To filter of a list as typed: the texts that read (empty for one that does
    not, or was left empty), the messages about the others, and whether the range applies
    (False when From is not before To)."""

    date_from: str
    date_to: str
    errors: tuple[str, ...]
    applies: bool


def read_range(typed_from: str, typed_to: str, tz: ZoneInfo) -> TypedRange:
    """Read a list's From and To filters, typed in ``tz`` as in the session forms."""
    texts, bounds, errors = {}, {}, []
    # The labels are the filters' own (templates: _("From"), _("To")).
    for name, label, text, is_end in (("from", _("From"), typed_from, False),
                                      ("to", _("To"), typed_to, True)):
        try:
            bounds[name] = parse_local(text, tz, is_end=is_end)
            texts[name] = text if bounds[name] is not None else ""
        except DateInputError as error:
            errors.append(_("“%(field)s”: %(error)s", field=label, error=error))
            texts[name] = ""
    applies = not (texts["from"] and texts["to"] and bounds["from"] >= bounds["to"])
    if not applies:
        errors.append(str(FROM_AFTER_TO))
    return TypedRange(texts["from"], texts["to"], tuple(errors), applies)
