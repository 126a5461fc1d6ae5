"""The journal: who changed what, written in the same transaction as the change.

Every write function of the domain takes an ``Actor`` (who is acting, from which
request) and calls ``record`` (one change) or ``record_items`` (the items of a bulk
change, set-based) before it returns; the caller commits both together. Entries
are never edited or deleted (the model refuses it).

Entries are read back as sentences by ``sentence``; the vocabulary of
(object type, action) pairs is ``ACTIONS``.
"""

from __future__ import annotations

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
    ("session", "copy"): "copied a session into a new one (after: {'source': name})",
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
    ("session_class", "add"): "linked a class to the session",
    ("session_class", "remove"): "unlinked a class from the session",
    ("class_member", "add"): "added a member to a class (learner_*: the member)",
    ("class_member", "remove"): "removed a member from a class (learner_*: the member)",
    ("user", "create"): "created a user",
    ("user", "update"): "changed a user",
    ("user", "delete"): "deleted a user",
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
}

OBJECT_TYPES = tuple(sorted({kind for kind, _ in ACTIONS}))

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
}

# Fields whose value is an exclusive end: shown as the last included day.
END_FIELDS = frozenset({"display_end", "access_end", "coach_end"})


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


def _value_text(field: str, value, tz: ZoneInfo) -> str:
    if value is None or value == "":
        return "(none)"
    if field.endswith(("_start", "_end")) and isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return str(value)
        return format_bound(moment, tz, is_end=field in END_FIELDS)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if field == "duration_days":
        return f"{value} days"
    if field == "password":
        return "a new one"
    text = str(value)
    return text if len(text) <= 60 else text[:57] + "…"


def change_phrases(before: Mapping | None, after: Mapping | None, tz: ZoneInfo) -> list[str]:
    """'the access end from 15 Jul 2027 to 20 Jul 2027', one per changed field."""
    before, after = before or {}, after or {}
    phrases = []
    for field in after:
        if field.endswith("_id") and f"{field[:-3]}" in after:
            continue  # the name of the thing is shown instead of its id
        label = FIELD_LABELS.get(field, field.replace("_", " "))
        if field == "password":
            phrases.append("the password")
            continue
        phrases.append(f"the {label} from {_value_text(field, before.get(field), tz)} "
                       f"to {_value_text(field, after[field], tz)}")
    return phrases


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
    if how == "import" and values.get("file"):
        return f"by importing {values['file']}"
    if how == "class" and values.get("class"):
        return f"through class {values['class']}"
    return _HOW.get(how, "")


def _in_session(entry: JournalEntry) -> str:
    return f" in {entry.session_label}" if entry.session_label else ""


def sentence(entry: JournalEntry, tz: ZoneInfo, *, with_actor: bool = True) -> str:
    """The entry as a person reads it: 'Anne Martin changed the access end of Python
    basics from 15 Jul 2027 to 20 Jul 2027'."""
    who = (entry.actor_name or "Someone") if with_actor else ""
    text = _what(entry, tz)
    return f"{who} {text}".strip()


def _what(e: JournalEntry, tz: ZoneInfo) -> str:  # noqa: C901 - one branch per kind
    kind, action, label = e.object_type, e.action, e.object_label
    before, after = e.before or {}, e.after or {}
    learner = e.learner_label
    if kind == "session":
        if action == "create":
            return f"created the session {label}"
        if action == "copy":
            return f"created the session {label} as a copy of {after.get('source', '')}"
        if action == "delete":
            return f"deleted the session {label}"
        phrases = change_phrases(before, after, tz)
        return f"changed {_join(phrases)} of {label}" if phrases else f"saved {label}"
    if kind == "session_course":
        verb = {"add": "added the course", "remove": "removed the course",
                "move": "moved the course"}[action]
        prep = {"add": " to ", "remove": " from ", "move": " in "}[action]
        tail = f" to position {after['position'] + 1}" if action == "move" and "position" in after \
            else ""
        return f"{verb} {label}{prep}{e.session_label}{tail}"
    if kind == "course_coach":
        if action == "add":
            return f"made {learner} course coach of {label}{_in_session(e)}"
        return f"removed {learner} as course coach of {label}{_in_session(e)}"
    if kind == "enrolments":
        return _bulk_sentence(e)
    if kind == "enrolment":
        if action == "add":
            return f"enrolled {learner}{_in_session(e)} {_how_text(after)}".rstrip()
        if action == "remove":
            return f"unenrolled {learner} from {e.session_label}"
        return (f"changed how {learner} is enrolled{_in_session(e)}: now "
                f"{_how_text(after)}, before {_how_text(before)}")
    if kind == "session_class":
        count = after.get("added", before.get("removed"))
        counted = f" ({_plural(count, 'learner')} "
        counted += ("enrolled)" if action == "add" else "unenrolled)") if count is not None \
            else ""
        if count is None:
            counted = ""
        if action == "add":
            return f"linked class {label} to {e.session_label}{counted}"
        return f"unlinked class {label} from {e.session_label}{counted}"
    if kind == "class_member":
        if action == "add":
            return f"added {learner} to class {label}"
        return f"removed {learner} from class {label}"
    if kind in ("submission", "grade"):
        return _work_sentence(e, tz)
    if kind == "login":
        where = f" from {e.address}" if e.address else ""
        if action == "success":
            return f"logged in{where}"
        if action == "logout":
            return "logged out"
        return f"failed to log in as {label}{where}"
    noun = {"user": "user", "course": "course", "assignment": "assignment",
            "class": "class", "category": "category"}.get(kind, kind)
    if action == "create":
        return f"created the {noun} {label}"
    if action == "delete":
        return f"deleted the {noun} {label}"
    phrases = change_phrases(before, after, tz)
    if not phrases:
        return f"saved the {noun} {label}"
    return f"changed {_join(phrases)} of the {noun} {label}"


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
    return f"{_join(parts)}{where} {how}".rstrip()


def _work_sentence(e: JournalEntry, tz: ZoneInfo) -> str:
    after = e.after or {}
    of = f"{e.learner_label}'s hand-in for {e.object_label}" if e.learner_label \
        else f"the hand-in for {e.object_label}"
    if e.object_type == "submission":
        verb = "handed in" if e.action == "create" else "replaced their hand-in for"
        return f"{verb} {e.object_label}{_in_session(e)}"
    score = after.get("score")
    shown = f": {score}" + (f"/{after['max_score']}" if after.get("max_score") else "") \
        if score is not None else ""
    verb = "graded" if e.action == "create" else "changed the grade of"
    return f"{verb} {of}{_in_session(e)}{shown}"


def when_text(entry: JournalEntry, tz: ZoneInfo) -> str:
    return format_local(entry.at, tz)
