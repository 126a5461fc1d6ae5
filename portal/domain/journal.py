"""The journal: who changed what, written in the same transaction as the change.

Every write function of the domain takes an ``Actor`` (who is acting, from which
request) and calls ``record`` (one change) or ``record_items`` (the items of a bulk
change, set-based) before it returns; the caller commits both together. Entries
are never edited or deleted (the model refuses it).

Entries are read back as sentences by ``sentence``; the vocabulary of
(object type, action) pairs is ``ACTIONS``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from zoneinfo import ZoneInfo

from sqlalchemy import insert

from ..models import JournalEntry
from .dates import format_bound, format_local


@dataclass(frozen=True)
class Actor:
    """Who makes a change: a signed-in person (``user_id``), or the portal itself
    (command line, demo data: ``user_id`` None)."""

    user_id: int | None
    name: str
    request_id: str | None = None
    address: str | None = None


SYSTEM = Actor(None, "The portal")

# (object type, action) -> what the entry records; ``sentence`` reads them.
# object_label: the object's name at the time; before/after: changed values only.
ACTIONS: dict[tuple[str, str], str] = {
    ("session", "create"): "created the session",
    ("session", "update"): "changed the session",
    ("session", "copy"): "copied a session into a new one (after: {'source': name, "
                         "'source_id', 'shift_minutes', 'shift_from', 'copied': [...], "
                         "'left_out': [...], 'classes': [names]}; its enrolments as items)",
    ("session", "delete"): "deleted the session (before: its values and counts)",
    ("session_course", "add"): "added a course to the session",
    ("session_course", "remove"): "removed a course from the session",
    ("session_course", "move"): "moved a course (after: {'position': n})",
    ("course_coach", "add"): "made a user course coach (learner_*: the coach)",
    ("course_coach", "remove"): "removed a course coach (learner_*: the coach)",
    # A bulk enrolment change: the head (object_type "enrolments") carries the counts
    # and how ({'added': n, 'removed': n, 'changed': n, 'how': ..., 'file': ...,
    # 'class': ...}); each pair it touched is an item ("enrolment" below).
    ("enrolments", "change"): "enrolled / unenrolled learners in bulk",
    ("enrolment", "add"): "enrolled a learner (after: {'how': individual|class|import})",
    ("enrolment", "remove"): "unenrolled a learner (before: {'how': ...})",
    ("enrolment", "change"): "changed how a learner is enrolled (before/after: {'how'})",
    # The undo of an enrolment import: object_id its head, object_label the file; after:
    # {'undoes': head id, 'file', 'reverted': n, 'not_reverted': n}; the pairs reverted
    # as items (their how: {'how': ..., 'file': ..., 'undo': True}).
    ("enrolments", "undo"): "undid an enrolment import",
    # Individual dates and suspensions: one item per learner (before/after: the enrolment's
    # extension_days, own_start, own_end, dates_reason / suspension_reason); several
    # learners at once get a head entry ("enrolments", same action, after: {'count': n}).
    ("enrolment", "dates"): "set, changed or removed a learner's individual dates",
    ("enrolment", "suspend"): "suspended a learner (after: {'suspension_reason'})",
    ("enrolment", "lift"): "lifted a learner's suspension",
    ("enrolments", "dates"): "set the individual dates of several learners",
    ("enrolments", "suspend"): "suspended several learners",
    ("enrolments", "lift"): "lifted the suspension of several learners",
    ("session_class", "add"): "linked a class to the session",
    ("session_class", "remove"): "unlinked a class from the session",
    ("class_member", "add"): "added a member to a class (learner_*: the member)",
    ("class_member", "remove"): "removed a member from a class (learner_*: the member)",
    ("user", "create"): "created a user",
    ("user", "update"): "changed a user",
    ("user", "delete"): "deleted a user",
    ("accounts", "create"): "created learner accounts from a file (after: {'created', "
                            "'file'}; the accounts are its items)",
    ("course", "create"): "created a course",
    ("course", "update"): "changed a course",
    ("course", "delete"): "deleted a course",
    ("assignment", "create"): "added an assignment to a course",
    ("assignment", "update"): "changed an assignment",
    ("assignment", "delete"): "deleted an assignment",
    ("class", "create"): "created a class",
    ("class", "update"): "changed a class",
    ("class", "delete"): "deleted a class",
    ("category", "create"): "created a category",
    ("category", "update"): "changed a category",
    ("category", "delete"): "deleted a category",
    ("submission", "create"): "handed in work (learner_*: the learner)",
    ("submission", "update"): "replaced a hand-in (learner_*: the learner)",
    ("grade", "create"): "graded a hand-in (learner_*: the learner)",
    ("grade", "update"): "changed a grade (learner_*: the learner)",
    ("login", "success"): "logged in (address)",
    ("login", "failure"): "failed to log in (object_label: the name typed; no password)",
    ("login", "logout"): "logged out",
    ("outbox_message", "retry"): "sent a failed message again (object_label: its subject)",
    ("notifications", "update"): "chose the messages a user gets (before/after: {'off': kinds})",
    # A sessions import: the head names the file (object_label; after: {'file', 'created',
    # 'updated', 'categories': [names]}); one item per session it created or updated
    # (before/after: the columns it changed, and 'courses_added', 'coaches_added',
    # 'classes_linked' as ids); its undo is a head too (object_id and after 'undoes': the
    # import's head; 'reverted', 'not_reverted': counts).
    ("sessions_import", "apply"): "imported sessions from a file",
    ("sessions_import", "undo"): "undid a sessions import",
    ("session_import", "create"): "created a session by import (after: {'code'})",
    ("session_import", "update"): "changed a session by import",
    ("api_token", "create"): "created an API token (after: scopes, expiry, owner)",
    ("api_token", "revoke"): "revoked an API token",
    ("assignment_due", "update"): "changed the due dates of a course's assignments in the "
                                  "session (object_*: the course; before/after: {assignment "
                                  "title: ISO instant | days after each learner's start | None})",
}

OBJECT_TYPES = tuple(sorted({kind for kind, _ in ACTIONS}))
ACTION_NAMES = tuple(sorted({action for _, action in ACTIONS}))

# How a changed field is named in a sentence.
FIELD_LABELS = {
    "name": "name",
    "description": "description",
    "category_id": "category",
    "category": "category",
    "coach_id": "session coach",
    "coach": "session coach",
    "after_end_policy": "after-end policy",
    "duration_days": "duration",
    "display_start": "display start",
    "display_end": "display end",
    "access_start": "access start",
    "access_end": "access end",
    "coach_start": "coach access start",
    "coach_end": "coach access end",
    "welcome_message": "welcome message",
    "remind_days_before_end": "reminder before the end",
    "coach_remind_days_before_end": "coach reminder before the end",
    "grade_released_message": "message on each grade",
    "username": "username",
    "email": "e-mail",
    "first_name": "first name",
    "last_name": "last name",
    "role": "role",
    "active": "active",
    "timezone": "time zone",
    "password": "password",
    "code": "code",
    "title": "title",
    "max_score": "maximum score",
    "score": "score",
    "feedback": "feedback",
    "answer": "answer",
    "file_name": "file",
    "position": "position",
    "how": "enrolment",
    "extension_days": "extension",
    "own_start": "individual start",
    "own_end": "individual end",
    "dates_reason": "reason",
    "suspension_reason": "reason of the suspension",
}

# Fields whose value is an exclusive end: shown as the last included day.
END_FIELDS = frozenset({"display_end", "access_end", "coach_end", "own_end"})


def jsonable(value):
    """A value as the journal stores it: datetimes as ISO 8601 UTC, decimals as text."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    return value


def changes(before: Mapping, after: Mapping) -> tuple[dict, dict]:
    """The fields whose value differs, as (before, after) dicts of journal values."""
    names = [name for name in after if jsonable(before.get(name)) != jsonable(after[name])]
    return ({name: jsonable(before.get(name)) for name in names},
            {name: jsonable(after[name]) for name in names})


def _entry_values(by: Actor, now: datetime, object_type: str, action: str, **fields) -> dict:
    if (object_type, action) not in ACTIONS:
        raise ValueError(f"unknown journal action {object_type}.{action}")
    values = {
        "at": now,
        "actor_id": by.user_id,
        "actor_name": by.name[:200],
        "request_id": by.request_id,
        "address": by.address,
        "object_type": object_type,
        "action": action,
        "object_id": None,
        "object_label": "",
        "session_id": None,
        "session_label": "",
        "learner_id": None,
        "learner_label": "",
        "parent_id": None,
        "before": None,
        "after": None,
    }
    for name, value in fields.items():
        if name not in values:
            raise TypeError(f"unknown journal field {name}")
        if name in ("before", "after") and value is not None:
            value = jsonable(value)
        elif name.endswith("_label"):
            value = (value or "")[:300 if name == "object_label" else 200]
        values[name] = value
    return values


def record(db, by: Actor, now: datetime, object_type: str, action: str, **fields
           ) -> JournalEntry:
    """Add one entry (flushed, so its id can be a bulk change's ``parent_id``).

    ``fields``: object_id, object_label, session_id, session_label, learner_id,
    learner_label, parent_id, before, after.
    """
    entry = JournalEntry(**_entry_values(by, now, object_type, action, **fields))
    db.add(entry)
    db.flush()
    return entry


def record_items(db, by: Actor, now: datetime, object_type: str, action: str,
                 items: Iterable[Mapping], *, parent_id: int | None = None) -> int:
    """Add one entry per item in one INSERT (executemany; insertmanyvalues batches it
    on both databases). Each item gives the fields of ``record``; returns how many."""
    rows = [_entry_values(by, now, object_type, action, parent_id=parent_id, **item)
            for item in items]
    if rows:
        db.execute(insert(JournalEntry), rows)
    return len(rows)


# --- reading entries as sentences -------------------------------------------------


# An instant as jsonable() writes it: the date, the time, and its UTC offset.
_ISO_INSTANT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?[+-]\d{2}:\d{2}")


def _value_text(field: str, value, tz: ZoneInfo) -> str:
    if value is None or value == "":
        return "(none)"
    if field == "password":
        return "(not shown)"
    if field.endswith(("_start", "_end")) and isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return str(value)
        return format_bound(moment, tz, is_end=field in END_FIELDS)
    if isinstance(value, str) and _ISO_INSTANT.fullmatch(value):  # e.g. a due date
        return format_bound(datetime.fromisoformat(value), tz, is_end=True)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if field in ("duration_days", "remind_days_before_end", "coach_remind_days_before_end",
                 "extension_days"):
        return f"{value} days" if value is not None else "none"
    if field == "how":
        return _HOW.get(value, str(value))
    text = str(value)
    return text if len(text) <= 60 else text[:57] + "…"


def _field_label(field: str) -> str:
    return FIELD_LABELS.get(field, field.replace("_", " "))


def _changed_fields(after: Mapping) -> list[str]:
    # The name of a thing is shown instead of its id when both are recorded.
    return [f for f in after if not (f.endswith("_id") and f[:-3] in after)]


def change_phrases(before: Mapping | None, after: Mapping | None, tz: ZoneInfo) -> list[str]:
    """'the access end from 15 Jul 2027 to 20 Jul 2027', one per changed field."""
    before, after = before or {}, after or {}
    phrases = []
    for field in _changed_fields(after):
        if field == "password":
            phrases.append("the password")
            continue
        phrases.append(f"the {_field_label(field)} from {_value_text(field, before.get(field), tz)}"
                       f" to {_value_text(field, after[field], tz)}")
    return phrases


def detail_rows(before: Mapping | None, after: Mapping | None, tz: ZoneInfo
                ) -> list[tuple[str, str, str]]:
    """(field, value before, value after) for each value an entry records, as people
    read them; a side that does not record the field is ''. Passwords are never shown."""
    before, after = before or {}, after or {}
    fields = list(after) + [f for f in before if f not in after]
    return [(_field_label(f),
             _value_text(f, before[f], tz) if f in before else "",
             _value_text(f, after[f], tz) if f in after else "") for f in fields]


def _changed_of(noun: str, label: str, before: Mapping, after: Mapping, tz: ZoneInfo) -> str:
    """'renamed the class A to B', 'changed the access end of X from A to B', or
    'changed X: the a …, the b …' (a session is named alone, other things with their noun)."""
    if list(after) == ["name"] and before.get("name") and after["name"]:
        return f"renamed the {noun} {before['name']} to {after['name']}"
    thing = label if noun == "session" else f"the {noun} {label}"
    if list(after) == ["active"]:
        return f"{'reactivated' if after['active'] else 'deactivated'} {thing}"
    if list(after) == ["password"]:
        return f"changed the password of {thing}"
    phrases = change_phrases(before, after, tz)
    if not phrases:
        return f"saved {thing} without a change"
    if len(phrases) == 1 and phrases[0] != "the password":
        field = _changed_fields(after)[0]
        return (f"changed the {_field_label(field)} of {thing} from "
                f"{_value_text(field, before.get(field), tz)} to "
                f"{_value_text(field, after[field], tz)}")
    return f"changed {thing}: {_join(phrases)}"


def _join(phrases: list[str]) -> str:
    if len(phrases) <= 1:
        return "".join(phrases)
    return ", ".join(phrases[:-1]) + " and " + phrases[-1]


def _plural(count: int, word: str, words: str | None = None) -> str:
    return f"{count} {word if count == 1 else (words or word + 's')}"


_HOW = {"individual": "individually", "import": "by import", "class": "through a class"}


def _how_text(values: Mapping | None) -> str:
    values = values or {}
    how = values.get("how")
    if values.get("undo"):
        return f"by undoing the import of {values['file']}" if values.get("file") \
            else "by undoing an import"
    if how == "import" and values.get("file"):
        return f"by importing {values['file']}"
    if how == "class" and values.get("class"):
        return f"through class {values['class']}"
    return _HOW.get(how, "") if isinstance(how, str) else ""


def _in_session(entry: JournalEntry) -> str:
    return f" in {entry.session_label}" if entry.session_label else ""


def _quoted(text: str) -> str:
    return f"“{text}”" if text else ""


def _tidy(text: str) -> str:
    # An empty label (a name not recorded) must not leave doubled or trailing spaces.
    return " ".join(text.split())


def _notifications_what(e: JournalEntry) -> str:
    before = set((e.before or {}).get("off", ()))
    after = set((e.after or {}).get("off", ()))
    parts = []
    if after - before:
        parts.append("turned off " + ", ".join(sorted(after - before)))
    if before - after:
        parts.append("turned on " + ", ".join(sorted(before - after)))
    return f"{' and '.join(parts) or 'kept'} the messages of {e.object_label}"


def sentence(entry: JournalEntry, tz: ZoneInfo, *, with_actor: bool = True) -> str:
    """The entry as a person reads it: 'Anne Martin changed the access end of Python
    basics from 15 Jul 2027 to 20 Jul 2027'."""
    who = (entry.actor_name or "Someone") if with_actor else ""
    return _tidy(f"{who} {_what(entry, tz)}")


def _what(e: JournalEntry, tz: ZoneInfo) -> str:
    kind = e.object_type
    if kind == "session":
        return _session_what(e, tz)
    if kind in ("session_course", "course_coach", "session_class", "class_member"):
        return _link_what(e)
    if kind == "enrolments" and e.action == "undo":
        return _undo_what(e)
    if kind in ("enrolments", "enrolment") and e.action in _LEARNER_DATE_VERBS:
        return _learner_dates_what(e, tz)
    if kind == "enrolments":
        return _bulk_sentence(e)
    if kind == "enrolment":
        return _enrolment_what(e)
    if kind in ("submission", "grade"):
        return _work_sentence(e)
    if kind == "login":
        return _login_what(e)
    if kind == "outbox_message":
        return f"sent the message “{e.object_label}” again"
    if kind == "accounts":
        created = (e.after or {}).get("created", 0)
        return (f"created {created} learner account{'s' if created != 1 else ''} from "
                f"{_quoted(e.object_label)}, each sent a link to choose a password")
    if kind == "notifications":
        return _notifications_what(e)
    if kind == "api_token":
        verb = "created" if e.action == "create" else "revoked"
        return f"{verb} the API token {_quoted(e.object_label)}"
    if kind == "assignment_due":
        return _due_dates_what(e, tz)
    if kind in ("sessions_import", "session_import"):
        return _sessions_import_what(e, tz)
    noun = {"user": "user", "course": "course", "assignment": "assignment",
            "class": "class", "category": "category"}.get(kind, kind.replace("_", " "))
    thing = f"the {noun} {e.object_label}"
    if e.action == "create":
        return f"created {thing}" + (_in_session(e) if kind == "assignment" else "")
    if e.action == "delete":
        return f"deleted {thing}"
    return _changed_of(noun, e.object_label, e.before or {}, e.after or {}, tz)


def shift_words(minutes: int) -> str:
    """A copy's date shift in words: '182 days later', '3 days and 2 hours earlier'."""
    days, rest = divmod(abs(minutes), 1440)
    hours, mins = divmod(rest, 60)
    parts = [f"{n} {unit}{'s' if n != 1 else ''}"
             for n, unit in ((days, "day"), (hours, "hour"), (mins, "minute")) if n]
    if not parts:
        return "by nothing"
    return " and ".join(parts) + (" later" if minutes > 0 else " earlier")


def _session_what(e: JournalEntry, tz: ZoneInfo) -> str:
    label, after = e.object_label or e.session_label, e.after or {}
    if e.action == "create":
        return f"created the session {label}"
    if e.action == "copy":
        source = after.get("source")
        text = f"created the session {label}" + (f" as a copy of {source}" if source else "")
        if isinstance(after.get("shift_minutes"), int):
            text += f", its dates moved {shift_words(after['shift_minutes'])}"
        more = [c for c in after.get("copied") or () if c != "course coaches"]
        text += f", with its {' and '.join(more)}" if more else ""
        left_out = after.get("left_out") or ()
        return text + (f", without its {' and '.join(left_out)}" if left_out else "")
    if e.action == "delete":
        return f"deleted the session {label}"
    return _changed_of("session", label, e.before or {}, after, tz)


def _sessions_import_what(e: JournalEntry, tz: ZoneInfo) -> str:
    """'imported sessions from terms.csv: 2 created, 1 updated', 'undid the sessions
    import of terms.csv', 'created the session X by import', 'changed X by import: …'."""
    after = e.after or {}
    if e.object_type == "session_import":
        if e.action == "create":
            return f"created the session {e.object_label} by import"
        fields = {k: v for k, v in after.items() if k in FIELD_LABELS}
        phrases = change_phrases(e.before or {}, fields, tz)
        added = [f"{_plural(len(after[k]), noun)} {verb}" for k, noun, verb in (
            ("courses_added", "course", "added"), ("coaches_added", "course coach", "added"),
            ("classes_linked", "class", "linked")) if after.get(k)]
        return _tidy(f"changed {e.object_label} by import: {_join(phrases + added)}")
    if e.action == "undo":
        return (f"undid the sessions import of {e.object_label} "
                f"({_plural(after.get('reverted', 0), 'change')} reverted, "
                f"{after.get('not_reverted', 0)} left as they are)")
    parts = [f"{after.get('created', 0)} created", f"{after.get('updated', 0)} updated"]
    if after.get("categories"):
        parts.append(f"{_plural(len(after['categories']), 'category', 'categories')} created")
    return f"imported sessions from {e.object_label}: {', '.join(parts)}"


def _link_what(e: JournalEntry) -> str:
    """Courses, course coaches and classes of a session, members of a class."""
    label, learner, action, after = e.object_label, e.learner_label, e.action, e.after or {}
    if e.object_type == "session_course":
        if action == "move":
            position = after.get("position")
            to = f" to position {position + 1}" if isinstance(position, int) else ""
            return f"moved the course {label}{_in_session(e)}{to}"
        prep = " to " if action == "add" else " from "
        return (f"{'added' if action == 'add' else 'removed'} the course {label}"
                f"{prep + e.session_label if e.session_label else ''}")
    if e.object_type == "course_coach":
        if action == "add":
            return f"made {learner} course coach of {label}{_in_session(e)}"
        return f"removed {learner} as course coach of {label}{_in_session(e)}"
    if e.object_type == "class_member":
        if action == "add":
            return f"added {learner} to class {label}"
        return f"removed {learner} from class {label}"
    count = after.get("added") if action == "add" else (e.before or {}).get("removed")
    if count is None:
        count = after.get("removed")
    counted = (f" ({_plural(count, 'learner')} {'enrolled' if action == 'add' else 'unenrolled'})"
               if isinstance(count, int) else "")
    if action == "add":
        return f"linked class {label} to {e.session_label}{counted}"
    return f"unlinked class {label} from {e.session_label}{counted}"


def _enrolment_what(e: JournalEntry) -> str:
    learner, after, before = e.learner_label, e.after or {}, e.before or {}
    if e.action == "add":
        return f"enrolled {learner}{_in_session(e)} {_how_text(after)}"
    if e.action == "remove":
        where = f" from {e.session_label}" if e.session_label else ""
        return f"unenrolled {learner}{where}"
    now_how, was_how = _how_text(after), _how_text(before)
    return (f"changed how {learner} is enrolled{_in_session(e)}"
            + (f": now {now_how}" if now_how else "")
            + (f", before {was_how}" if was_how else ""))


_LEARNER_DATE_VERBS = {"dates": "set the individual dates of", "suspend": "suspended",
                       "lift": "lifted the suspension of"}


def _learner_dates_what(e: JournalEntry, tz: ZoneInfo) -> str:
    """'set the individual dates of Léa Roux in Python basics: the extension from (none) to
    5 days and the reason …', 'suspended 3 learners in Python basics: “unpaid fees”'."""
    after, before = e.after or {}, e.before or {}
    who = _plural(after.get("count", 0), "learner") if e.object_type == "enrolments" \
        else e.learner_label
    # A removal clears the reason; any other change keeps one (it is required).
    if e.action == "dates" and e.object_type == "enrolment" and "dates_reason" in after \
            and after["dates_reason"] is None:
        return f"removed the individual dates of {who}{_in_session(e)}"
    text = f"{_LEARNER_DATE_VERBS[e.action]} {who}{_in_session(e)}"
    if e.action == "suspend" and after.get("suspension_reason"):
        return f"{text}: {_quoted(after['suspension_reason'])}"
    if e.action == "dates" and e.object_type == "enrolment":
        phrases = change_phrases(before, after, tz)
        return f"{text}: {_join(phrases)}" if phrases else text
    return text


def _due_value_text(value, tz: ZoneInfo) -> str:
    if value is None:
        return "none"
    if isinstance(value, int):
        return f"{value} day{'s' if value != 1 else ''} after each learner's access start"
    try:
        return format_bound(datetime.fromisoformat(value), tz, is_end=True)
    except (TypeError, ValueError):
        return str(value)


def _due_dates_what(e: JournalEntry, tz: ZoneInfo) -> str:
    """'changed the due dates of Python basics in Onboarding: Loops from none to 3 Dec
    2026 at 17:00'."""
    before, after = e.before or {}, e.after or {}
    phrases = [f"{title} from {_due_value_text(before.get(title), tz)} to "
               f"{_due_value_text(value, tz)}" for title, value in after.items()]
    changes_text = f": {_join(phrases)}" if phrases else ""
    course = e.object_label or "a course"
    return f"changed the due dates of {course}{_in_session(e)}{changes_text}"


def _login_what(e: JournalEntry) -> str:
    where = f" from {e.address}" if e.address else ""
    if e.action == "success":
        return f"logged in{where}"
    if e.action == "logout":
        return _logout_what(e)
    typed = f" as {_quoted(e.object_label)}" if e.object_label else ""
    return f"failed to log in{typed}{where}"


def _logout_what(e: JournalEntry) -> str:
    """Logged out, or logins ended on the server (after: {'ended': n, 'scope': one |
    others (a new password) | all (an admin's "log out everywhere")})."""
    after = e.after or {}
    if not after.get("ended"):
        return "logged out"
    own = e.actor_id is not None and e.actor_id == e.learner_id
    count, scope = after["ended"], after.get("scope")
    if scope == "one":
        return "ended one of their logins" if own else f"ended a login of {e.learner_label}"
    if scope == "others":
        if own:
            return f"ended their {_plural(count, 'other login')} (password changed)"
        return f"ended {_plural(count, 'login')} of {e.learner_label} (password changed)"
    return f"logged {e.learner_label} out everywhere ({_plural(count, 'login')} ended)"


def _undo_what(e: JournalEntry) -> str:
    """'undid the import of spring.csv (3 changes reverted, 1 left as it is)'."""
    after = e.after or {}
    left = after.get("not_reverted", 0)
    return (f"undid the import of {e.object_label} "
            f"({_plural(after.get('reverted', 0), 'change')} reverted, "
            f"{left} left as {'it is' if left == 1 else 'they are'})")


def _bulk_sentence(e: JournalEntry) -> str:
    after = e.after or {}
    how = _how_text(after)
    parts = []
    if after.get("added"):
        parts.append(f"enrolled {_plural(after['added'], 'learner')}")
    if after.get("changed"):
        parts.append(f"changed how {_plural(after['changed'], 'learner')} "
                     f"{'is' if after['changed'] == 1 else 'are'} enrolled")
    if after.get("removed"):
        parts.append(f"unenrolled {_plural(after['removed'], 'learner')}")
    if not parts:
        parts.append("changed no enrolment")
    where = f" in {e.session_label}" if e.session_label else ""
    if after.get("sessions") and not e.session_label:
        where = f" in {_plural(after['sessions'], 'session')}"
    return f"{_join(parts)}{where} {how}"


def _work_sentence(e: JournalEntry) -> str:
    after = e.after or {}
    if e.object_type == "submission":
        verb = "handed in" if e.action == "create" else "replaced their hand-in for"
        return f"{verb} {e.object_label}{_in_session(e)}"
    of = f"{e.learner_label}'s hand-in for {e.object_label}" if e.learner_label \
        else f"the hand-in for {e.object_label}"
    score = _score_text(after)
    shown = f": {score}" if score else ""
    verb = "graded" if e.action == "create" else "changed the grade of"
    return f"{verb} {of}{_in_session(e)}{shown}"


def _score_text(values: Mapping) -> str:
    score = values.get("score")
    if score is None:
        return ""
    return f"{score}/{values['max_score']}" if values.get("max_score") else str(score)


def learner_sentence(entry: JournalEntry, tz: ZoneInfo) -> str:
    """The entry as a line of one learner's story in a session, told about them:
    'enrolled individually by Anne Admin on 3 Dec 2026 at 10:00'."""
    e = entry
    after, before = e.after or {}, e.before or {}
    by = "" if e.actor_id is not None and e.actor_id == e.learner_id \
        else f" by {e.actor_name or 'someone'}"
    if e.object_type == "enrolment" and e.action == "add":
        what = f"enrolled {_how_text(after)}"
    elif e.object_type == "enrolment" and e.action == "remove":
        was = _how_text(before)
        what = "unenrolled" + (f" (was enrolled {was})" if was else "")
    elif e.object_type == "enrolment":
        now_how, was_how = _how_text(after), _how_text(before)
        what = (f"now enrolled {now_how}" if now_how else "enrolment changed") + \
            (f" instead of {was_how}" if was_how else "")
    elif e.object_type == "course_coach":
        what = ("made course coach of " if e.action == "add" else "removed as course coach of ") \
            + e.object_label
    elif e.object_type == "grade":
        score = _score_text(after)
        what = (f"hand-in for {e.object_label} graded{' ' + score if score else ''}"
                if e.action == "create" else
                f"grade for {e.object_label} changed{' to ' + score if score else ''}")
    elif e.object_type == "submission":
        what = f"{'handed in' if e.action == 'create' else 'replaced the hand-in for'} " \
            f"{e.object_label}"
    else:
        return _tidy(f"{sentence(e, tz)} on {format_local(e.at, tz)}")
    return _tidy(f"{what}{by} on {format_local(e.at, tz)}")


def when_text(entry: JournalEntry, tz: ZoneInfo) -> str:
    """When the entry was written, in ``tz``: '3 Dec 2026 at 10:00'."""
    return format_local(entry.at, tz)
