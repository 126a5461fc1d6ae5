"""What an admin types about a session, read and checked in one place.

The create form, the inline rows of a session's page (and later the API) pass the raw
texts they collected to ``validate_session_values``; it answers with the column values,
one message per field in error, and the warning to confirm, so every form says the same.
Dates outside the years ``dates.FIRST_YEAR``..``LAST_YEAR`` are refused with a field error
(not accepted): nothing is saved that a page, a timeline or a chart could not show.
A time the clocks skip (spring change) or show twice (autumn change) in the admin's zone
is refused too, never moved: the message names the time to write instead, or the two
spellings with a UTC offset ("2026-10-25 02:30 +01:00") between which to choose.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from ..models import Course, SessionCategory, TrainingSession, User, UserClass
from .dates import FIRST_YEAR, LAST_YEAR, DateInputError, input_value, parse_local
from .language import gettext as _
from .language import lazy_gettext as _l
from .sessions import (
    DATE_LABELS,
    CopyPlan,
    DateShift,
    coach_role_problem,
    name_taken,
    shift_reference,
    shifted_dates,
)
from .text_search import find_user

# The after-end policies as people read them, in the order forms offer them.
POLICY_LABELS = {"read_only": _l("Read only"), "open": _l("Still open"), "closed": _l("Closed")}
WINDOW_FIELDS = (
    ("display_start", "display_end"),
    ("access_start", "access_end"),
    ("coach_start", "coach_end"),
)
DATE_FIELDS = tuple(name for pair in WINDOW_FIELDS for name in pair)
# The texts a session form collects, by input name; ``coach`` is a username or e-mail.
# The messages a session sends: two choices and two numbers of days (empty: none).
MESSAGE_FLAGS = ("welcome_message", "grade_released_message")
REMINDER_DAYS = ("remind_days_before_end", "coach_remind_days_before_end")
INPUT_FIELDS = ("name", "description", "category_id", "coach", "after_end_policy",
                "duration_days", *DATE_FIELDS, *MESSAGE_FLAGS, *REMINDER_DAYS)
NAME_MAX, DESCRIPTION_MAX, COACH_MAX, DATE_MAX = 200, 20000, 254, 40
DURATION_MAX = 3650
REMINDER_MAX = 365
REMINDER_RANGE = _l("Between 1 and %(max)s days, or empty for no reminder.", max=REMINDER_MAX)

NAME_REQUIRED = _l("Give the session a name.")
NAME_TOO_LONG = _l("At most 200 characters.")
NAME_TAKEN = _l("A session already has this name.")
COACH_REQUIRED = _l("Choose the session coach.")
NOT_A_CHOICE = _l("Not a valid choice.")
NOT_AN_INTEGER = _l("Not a valid integer value.")
DURATION_RANGE = _l("Between 1 and %(max)s days.", max=DURATION_MAX)
DURATION_WITH_DATES = _l("In duration mode each learner gets these days from their first "
                         "access: leave Access start and Access end empty.")
END_BEFORE_START = _l("The end must be after the start.")
COPY_NAME_REQUIRED = _l("Give the copy a name.")


def too_long(limit: int) -> str:
    return _("Field cannot be longer than %(limit)s characters.", limit=limit)


def unknown_user_message(typed: str) -> str:
    """What to say when no active user has the username or e-mail typed in a picker."""
    typed = (typed or "").strip()
    if not typed:
        return _("Type a username or an e-mail address.")
    return _("No active user has the username or e-mail “%(typed)s”.", typed=typed)


@dataclass
class Validation:
    """The outcome of reading a session form: column values of the fields read without
    error, one message per field in error (by input name), and a warning that the admin
    may confirm (only when there is no error)."""

    values: dict = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    warning: str | None = None

    @property
    def ok(self) -> bool:
        return not self.errors


# Control characters never belong in a one-line field; a description keeps its line
# breaks and tabs. (NUL is already gone from web input, see portal.PortalRequest; this
# also covers the CLI and the demo data.)
_CONTROL = dict.fromkeys(range(32))
_CONTROL_IN_TEXT = {c: None for c in range(32) if chr(c) not in "\t\n\r"}


def _line(text) -> str:
    return str(text or "").translate(_CONTROL).strip()


class _Invalid(ValueError):
    """A field that cannot be read; the message says why."""


def _read_name(db, text, tz, session) -> dict:
    name = _line(text)
    if not name:
        raise _Invalid(NAME_REQUIRED)
    if len(name) > NAME_MAX:
        raise _Invalid(NAME_TOO_LONG)
    if name_taken(db, name, except_id=session.id if session is not None else None):
        raise _Invalid(NAME_TAKEN)
    return {"name": name}


def _read_description(db, text, tz, session) -> dict:
    description = str(text or "").translate(_CONTROL_IN_TEXT)
    if len(description) > DESCRIPTION_MAX:
        raise _Invalid(too_long(DESCRIPTION_MAX))
    return {"description": description}


def _read_category(db, text, tz, session) -> dict:
    text = _line(text)
    if text in ("", "0"):
        return {"category_id": None}
    if not text.isdigit() or not 0 < int(text) < 2**31 \
            or db.get(SessionCategory, int(text)) is None:
        raise _Invalid(NOT_A_CHOICE)
    return {"category_id": int(text)}


def _read_coach(db, text, tz, session) -> dict:
    typed = _line(text)
    if not typed:
        raise _Invalid(COACH_REQUIRED)
    if len(typed) > COACH_MAX:
        raise _Invalid(too_long(COACH_MAX))
    coach = find_user(db, typed)
    if coach is None:
        raise _Invalid(unknown_user_message(typed))
    problem = coach_role_problem(coach)
    if problem:
        raise _Invalid(problem)
    return {"coach_id": coach.id}


def _read_policy(db, text, tz, session) -> dict:
    policy = _line(text)
    if policy not in POLICY_LABELS:
        raise _Invalid(NOT_A_CHOICE)
    return {"after_end_policy": policy}


def _read_duration(db, text, tz, session) -> dict:
    text = _line(text)
    if not text:
        return {"duration_days": None}
    try:
        days = int(text)
    except ValueError:
        raise _Invalid(NOT_AN_INTEGER) from None
    if not 1 <= days <= DURATION_MAX:
        raise _Invalid(DURATION_RANGE)
    return {"duration_days": days}


def _date_reader(name: str):
    def read(db, text, tz, session) -> dict:
        text = _line(text)
        if len(text) > DATE_MAX:
            raise _Invalid(too_long(DATE_MAX))
        try:
            return {name: parse_local(text, tz, is_end=name.endswith("_end"))}
        except DateInputError as error:
            raise _Invalid(str(error)) from None

    return read


def _flag_reader(name: str):
    def read(db, value, tz, session) -> dict:
        # A checkbox: its value when ticked (WTForms gives True), absent or False otherwise.
        return {name: value is True or str(value or "").strip().lower() in ("y", "on", "1",
                                                                              "true")}
    return read


def _days_reader(name: str):
    def read(db, text, tz, session) -> dict:
        text = _line(text)
        if not text:
            return {name: None}
        if not text.isdigit() or len(text) > 4:
            raise _Invalid(NOT_AN_INTEGER)
        if not 1 <= int(text) <= REMINDER_MAX:
            raise _Invalid(REMINDER_RANGE)
        return {name: int(text)}
    return read


_READERS = {
    "name": _read_name,
    "description": _read_description,
    "category_id": _read_category,
    "coach": _read_coach,
    "after_end_policy": _read_policy,
    "duration_days": _read_duration,
    **{name: _date_reader(name) for name in DATE_FIELDS},
    **{name: _flag_reader(name) for name in MESSAGE_FLAGS},
    **{name: _days_reader(name) for name in REMINDER_DAYS},
}


def validate_session_values(db, raw: Mapping[str, str | None], *, tz: ZoneInfo,
                            session: TrainingSession | None = None) -> Validation:
    """Read and check the inputs of ``raw`` (by input name, see INPUT_FIELDS; the others
    are ignored). ``session``: the session being edited, whose values stand in for the
    inputs not given (the window checks look at both) and whose own name is not taken."""
    result = Validation()
    for name, text in raw.items():
        if name in _READERS:
            try:
                result.values.update(_READERS[name](db, text, tz, session))
            except _Invalid as error:
                result.errors[name] = str(error)
    merged = {name: getattr(session, name) for name in (*DATE_FIELDS, "duration_days")} \
        if session is not None else {}
    merged.update(result.values)
    _check_windows(raw, merged, result.errors)
    if not result.errors and any(name in raw for name in DATE_FIELDS[2:]):
        result.warning = coach_window_warning(merged)
    return result


def _check_windows(raw: Mapping, merged: dict, errors: dict[str, str]) -> None:
    """Each end after its start; no fixed access dates in duration mode. A message
    goes on an input of ``raw`` (the end, else the start) that has none yet."""
    for start, end in WINDOW_FIELDS:
        if (start not in raw and end not in raw) or start in errors or end in errors:
            continue
        if merged.get(start) is not None and merged.get(end) is not None \
                and merged[end] <= merged[start]:
            errors.setdefault(end if end in raw else start, str(END_BEFORE_START))
    involved = [n for n in ("duration_days", "access_start", "access_end") if n in raw]
    if involved and not any(n in errors for n in involved) and merged.get("duration_days") \
            and (merged.get("access_start") or merged.get("access_end")):
        errors.setdefault(involved[0], str(DURATION_WITH_DATES))


def coach_window_warning(values: Mapping[str, datetime | None]) -> str | None:
    """A warning when the coach window does not cover the learners' access window.

    Coaches should be able to prepare before learners arrive and follow up after
    they leave; a narrower coach window is allowed, but the admin is told.
    """
    coach_start, coach_end = values.get("coach_start"), values.get("coach_end")
    if coach_start is None and coach_end is None:
        return None  # unset: coaches use the access window
    access_start, access_end = values.get("access_start"), values.get("access_end")
    late = coach_start is not None and (access_start is None or coach_start > access_start)
    early = coach_end is not None and (access_end is None or coach_end < access_end)
    if late and early:
        return _("The coach access starts after learners can get in and ends before learners' "
                 "access ends. Coaches usually need to prepare before learners arrive and "
                 "follow up after they leave. You can save anyway.")
    if late:
        return _("The coach access starts after learners can get in. Coaches usually need to "
                 "prepare before learners arrive and follow up after they leave. You can save "
                 "anyway.")
    if early:
        return _("The coach access ends before learners' access ends. Coaches usually need to "
                 "prepare before learners arrive and follow up after they leave. You can save "
                 "anyway.")
    return None


def read_dates(raw: Mapping[str, str | None], tz: ZoneInfo) -> dict[str, datetime | None]:
    """The six window bounds typed in ``raw``, in UTC; empty or unreadable ones are None
    (for the timeline drawn while the admin types)."""
    values = {}
    for name in DATE_FIELDS:
        try:
            values[name] = _READERS[name](None, raw.get(name), tz, None)[name]
        except _Invalid:
            values[name] = None
    return values


def read_copy_name(db, text: str | None) -> tuple[str, str | None]:
    """The name typed for a copy of a session, cleaned, and why it cannot be used
    (None when it can)."""
    name = _line(text)
    if not name:
        return name, str(COPY_NAME_REQUIRED)
    if len(name) > NAME_MAX:
        return name, str(NAME_TOO_LONG)
    if name_taken(db, name):
        return name, str(NAME_TAKEN)
    return name, None


def shift_out_of_range(label: str, year: int) -> str:
    return _("That moves the %(date)s to the year %(year)s: dates stay within the years "
             "%(first)s to %(last)s. Choose a nearer new start.",
             date=label, year=year, first=FIRST_YEAR, last=LAST_YEAR)


def read_date_shift(text: str | None, tz: ZoneInfo, source: TrainingSession
                    ) -> tuple[DateShift | None, dict[str, datetime | None], str | None]:
    """The shift a copy's new start asks for, the source's six bounds moved by it, and
    the message for the field when it cannot be used (then the bounds are unmoved, for
    the preview). Empty text, or a source with no date: no shift. The shift is measured
    from ``shift_reference(source)`` in wall-clock time of ``tz``; a date alone moves by
    whole days and keeps each bound's time of day; a moved bound must stay within the
    years allowed."""
    unmoved = shifted_dates(source, None)
    try:
        shift, moved = _date_shift(_line(text), tz, source)
    except _Invalid as error:
        return None, unmoved, str(error)
    return shift, moved or unmoved, None


def _date_shift(text: str, tz: ZoneInfo, source: TrainingSession):
    reference = shift_reference(source)
    if not text or reference is None:
        return None, None
    if len(text) > DATE_MAX:
        raise _Invalid(too_long(DATE_MAX))
    try:
        new_start = parse_local(text, tz, is_end=False)
    except DateInputError as error:
        raise _Invalid(str(error)) from None
    old_local = reference[1].astimezone(tz).replace(tzinfo=None)
    try:
        delta = timedelta(days=(date.fromisoformat(text) - old_local.date()).days)
    except ValueError:  # a date and time: moved to that very time
        delta = new_start.astimezone(tz).replace(tzinfo=None) - old_local
    shift = DateShift(delta, tz)
    moved = {}
    for name, label in DATE_LABELS.items():
        try:
            moved[name] = shift.apply(getattr(source, name))
        except OverflowError:
            raise _Invalid(shift_out_of_range(label, LAST_YEAR + 1 if delta > timedelta(0)
                                              else FIRST_YEAR - 1)) from None
        if moved[name] is not None:
            # The year as the admin would type it: an end at midnight is the day before.
            local = moved[name].astimezone(tz).replace(tzinfo=None)
            if name.endswith("_end"):
                local -= timedelta(microseconds=1)
            if not FIRST_YEAR <= local.year <= LAST_YEAR:
                raise _Invalid(shift_out_of_range(label, local.year))
    return shift, moved


def validate_copy(db, raw: Mapping[str, str | None], *, tz: ZoneInfo,
                  source: TrainingSession) -> tuple[CopyPlan | None, dict[str, str]]:
    """Read the copy form (``name``, ``new_start``, the ticks ``copy_coaches``,
    ``copy_learners``, ``copy_classes`` as booleans): the plan to copy, or None and one
    message per field in error."""
    errors = {}
    name, error = read_copy_name(db, raw.get("name"))
    if error:
        errors["name"] = error
    shift, dates, error = read_date_shift(raw.get("new_start"), tz, source)
    if error:
        errors["new_start"] = error
    if errors:
        return None, errors
    reference = shift_reference(source)
    return CopyPlan(name, dates, shift, reference[0] if reference and shift else None,
                    course_coaches=bool(raw.get("copy_coaches")),
                    learners=bool(raw.get("copy_learners")),
                    class_links=bool(raw.get("copy_classes"))), {}


def form_values(session: TrainingSession, tz: ZoneInfo) -> dict[str, str]:
    """The session's values as a form shows them: the texts that read back the same."""
    values = {name: input_value(getattr(session, name), tz, is_end=name.endswith("_end"))
              for name in DATE_FIELDS}
    return {
        "name": session.name,
        "description": session.description or "",
        "category_id": str(session.category_id or 0),
        "coach": session.coach.username if session.coach else "",
        "after_end_policy": session.after_end_policy,
        "duration_days": "" if session.duration_days is None else str(session.duration_days),
        **values,
        **{name: bool(getattr(session, name)) for name in MESSAGE_FLAGS},
        **{name: "" if getattr(session, name) is None else str(getattr(session, name))
           for name in REMINDER_DAYS},
    }


def category_choices(db) -> list[tuple[int, str]]:
    """(id, name) of every session category, by name: the choices of a category menu."""
    return db.execute(select(SessionCategory.id, SessionCategory.name)
                      .order_by(SessionCategory.name)).all()


@dataclass(frozen=True)
class Chosen:
    """What the chips of a draft show: the courses, users and classes still there."""

    courses: dict[int, Course]
    users: dict[int, User]
    classes: dict[int, UserClass]


def chosen_items(db, course_ids, user_ids, class_ids) -> Chosen:
    """The courses, users and classes with these ids (three queries at most); ids
    that no longer exist are simply absent."""

    def by_id(model, ids):
        ids = [i for i in set(ids) if 0 < i < 2**31]
        if not ids:
            return {}
        return {row.id: row for row in db.scalars(select(model).where(model.id.in_(ids)))}

    return Chosen(by_id(Course, course_ids), by_id(User, user_ids), by_id(UserClass, class_ids))
