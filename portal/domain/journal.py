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
from .language import _, _l, ngettext, number_text


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

# How a changed field is named in a sentence (translated when read: ``field_label``).
FIELD_LABELS = {
    "name": _l("name"),
    "description": _l("description"),
    "category_id": _l("category"),
    "category": _l("category"),
    "coach_id": _l("session coach"),
    "coach": _l("session coach"),
    "after_end_policy": _l("after-end policy"),
    "duration_days": _l("duration"),
    "display_start": _l("display start"),
    "display_end": _l("display end"),
    "access_start": _l("access start"),
    "access_end": _l("access end"),
    "coach_start": _l("coach access start"),
    "coach_end": _l("coach access end"),
    "welcome_message": _l("welcome message"),
    "remind_days_before_end": _l("reminder before the end"),
    "coach_remind_days_before_end": _l("coach reminder before the end"),
    "grade_released_message": _l("message on each grade"),
    "username": _l("username"),
    "email": _l("e-mail"),
    "first_name": _l("first name"),
    "last_name": _l("last name"),
    "role": _l("role"),
    "active": _l("active"),
    "timezone": _l("time zone"),
    "password": _l("password"),
    "code": _l("code"),
    "title": _l("title"),
    "max_score": _l("maximum score"),
    "score": _l("score"),
    "feedback": _l("feedback"),
    "answer": _l("answer"),
    "file_name": _l("file"),
    "position": _l("position"),
    "how": _l("enrolment"),
    "extension_days": _l("extension"),
    "own_start": _l("individual start"),
    "own_end": _l("individual end"),
    "dates_reason": _l("reason"),
    "suspension_reason": _l("reason of the suspension"),
}

# Other values entries record (counts and how of bulk changes, copies, imports, logins),
# named in an entry's details; not fields of a thing, so not in change sentences.
DETAIL_LABELS = {
    "added": _l("enrolled"),
    "removed": _l("unenrolled"),
    "changed": _l("enrolment changed"),
    "count": _l("learners"),
    "sessions": _l("sessions"),
    "class": _l("class"),
    "classes": _l("classes"),
    "course": _l("course"),
    "created": _l("created"),
    "updated": _l("updated"),
    "categories": _l("categories created"),
    "reverted": _l("reverted"),
    "not_reverted": _l("not reverted"),
    "undoes": _l("undoes the entry"),
    "undo": _l("undo"),
    "source": _l("copy of"),
    "source_id": _l("copy of (id)"),
    "shift_minutes": _l("dates moved (minutes)"),
    "shift_from": _l("dates moved from"),
    "copied": _l("copied"),
    "left_out": _l("left out"),
    "courses_added": _l("courses added"),
    "coaches_added": _l("course coaches added"),
    "classes_linked": _l("classes linked"),
    "off": _l("messages turned off"),
    "ended": _l("logins ended"),
    "scope": _l("which logins"),
    "scopes": _l("scopes"),
    "expires_at": _l("expiry"),
    "owner": _l("owner"),
    "status": _l("status"),
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
#
# Entries store data; they are worded when shown, in the reader's language and zone.
# Each kind of entry is one whole translatable sentence with placeholders (word order
# differs between languages); only lists (``_join``), adverbs of how a learner is
# enrolled (``_how_text``) and values fill placeholders.


# An instant as jsonable() writes it: the date, the time, and its UTC offset.
_ISO_INSTANT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?[+-]\d{2}:\d{2}")

_DAY_FIELDS = ("duration_days", "remind_days_before_end", "coach_remind_days_before_end",
               "extension_days")


def _value_text(field: str, value, tz: ZoneInfo) -> str:
    if value is None or value == "":
        return _("(none)")
    if field == "password":
        return _("(not shown)")
    if field.endswith(("_start", "_end")) and isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return str(value)
        return format_bound(moment, tz, is_end=field in END_FIELDS)
    if isinstance(value, str) and _ISO_INSTANT.fullmatch(value):  # e.g. a due date
        return format_bound(datetime.fromisoformat(value), tz, is_end=True)
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if field in _DAY_FIELDS and isinstance(value, int):
        return ngettext("%(num)s day", "%(num)s days", value)
    if field == "how":
        return str(_HOW[value]) if value in _HOW else str(value)
    text = str(value)
    return text if len(text) <= 60 else text[:57] + "…"


def field_label(field: str) -> str:
    """How ``field`` is named to the reader (in their language)."""
    label = FIELD_LABELS.get(field) or DETAIL_LABELS.get(field)
    return str(label) if label is not None else field.replace("_", " ")


_field_label = field_label


def _changed_fields(after: Mapping) -> list[str]:
    # The name of a thing is shown instead of its id when both are recorded.
    return [f for f in after if not (f.endswith("_id") and f[:-3] in after)]


def change_phrases(before: Mapping | None, after: Mapping | None, tz: ZoneInfo) -> list[str]:
    """'the access end from 15 Jul 2027 to 20 Jul 2027', one per changed field."""
    before, after = before or {}, after or {}
    phrases = []
    for field in _changed_fields(after):
        if field == "password":
            phrases.append(_("the password"))
            continue
        phrases.append(_("the %(field)s from %(old)s to %(new)s", field=field_label(field),
                         old=_value_text(field, before.get(field), tz),
                         new=_value_text(field, after[field], tz)))
    return phrases


def detail_rows(before: Mapping | None, after: Mapping | None, tz: ZoneInfo
                ) -> list[tuple[str, str, str]]:
    """(field, value before, value after) for each value an entry records, as people
    read them; a side that does not record the field is ''. Passwords are never shown."""
    before, after = before or {}, after or {}
    fields = list(after) + [f for f in before if f not in after]
    return [(field_label(f),
             _value_text(f, before[f], tz) if f in before else "",
             _value_text(f, after[f], tz) if f in after else "") for f in fields]


# The sentences of a change to a thing, by kind (a session is named alone, the others
# with their noun): one whole text per kind and form, since articles and contractions
# differ ("du cours", "de la classe").
_CHANGED = {
    "session": {
        "rename": _l("%(who)s renamed the session %(old)s to %(new)s"),
        "unchanged": _l("%(who)s saved %(name)s without a change"),
        "field": _l("%(who)s changed the %(field)s of %(name)s from %(old)s to %(new)s"),
        "fields": _l("%(who)s changed %(name)s: %(changes)s"),
    },
    "user": {
        "create": _l("%(who)s created the user %(name)s"),
        "delete": _l("%(who)s deleted the user %(name)s"),
        "rename": _l("%(who)s renamed the user %(old)s to %(new)s"),
        "reactivate": _l("%(who)s reactivated the user %(name)s"),
        "deactivate": _l("%(who)s deactivated the user %(name)s"),
        "password": _l("%(who)s changed the password of the user %(name)s"),
        "unchanged": _l("%(who)s saved the user %(name)s without a change"),
        "field": _l("%(who)s changed the %(field)s of the user %(name)s from %(old)s to "
                    "%(new)s"),
        "fields": _l("%(who)s changed the user %(name)s: %(changes)s"),
    },
    "course": {
        "create": _l("%(who)s created the course %(name)s"),
        "delete": _l("%(who)s deleted the course %(name)s"),
        "rename": _l("%(who)s renamed the course %(old)s to %(new)s"),
        "unchanged": _l("%(who)s saved the course %(name)s without a change"),
        "field": _l("%(who)s changed the %(field)s of the course %(name)s from %(old)s to "
                    "%(new)s"),
        "fields": _l("%(who)s changed the course %(name)s: %(changes)s"),
    },
    "assignment": {
        "create": _l("%(who)s created the assignment %(name)s"),
        "create_in": _l("%(who)s created the assignment %(name)s in %(session)s"),
        "delete": _l("%(who)s deleted the assignment %(name)s"),
        "rename": _l("%(who)s renamed the assignment %(old)s to %(new)s"),
        "unchanged": _l("%(who)s saved the assignment %(name)s without a change"),
        "field": _l("%(who)s changed the %(field)s of the assignment %(name)s from %(old)s "
                    "to %(new)s"),
        "fields": _l("%(who)s changed the assignment %(name)s: %(changes)s"),
    },
    "class": {
        "create": _l("%(who)s created the class %(name)s"),
        "delete": _l("%(who)s deleted the class %(name)s"),
        "rename": _l("%(who)s renamed the class %(old)s to %(new)s"),
        "unchanged": _l("%(who)s saved the class %(name)s without a change"),
        "field": _l("%(who)s changed the %(field)s of the class %(name)s from %(old)s to "
                    "%(new)s"),
        "fields": _l("%(who)s changed the class %(name)s: %(changes)s"),
    },
    "category": {
        "create": _l("%(who)s created the category %(name)s"),
        "delete": _l("%(who)s deleted the category %(name)s"),
        "rename": _l("%(who)s renamed the category %(old)s to %(new)s"),
        "unchanged": _l("%(who)s saved the category %(name)s without a change"),
        "field": _l("%(who)s changed the %(field)s of the category %(name)s from %(old)s to "
                    "%(new)s"),
        "fields": _l("%(who)s changed the category %(name)s: %(changes)s"),
    },
}


def _say(text, **values) -> str:
    """A sentence of the tables above (lazy texts) in the current language, filled."""
    return str(text) % values


def _changed_of(kind: str, label: str, before: Mapping, after: Mapping, tz: ZoneInfo,
                who: str) -> str:
    """'renamed the class A to B', 'changed the access end of X from A to B', or
    'changed X: the a …, the b …'."""
    texts = _CHANGED.get(kind, _CHANGED["session"])
    if list(after) == ["name"] and before.get("name") and after["name"]:
        return _say(texts["rename"], who=who, old=before["name"], new=after["name"])
    if list(after) == ["active"] and "reactivate" in texts:
        return _say(texts["reactivate" if after["active"] else "deactivate"], who=who,
                    name=label)
    if list(after) == ["password"] and "password" in texts:
        return _say(texts["password"], who=who, name=label)
    phrases = change_phrases(before, after, tz)
    if not phrases:
        return _say(texts["unchanged"], who=who, name=label)
    fields = _changed_fields(after)
    if len(phrases) == 1 and fields[0] != "password":
        field = fields[0]
        return _say(texts["field"], who=who, name=label, field=field_label(field),
                    old=_value_text(field, before.get(field), tz),
                    new=_value_text(field, after[field], tz))
    return _say(texts["fields"], who=who, name=label, changes=_join(phrases))


def _join(phrases: list[str]) -> str:
    """'a, b and c' in the current language."""
    if len(phrases) <= 1:
        return "".join(phrases)
    return _("%(items)s and %(last)s", items=", ".join(phrases[:-1]), last=phrases[-1])


_HOW = {"individual": _l("individually"), "import": _l("by import"),
        "class": _l("through a class")}


def _how_text(values: Mapping | None) -> str:
    """How a learner was enrolled, as an adverb: 'individually', 'by importing a.csv'."""
    values = values or {}
    how = values.get("how")
    if values.get("undo"):
        return _("by undoing the import of %(file)s", file=values["file"]) \
            if values.get("file") else _("by undoing an import")
    if how == "import" and values.get("file"):
        return _("by importing %(file)s", file=values["file"])
    if how == "class" and values.get("class"):
        return _("through class %(class)s", **{"class": values["class"]})
    return str(_HOW[how]) if isinstance(how, str) and how in _HOW else ""


def _quoted(text: str) -> str:
    return _("“%(text)s”", text=text) if text else ""


_SPACES = re.compile(r"[ \t\r\n]+")


def _tidy(text: str) -> str:
    # An empty label (a name not recorded) must not leave doubled or trailing spaces;
    # the no-break spaces of French typography stay.
    return _SPACES.sub(" ", text).strip(" ")


def actor_text(entry: JournalEntry) -> str:
    """Who made the change, as the reader reads it."""
    if not entry.actor_name:
        return _("Someone")
    if entry.actor_id is None and entry.actor_name == SYSTEM.name:
        return _("The portal")
    return entry.actor_name


def _notifications_what(e: JournalEntry, who: str) -> str:
    from .notify import CHOICES  # notify writes journal entries: imported when read

    def named(kinds: set[str]) -> str:  # as the profile names them
        return ", ".join(f"“{CHOICES.get(kind, kind)}”" for kind in sorted(kinds))

    before = set((e.before or {}).get("off", ()))
    after = set((e.after or {}).get("off", ()))
    off, on = named(after - before), named(before - after)
    name = e.object_label
    if off and on:
        return _("%(who)s changed the messages %(name)s gets: turned off %(off)s; turned on "
                 "%(on)s", who=who, off=off, on=on, name=name)
    if off:
        return _("%(who)s turned off these messages for %(name)s: %(off)s", who=who, off=off,
                 name=name)
    if on:
        return _("%(who)s turned on these messages for %(name)s: %(on)s", who=who, on=on,
                 name=name)
    return _("%(who)s kept the messages of %(name)s", who=who, name=name)


_WHO = "\x00"  # stands for the actor's name while a sentence is cut around it


def sentence(entry: JournalEntry, tz: ZoneInfo, *, with_actor: bool = True) -> str:
    """The entry as a person reads it: 'Anne Martin changed the access end of Python
    basics from 15 Jul 2027 to 20 Jul 2027'. Without the actor: the rest of it."""
    if with_actor:
        return _tidy(_what(entry, tz, actor_text(entry)))
    before, after = sentence_parts(entry, tz)
    return _tidy(f"{before} {after}")


def sentence_parts(entry: JournalEntry, tz: ZoneInfo) -> tuple[str, str]:
    """The sentence cut around the actor's name, so a page can link the name: the text
    before it and the text after it, each keeping a space that touches the name."""
    text = _what(entry, tz, _WHO)
    before, _cut, after = text.partition(_WHO)

    def tidy(part: str) -> str:
        core = _tidy(part)
        if not core:
            return ""
        return (" " if part[:1] == " " else "") + core + (" " if part[-1:] == " " else "")

    return tidy(before), tidy(after)


def _what(e: JournalEntry, tz: ZoneInfo, who: str) -> str:
    kind = e.object_type
    if kind == "session":
        return _session_what(e, tz, who)
    if kind in ("session_course", "course_coach", "session_class", "class_member"):
        return _link_what(e, who)
    if kind == "enrolments" and e.action == "undo":
        return _undo_what(e, who)
    if kind in ("enrolments", "enrolment") and e.action in _LEARNER_DATE_ACTIONS:
        return _learner_dates_what(e, tz, who)
    if kind == "enrolments":
        return _bulk_sentence(e, who)
    if kind == "enrolment":
        return _enrolment_what(e, who)
    if kind in ("submission", "grade"):
        return _work_sentence(e, who)
    if kind == "login":
        return _login_what(e, who)
    if kind == "outbox_message":
        return _("%(who)s sent the message “%(subject)s” again", who=who,
                 subject=e.object_label)
    if kind == "accounts":
        created = (e.after or {}).get("created", 0)
        return ngettext("%(who)s created %(num)s learner account from %(file)s, each sent a "
                        "link to choose a password",
                        "%(who)s created %(num)s learner accounts from %(file)s, each sent a "
                        "link to choose a password", created, who=who,
                        file=_quoted(e.object_label))
    if kind == "notifications":
        return _notifications_what(e, who)
    if kind == "api_token":
        if e.action == "create":
            return _("%(who)s created the API token %(name)s", who=who,
                     name=_quoted(e.object_label))
        return _("%(who)s revoked the API token %(name)s", who=who,
                 name=_quoted(e.object_label))
    if kind == "assignment_due":
        return _due_dates_what(e, tz, who)
    if kind in ("sessions_import", "session_import"):
        return _sessions_import_what(e, tz, who)
    texts = _CHANGED.get(kind, _CHANGED["session"])
    if e.action == "create":
        if kind == "assignment" and e.session_label:
            return _say(texts["create_in"], who=who, name=e.object_label,
                        session=e.session_label)
        return _say(texts["create"], who=who, name=e.object_label)
    if e.action == "delete":
        return _say(texts["delete"], who=who, name=e.object_label)
    return _changed_of(kind, e.object_label, e.before or {}, e.after or {}, tz, who)


def shift_words(minutes: int) -> str:
    """A copy's date shift in words: '182 days later', '3 days and 2 hours earlier'."""
    days, rest = divmod(abs(minutes), 1440)
    hours, mins = divmod(rest, 60)
    parts = []
    if days:
        parts.append(ngettext("%(num)s day", "%(num)s days", days))
    if hours:
        parts.append(ngettext("%(num)s hour", "%(num)s hours", hours))
    if mins:
        parts.append(ngettext("%(num)s minute", "%(num)s minutes", mins))
    if not parts:
        return _("by nothing")
    duration = _join(parts)
    return _("%(duration)s later", duration=duration) if minutes > 0 \
        else _("%(duration)s earlier", duration=duration)


# What a copy took along or left out (after: 'copied', 'left_out').
_COPIED = {"learners": _l("learners"), "class links": _l("class links"),
           "course coaches": _l("course coaches")}


def _copied_text(names) -> str:
    return _join([str(_COPIED[n]) if n in _COPIED else str(n) for n in names])


def _session_what(e: JournalEntry, tz: ZoneInfo, who: str) -> str:
    label, after = e.object_label or e.session_label, e.after or {}
    if e.action == "create":
        return _("%(who)s created the session %(name)s", who=who, name=label)
    if e.action == "copy":
        source = after.get("source")
        text = _("%(who)s created the session %(name)s as a copy of %(source)s", who=who,
                 name=label, source=source) if source \
            else _("%(who)s created the session %(name)s", who=who, name=label)
        if isinstance(after.get("shift_minutes"), int):
            text = _("%(sentence)s, its dates moved %(shift)s", sentence=text,
                     shift=shift_words(after["shift_minutes"]))
        more = [c for c in after.get("copied") or () if c != "course coaches"]
        if more:
            text = _("%(sentence)s, with its %(things)s", sentence=text,
                     things=_copied_text(more))
        left_out = after.get("left_out") or ()
        if left_out:
            text = _("%(sentence)s, without its %(things)s", sentence=text,
                     things=_copied_text(left_out))
        return text
    if e.action == "delete":
        return _("%(who)s deleted the session %(name)s", who=who, name=label)
    return _changed_of("session", label, e.before or {}, after, tz, who)


def _sessions_import_what(e: JournalEntry, tz: ZoneInfo, who: str) -> str:
    """'imported sessions from terms.csv: 2 created, 1 updated', 'undid the sessions
    import of terms.csv', 'created the session X by import', 'changed X by import: …'."""
    after = e.after or {}
    if e.object_type == "session_import":
        if e.action == "create":
            return _("%(who)s created the session %(name)s by import", who=who,
                     name=e.object_label)
        fields = {k: v for k, v in after.items() if k in FIELD_LABELS}
        phrases = change_phrases(e.before or {}, fields, tz)
        counts = (
            ("courses_added", lambda n: ngettext("%(num)s course added",
                                                 "%(num)s courses added", n)),
            ("coaches_added", lambda n: ngettext("%(num)s course coach added",
                                                 "%(num)s course coaches added", n)),
            ("classes_linked", lambda n: ngettext("%(num)s class linked",
                                                  "%(num)s classes linked", n)))
        added = [text(len(after[k])) for k, text in counts if after.get(k)]
        if not phrases + added:
            return _("%(who)s changed %(name)s by import", who=who, name=e.object_label)
        return _("%(who)s changed %(name)s by import: %(changes)s", who=who,
                 name=e.object_label, changes=_join(phrases + added))
    if e.action == "undo":
        return ngettext(
            "%(who)s undid the sessions import of %(file)s (%(changes)s reverted, %(num)s "
            "left as it is)",
            "%(who)s undid the sessions import of %(file)s (%(changes)s reverted, %(num)s "
            "left as they are)", after.get("not_reverted", 0), who=who, file=e.object_label,
            changes=_changes(after.get("reverted", 0)))
    created = number_text(after.get("created", 0))
    updated = number_text(after.get("updated", 0))
    if after.get("categories"):
        return ngettext(
            "%(who)s imported sessions from %(file)s: %(created)s created, %(updated)s "
            "updated, %(num)s category created",
            "%(who)s imported sessions from %(file)s: %(created)s created, %(updated)s "
            "updated, %(num)s categories created", len(after["categories"]), who=who,
            file=e.object_label, created=created, updated=updated)
    return _("%(who)s imported sessions from %(file)s: %(created)s created, %(updated)s "
             "updated", who=who, file=e.object_label, created=created, updated=updated)


def _changes(count: int) -> str:
    return ngettext("%(num)s change", "%(num)s changes", count)


def _link_what(e: JournalEntry, who: str) -> str:
    """Courses, course coaches and classes of a session, members of a class."""
    label, learner, action, after = e.object_label, e.learner_label, e.action, e.after or {}
    session = e.session_label
    if e.object_type == "session_course":
        if action == "move":
            position = after.get("position")
            if isinstance(position, int):
                to = number_text(position + 1)
                if session:
                    return _("%(who)s moved the course %(course)s in %(session)s to position "
                             "%(position)s", who=who, course=label, session=session,
                             position=to)
                return _("%(who)s moved the course %(course)s to position %(position)s",
                         who=who, course=label, position=to)
            if session:
                return _("%(who)s moved the course %(course)s in %(session)s", who=who,
                         course=label, session=session)
            return _("%(who)s moved the course %(course)s", who=who, course=label)
        if action == "add":
            if session:
                return _("%(who)s added the course %(course)s to %(session)s", who=who,
                         course=label, session=session)
            return _("%(who)s added the course %(course)s", who=who, course=label)
        if session:
            return _("%(who)s removed the course %(course)s from %(session)s", who=who,
                     course=label, session=session)
        return _("%(who)s removed the course %(course)s", who=who, course=label)
    if e.object_type == "course_coach":
        if action == "add":
            if session:
                return _("%(who)s made %(coach)s course coach of %(course)s in %(session)s",
                         who=who, coach=learner, course=label, session=session)
            return _("%(who)s made %(coach)s course coach of %(course)s", who=who,
                     coach=learner, course=label)
        if session:
            return _("%(who)s removed %(coach)s as course coach of %(course)s in "
                     "%(session)s", who=who, coach=learner, course=label, session=session)
        return _("%(who)s removed %(coach)s as course coach of %(course)s", who=who,
                 coach=learner, course=label)
    if e.object_type == "class_member":
        if action == "add":
            return _("%(who)s added %(member)s to class %(class)s", who=who, member=learner,
                     **{"class": label})
        return _("%(who)s removed %(member)s from class %(class)s", who=who, member=learner,
                 **{"class": label})
    count = after.get("added") if action == "add" else (e.before or {}).get("removed")
    if count is None:
        count = after.get("removed")
    values = {"who": who, "class": label, "session": session}
    if action == "add":
        if isinstance(count, int):
            return ngettext("%(who)s linked class %(class)s to %(session)s (%(num)s learner "
                            "enrolled)",
                            "%(who)s linked class %(class)s to %(session)s (%(num)s learners "
                            "enrolled)", count, **values)
        return _("%(who)s linked class %(class)s to %(session)s", **values)
    if isinstance(count, int):
        return ngettext("%(who)s unlinked class %(class)s from %(session)s (%(num)s learner "
                        "unenrolled)",
                        "%(who)s unlinked class %(class)s from %(session)s (%(num)s learners "
                        "unenrolled)", count, **values)
    return _("%(who)s unlinked class %(class)s from %(session)s", **values)


def _enrolment_what(e: JournalEntry, who: str) -> str:
    learner, after, before = e.learner_label, e.after or {}, e.before or {}
    session = e.session_label
    if e.action == "add":
        if session:
            return _("%(who)s enrolled %(learner)s in %(session)s %(how)s", who=who,
                     learner=learner, session=session, how=_how_text(after))
        return _("%(who)s enrolled %(learner)s %(how)s", who=who, learner=learner,
                 how=_how_text(after))
    if e.action == "remove":
        if session:
            return _("%(who)s unenrolled %(learner)s from %(session)s", who=who,
                     learner=learner, session=session)
        return _("%(who)s unenrolled %(learner)s", who=who, learner=learner)
    values = {"who": who, "learner": learner, "session": session,
              "now": _how_text(after), "was": _how_text(before)}
    if session:
        if values["now"] and values["was"]:
            return _("%(who)s changed how %(learner)s is enrolled in %(session)s: now "
                     "%(now)s, before %(was)s", **values)
        if values["now"]:
            return _("%(who)s changed how %(learner)s is enrolled in %(session)s: now "
                     "%(now)s", **values)
        if values["was"]:
            return _("%(who)s changed how %(learner)s is enrolled in %(session)s, before "
                     "%(was)s", **values)
        return _("%(who)s changed how %(learner)s is enrolled in %(session)s", **values)
    if values["now"] and values["was"]:
        return _("%(who)s changed how %(learner)s is enrolled: now %(now)s, before %(was)s",
                 **values)
    if values["now"]:
        return _("%(who)s changed how %(learner)s is enrolled: now %(now)s", **values)
    if values["was"]:
        return _("%(who)s changed how %(learner)s is enrolled, before %(was)s", **values)
    return _("%(who)s changed how %(learner)s is enrolled", **values)


_LEARNER_DATE_ACTIONS = ("dates", "suspend", "lift")


def _learner_dates_what(e: JournalEntry, tz: ZoneInfo, who: str) -> str:
    """'set the individual dates of Léa Roux in Python basics: the extension from (none) to
    5 days and the reason …', 'suspended 3 learners in Python basics: “unpaid fees”'."""
    after, before = e.after or {}, e.before or {}
    learners = ngettext("%(num)s learner", "%(num)s learners", after.get("count", 0)) \
        if e.object_type == "enrolments" else e.learner_label
    values = {"who": who, "learners": learners, "session": e.session_label}
    session = bool(e.session_label)
    # A removal clears the reason; any other change keeps one (it is required).
    if e.action == "dates" and e.object_type == "enrolment" and "dates_reason" in after \
            and after["dates_reason"] is None:
        return _("%(who)s removed the individual dates of %(learners)s in %(session)s",
                 **values) if session \
            else _("%(who)s removed the individual dates of %(learners)s", **values)
    if e.action == "suspend":
        reason = after.get("suspension_reason")
        if reason:
            values["reason"] = _quoted(reason)
            return _("%(who)s suspended %(learners)s in %(session)s: %(reason)s",
                     **values) if session \
                else _("%(who)s suspended %(learners)s: %(reason)s", **values)
        return _("%(who)s suspended %(learners)s in %(session)s", **values) if session \
            else _("%(who)s suspended %(learners)s", **values)
    if e.action == "lift":
        return _("%(who)s lifted the suspension of %(learners)s in %(session)s",
                 **values) if session \
            else _("%(who)s lifted the suspension of %(learners)s", **values)
    phrases = change_phrases(before, after, tz) if e.object_type == "enrolment" else []
    if phrases:
        values["changes"] = _join(phrases)
        return _("%(who)s set the individual dates of %(learners)s in %(session)s: "
                 "%(changes)s", **values) if session \
            else _("%(who)s set the individual dates of %(learners)s: %(changes)s", **values)
    return _("%(who)s set the individual dates of %(learners)s in %(session)s",
             **values) if session \
        else _("%(who)s set the individual dates of %(learners)s", **values)


def _due_value_text(value, tz: ZoneInfo) -> str:
    if value is None:
        return _("none")
    if isinstance(value, int):
        return ngettext("%(num)s day after each learner's access start",
                        "%(num)s days after each learner's access start", value)
    try:
        return format_bound(datetime.fromisoformat(value), tz, is_end=True)
    except (TypeError, ValueError):
        return str(value)


def _due_dates_what(e: JournalEntry, tz: ZoneInfo, who: str) -> str:
    """'changed the due dates of Python basics in Onboarding: Loops from none to 3 Dec
    2026 at 17:00'."""
    before, after = e.before or {}, e.after or {}
    phrases = [_("%(title)s from %(old)s to %(new)s", title=title,
                 old=_due_value_text(before.get(title), tz), new=_due_value_text(value, tz))
               for title, value in after.items()]
    values = {"who": who, "course": e.object_label or _("a course"),
              "session": e.session_label, "changes": _join(phrases)}
    if e.session_label:
        if phrases:
            return _("%(who)s changed the due dates of %(course)s in %(session)s: "
                     "%(changes)s", **values)
        return _("%(who)s changed the due dates of %(course)s in %(session)s", **values)
    if phrases:
        return _("%(who)s changed the due dates of %(course)s: %(changes)s", **values)
    return _("%(who)s changed the due dates of %(course)s", **values)


def _login_what(e: JournalEntry, who: str) -> str:
    values = {"who": who, "address": e.address, "name": _quoted(e.object_label)}
    if e.action == "success":
        return _("%(who)s logged in from %(address)s", **values) if e.address \
            else _("%(who)s logged in", **values)
    if e.action == "logout":
        return _logout_what(e, who)
    if e.object_label:
        return _("%(who)s failed to log in as %(name)s from %(address)s", **values) \
            if e.address else _("%(who)s failed to log in as %(name)s", **values)
    return _("%(who)s failed to log in from %(address)s", **values) if e.address \
        else _("%(who)s failed to log in", **values)


def _logout_what(e: JournalEntry, who: str) -> str:
    """Logged out, or logins ended on the server (after: {'ended': n, 'scope': one |
    others (a new password) | all (an admin's "log out everywhere")})."""
    after = e.after or {}
    if not after.get("ended"):
        return _("%(who)s logged out", who=who)
    own = e.actor_id is not None and e.actor_id == e.learner_id
    count, scope = after["ended"], after.get("scope")
    values = {"who": who, "learner": e.learner_label}
    if scope == "one":
        return _("%(who)s ended one of their logins", **values) if own \
            else _("%(who)s ended a login of %(learner)s", **values)
    if scope == "others":
        if own:
            return ngettext("%(who)s ended their %(num)s other login (password changed)",
                            "%(who)s ended their %(num)s other logins (password changed)",
                            count, **values)
        return ngettext("%(who)s ended %(num)s login of %(learner)s (password changed)",
                        "%(who)s ended %(num)s logins of %(learner)s (password changed)",
                        count, **values)
    return ngettext("%(who)s logged %(learner)s out everywhere (%(num)s login ended)",
                    "%(who)s logged %(learner)s out everywhere (%(num)s logins ended)",
                    count, **values)


def _undo_what(e: JournalEntry, who: str) -> str:
    """'undid the import of spring.csv (3 changes reverted, 1 left as it is)'."""
    after = e.after or {}
    return ngettext("%(who)s undid the import of %(file)s (%(changes)s reverted, %(num)s "
                    "left as it is)",
                    "%(who)s undid the import of %(file)s (%(changes)s reverted, %(num)s "
                    "left as they are)", after.get("not_reverted", 0), who=who,
                    file=e.object_label, changes=_changes(after.get("reverted", 0)))


def _bulk_sentence(e: JournalEntry, who: str) -> str:
    """A bulk enrolment change: its counts as verb phrases joined into one list (every
    combination as its own sentence would be too many), where, and how."""
    after = e.after or {}
    parts = []
    if after.get("added"):
        parts.append(ngettext("enrolled %(num)s learner", "enrolled %(num)s learners",
                              after["added"]))
    if after.get("changed"):
        parts.append(ngettext("changed how %(num)s learner is enrolled",
                              "changed how %(num)s learners are enrolled", after["changed"]))
    if after.get("removed"):
        parts.append(ngettext("unenrolled %(num)s learner", "unenrolled %(num)s learners",
                              after["removed"]))
    if not parts:
        parts.append(_("changed no enrolment"))
    values = {"who": who, "changes": _join(parts), "how": _how_text(after),
              "session": e.session_label}
    if e.session_label:
        return _("%(who)s %(changes)s in %(session)s %(how)s", **values)
    if after.get("sessions"):
        return ngettext("%(who)s %(changes)s in %(num)s session %(how)s",
                        "%(who)s %(changes)s in %(num)s sessions %(how)s", after["sessions"],
                        **values)
    return _("%(who)s %(changes)s %(how)s", **values)


def _work_sentence(e: JournalEntry, who: str) -> str:
    after, session = e.after or {}, e.session_label
    values = {"who": who, "assignment": e.object_label, "learner": e.learner_label,
              "session": session}
    if e.object_type == "submission":
        if e.action == "create":
            return _("%(who)s handed in %(assignment)s in %(session)s", **values) if session \
                else _("%(who)s handed in %(assignment)s", **values)
        return _("%(who)s replaced their hand-in for %(assignment)s in %(session)s",
                 **values) if session \
            else _("%(who)s replaced their hand-in for %(assignment)s", **values)
    graded = e.action == "create"
    if e.learner_label and session:
        text = _("%(who)s graded %(learner)s's hand-in for %(assignment)s in %(session)s",
                 **values) if graded else \
            _("%(who)s changed the grade of %(learner)s's hand-in for %(assignment)s in "
              "%(session)s", **values)
    elif e.learner_label:
        text = _("%(who)s graded %(learner)s's hand-in for %(assignment)s", **values) \
            if graded else \
            _("%(who)s changed the grade of %(learner)s's hand-in for %(assignment)s",
              **values)
    elif session:
        text = _("%(who)s graded the hand-in for %(assignment)s in %(session)s", **values) \
            if graded else \
            _("%(who)s changed the grade of the hand-in for %(assignment)s in %(session)s",
              **values)
    else:
        text = _("%(who)s graded the hand-in for %(assignment)s", **values) if graded else \
            _("%(who)s changed the grade of the hand-in for %(assignment)s", **values)
    score = _score_text(after)
    return _("%(sentence)s: %(score)s", sentence=text, score=score) if score else text


def _number(value) -> str:
    """A score as recorded (text or number), in the reader's way of writing numbers."""
    try:
        return number_text(Decimal(str(value)))
    except (ArithmeticError, ValueError):
        return str(value)


def _score_text(values: Mapping) -> str:
    score = values.get("score")
    if score is None:
        return ""
    if values.get("max_score"):
        return _("%(score)s/%(max)s", score=_number(score), max=_number(values["max_score"]))
    return _number(score)


def learner_sentence(entry: JournalEntry, tz: ZoneInfo) -> str:
    """The entry as a line of one learner's story in a session, told about them:
    'enrolled individually by Anne Admin on 3 Dec 2026 at 10:00'."""
    e = entry
    after, before = e.after or {}, e.before or {}
    when = format_local(e.at, tz)
    what = _story_what(e, after, before)
    if what is None:
        return _tidy(_("%(sentence)s on %(when)s", sentence=sentence(e, tz), when=when))
    if e.actor_id is not None and e.actor_id == e.learner_id:
        return _tidy(_("%(what)s on %(when)s", what=what, when=when))
    return _tidy(_("%(what)s by %(who)s on %(when)s", what=what,
                   who=e.actor_name or _("someone"), when=when))


def _story_what(e: JournalEntry, after: Mapping, before: Mapping) -> str | None:
    """What happened to the learner, without who and when (None: told as a sentence)."""
    if e.object_type == "enrolment" and e.action == "add":
        return _("enrolled %(how)s", how=_how_text(after))
    if e.object_type == "enrolment" and e.action == "remove":
        was = _how_text(before)
        return _("unenrolled (was enrolled %(how)s)", how=was) if was else _("unenrolled")
    if e.object_type == "enrolment":
        now_how, was_how = _how_text(after), _how_text(before)
        if now_how and was_how:
            return _("now enrolled %(how)s instead of %(was)s", how=now_how, was=was_how)
        if now_how:
            return _("now enrolled %(how)s", how=now_how)
        if was_how:
            return _("enrolment changed instead of %(was)s", was=was_how)
        return _("enrolment changed")
    if e.object_type == "course_coach":
        return _("made course coach of %(course)s", course=e.object_label) \
            if e.action == "add" else \
            _("removed as course coach of %(course)s", course=e.object_label)
    if e.object_type == "grade":
        score = _score_text(after)
        if e.action == "create":
            return _("hand-in for %(assignment)s graded %(score)s", assignment=e.object_label,
                     score=score) if score else \
                _("hand-in for %(assignment)s graded", assignment=e.object_label)
        return _("grade for %(assignment)s changed to %(score)s", assignment=e.object_label,
                 score=score) if score else \
            _("grade for %(assignment)s changed", assignment=e.object_label)
    if e.object_type == "submission":
        return _("handed in %(assignment)s", assignment=e.object_label) \
            if e.action == "create" else \
            _("replaced the hand-in for %(assignment)s", assignment=e.object_label)
    return None


def when_text(entry: JournalEntry, tz: ZoneInfo) -> str:
    """When the entry was written, in ``tz``: '3 Dec 2026 at 10:00'."""
    return format_local(entry.at, tz)
