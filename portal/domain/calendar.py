"""Calendar files (.ics, RFC 5545) of sessions' access windows, built with icalendar."""

import contextlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, vText

from .access import Window
from .dates import window_words
from .language import gettext as _
from .language import speaking

PRODID = "-//Session portal//Sessions//EN"
UTC_ZONE = ZoneInfo("UTC")
# Control characters other than the line break (which vText escapes as \\n) have no
# place in a content line (RFC 5545, 3.3.11): a tab becomes a space, the rest go.
_CONTROL = {c: None for c in range(32) if chr(c) not in "\n\t"} | {ord("\t"): " "}


def text(value: str) -> vText:
    """A TEXT property value that keeps the file valid whatever a name contains: line
    breaks are escaped (icalendar does it for vText, not for an X- property given a
    plain str), other control characters dropped."""
    return vText(str(value).replace("\r\n", "\n").replace("\r", "\n").translate(_CONTROL))


@dataclass(frozen=True)
class CalendarEntry:
    """One session in a calendar: its window as the viewer has it."""

    session_id: int
    user_id: int
    name: str
    window: Window
    url: str


def description(entry: CalendarEntry, tz: ZoneInfo) -> str:
    """The event's text: the window worded as on the pages (an end at midnight is its
    last day), in ``tz``, named since a calendar shows times in its own zone."""
    dates = window_words(entry.window.start, entry.window.end, tz)
    return _("Your access to the session “%(name)s”: %(dates)s (%(zone)s time). %(url)s",
             name=entry.name, dates=dates, zone=tz.key, url=entry.url)


def entry_event(entry: CalendarEntry, now: datetime, tz: ZoneInfo = UTC_ZONE) -> Event | None:
    """A VEVENT for the window: one spanning event when both ends are known, an
    instant at the one known bound otherwise; None when the window has no date.
    ``tz``: the zone of the person, for the dates in the description."""
    start, end = entry.window.start, entry.window.end
    if start is None and end is None:
        return None
    event = Event()
    # Stable per session and person: a calendar re-importing the file updates the event.
    event.add("uid", f"session-{entry.session_id}-user-{entry.user_id}@session-portal")
    event.add("dtstamp", now)
    if start is not None and end is not None:
        event.add("summary", text(entry.name))
        event.add("dtstart", start)
        event.add("dtend", end)
    elif start is not None:
        event.add("summary", text(_("%(name)s opens", name=entry.name)))
        event.add("dtstart", start)
    else:
        event.add("summary", text(_("%(name)s ends", name=entry.name)))
        event.add("dtstart", end)
    event.add("url", entry.url)
    event.add("description", text(description(entry, tz)))
    event.add("transp", "TRANSPARENT")  # a training window does not make you busy
    return event


def build_calendar(entries: list[CalendarEntry], now: datetime, name: str,
                   tz: ZoneInfo = UTC_ZONE, language: str | None = None) -> bytes:
    """The .ics bytes for ``entries`` (those without any date are left out); their
    descriptions word the dates in ``tz``, the person's zone, in ``language`` (the
    person's; None: the language in force, e.g. the request's)."""
    with speaking(language) if language else contextlib.nullcontext():
        return _calendar(entries, now, name, tz)


def personal_calendar(entries: list[CalendarEntry], now: datetime, owner_name: str,
                      tz: ZoneInfo = UTC_ZONE, language: str | None = None) -> bytes:
    """A person's feed of all their sessions, named for them ("Sessions of Lea Learner"),
    name and descriptions in ``language`` (theirs; None: the language in force)."""
    with speaking(language) if language else contextlib.nullcontext():
        return _calendar(entries, now, _("Sessions of %(name)s", name=owner_name), tz)


def _calendar(entries: list[CalendarEntry], now: datetime, name: str, tz: ZoneInfo) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", text(name))
    for entry in entries:
        event = entry_event(entry, now, tz)
        if event is not None:
            calendar.add_component(event)
    return calendar.to_ical()


def file_name(session_name: str) -> str:
    """'autumn-onboarding.ics' from 'Autumn onboarding!'."""
    slug = re.sub(r"[^a-z0-9]+", "-", session_name.lower()).strip("-")
    return f"{slug or 'session'}.ics"


def new_token() -> str:
    """A secret for a personal feed address: 256 random bits, URL-safe."""
    return secrets.token_urlsafe(32)


def ensure_token(user) -> bool:
    """Give ``user`` a feed token if they have none; True when one was made (commit it)."""
    if user.calendar_token:
        return False
    user.calendar_token = new_token()
    return True
