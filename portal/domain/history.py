"""The History page and a session's History tab: the journal filtered, one page at a
time (a count and a select, whatever its size), read as sentences, and exported.

The list shows head entries only (one line per change, a bulk change by its counts);
filtered by learner it shows items too, since a learner's line of a bulk change is
its item.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import and_, false, func, or_, select
from sqlalchemy.orm import aliased

from ..models import JournalEntry, User
from . import journal, keyset, people
from .dates import format_local, parse_local, read_range
from .keyset import Key
from .language import _l
from .pagination import Page, link_args, paginate, read_page_args
from .text_search import among, clean_search, contains, user_matches

MAX_ID = 2**31 - 1  # ids are 32-bit integers; a bigger number names nothing

# "What" on the History page; one choice may stand for several object types. Labels are
# translated when the page is shown.
WHAT_CHOICES = (
    ("session", _l("Sessions")),
    ("session_course", _l("Courses in sessions")),
    ("course_coach", _l("Course coaches")),
    ("enrolment", _l("Enrolments")),
    ("session_class", _l("Classes linked to sessions")),
    ("class_member", _l("Class members")),
    ("user", _l("Users")),
    ("course", _l("Courses")),
    ("assignment", _l("Assignments")),
    ("class", _l("Classes")),
    ("category", _l("Categories")),
    ("submission", _l("Hand-ins")),
    ("grade", _l("Grades")),
    ("login", _l("Logins")),
)
_WHAT_TYPES = {"enrolment": ("enrolment", "enrolments"),
               "enrolments": ("enrolment", "enrolments")}

# "Action" on the History page: words of a filter, apart from the buttons' verbs.
ACTION_CHOICES = (
    ("create", _l("Create")),
    ("update", _l("Edit")),
    ("copy", _l("Copy")),
    ("delete", _l("Delete")),
    ("add", _l("Add or enrol")),
    ("remove", _l("Remove or unenrol")),
    ("change", _l("Change enrolments")),
    ("move", _l("Move")),
    ("success", _l("Log in")),
    ("failure", _l("Failed log-in")),
    ("logout", _l("Log out")),
)

_DEFAULTS = {"page": 1, "per_page": 25}


@dataclass(frozen=True)
class HistoryFilters:
    """What the History list is narrowed to, as read from the query string.

    ``session_id`` is set by a session's tab (from its URL path), not by the form.
    ``errors``: messages about values that were not applied.
    """

    who: str = ""
    what: str = ""
    session: str = ""
    learner: str = ""
    action: str = ""
    date_from: str = ""
    date_to: str = ""
    page: int = 1
    per_page: int = 25
    session_id: int | None = None
    errors: tuple[str, ...] = ()
    dates_apply: bool = True  # False when the range was refused

    @classmethod
    def from_args(cls, args, *, session_id: int | None = None) -> HistoryFilters:
        """Read the filters; unknown choices are ignored, unreadable dates reported."""
        page, per_page = read_page_args(args)
        # Checked as UTC dates here; the query reads them in the viewer's zone.
        dates = read_range(clean_search(args.get("from"), 40), clean_search(args.get("to"), 40),
                           UTC)
        what, action = args.get("what", ""), args.get("action", "")
        return cls(
            who=clean_search(args.get("who")), learner=clean_search(args.get("learner")),
            session=clean_search(args.get("session")) if session_id is None else "",
            what=what if what in journal.OBJECT_TYPES else "",
            action=action if action in journal.ACTION_NAMES else "",
            date_from=dates.date_from, date_to=dates.date_to, page=page, per_page=per_page,
            session_id=session_id, errors=dates.errors, dates_apply=dates.applies,
        )

    def args(self, **changes) -> dict:
        """Query arguments for a link to these filters with ``changes`` applied."""
        f = replace(self, **changes)
        values = {"who": f.who, "what": f.what, "session": f.session, "learner": f.learner,
                  "action": f.action, "from": f.date_from, "to": f.date_to, "page": f.page,
                  "per_page": f.per_page}
        return link_args(values, _DEFAULTS)

    def export_args(self) -> dict:
        """Query arguments of the CSV export of this list (all its pages)."""
        out = self.args(page=1, per_page=25)
        if self.session_id is not None:
            out["session"] = str(self.session_id)
        return out

    @property
    def heads_only(self) -> bool:
        return not self.learner


@dataclass(frozen=True)
class HistoryEntry:
    """One journal entry ready to show: who, when (in the viewer's zone), the sentence
    (``text`` is it without the actor, so the page can link the name) and details."""

    id: int
    at: datetime
    when: str
    who: str
    actor_id: int | None
    text: str
    sentence: str
    object_type: str
    action: str
    object_label: str
    session_id: int | None
    session_label: str
    learner_id: int | None
    learner_label: str
    request_id: str | None
    address: str | None
    before: Mapping | None
    after: Mapping | None
    details: list[tuple[str, str, str]]
    # The sentence cut around ``who`` for a page that links the name (each part keeps
    # the space that touches it); ``text`` is what follows it, trimmed.
    text_before: str = ""
    text_after: str = ""

    @property
    def when_iso(self) -> str:
        return self.at.astimezone(UTC).isoformat()


def _entry(row: JournalEntry, tz: ZoneInfo, *, story: bool = False) -> HistoryEntry:
    before = after = ""
    if story:  # a learner's history: told about them
        text = journal.learner_sentence(row, tz)
        full = text
    else:
        before, after = journal.sentence_parts(row, tz)
        text, full = after.strip(), journal.sentence(row, tz)
    return HistoryEntry(
        id=row.id, at=row.at, when=format_local(row.at, tz), who=journal.actor_text(row),
        actor_id=row.actor_id, text=text, sentence=full, object_type=row.object_type,
        action=row.action, object_label=row.object_label, session_id=row.session_id,
        session_label=row.session_label, learner_id=row.learner_id,
        learner_label=row.learner_label, request_id=row.request_id, address=row.address,
        before=row.before, after=row.after,
        details=journal.detail_rows(row.before, row.after, tz), text_before=before,
        text_after=after,
    )


def _as_id(text: str) -> int | None:
    return int(text) if text.isdigit() and len(text) <= 10 and int(text) <= MAX_ID else None


def _person(id_column, label_column, text: str, *, unnamed: bool = False):
    """Entries naming a person by id (digits), else by a name, username or e-mail
    containing ``text``: every entry of a user called so now or in the journal's own
    records of users (renamed or deleted since). ``unnamed``: also the entries naming no
    user whose recorded name contains it (an actor that is no user: the portal itself,
    or the name typed at a failed login)."""
    if text.isdigit():
        number = _as_id(text)
        return id_column == number if number is not None else false()
    called = among(id_column, _users_called(text).scalar_subquery())
    if not unnamed:
        return called
    return or_(called, and_(id_column.is_(None), contains(label_column, text)))


def _users_called(text: str):
    """Ids of the users whose name, username or e-mail contains ``text`` now (through the
    user search's index), or whose entries as users (created, changed, deleted: each
    records the name they had then) name them so. Read through indexes: the label of
    every entry is not searched."""
    entry = JournalEntry
    formerly = select(entry.learner_id).where(entry.object_type == "user",
                                              contains(entry.learner_label, text))
    return select(User.id).where(user_matches(text)).union(formerly)


def _of_session(session_id: int, heads_only: bool):
    """Entries of the session. Listing heads, a bulk change over several sessions (its
    head names no session) counts as one of the session's when one of its items does."""
    entry = JournalEntry
    if not heads_only:
        return entry.session_id == session_id
    item = aliased(JournalEntry)
    parents = select(item.parent_id).where(item.session_id == session_id,
                                           item.parent_id.is_not(None))
    return or_(entry.session_id == session_id,
               and_(entry.session_id.is_(None), entry.id.in_(parents)))


def _conditions(f: HistoryFilters, tz: ZoneInfo) -> list:
    entry = JournalEntry
    conditions = []
    if f.who:
        conditions.append(_person(entry.actor_id, entry.actor_name, f.who, unnamed=True))
    if f.learner:
        conditions.append(_person(entry.learner_id, entry.learner_label, f.learner))
    if f.what:
        conditions.append(entry.object_type.in_(_WHAT_TYPES.get(f.what, (f.what,))))
    if f.action:
        conditions.append(entry.action == f.action)
    session_id = f.session_id if f.session_id is not None else _as_id(f.session)
    if session_id is not None:
        conditions.append(_of_session(session_id, f.heads_only))
    elif f.session:
        conditions.append(contains(entry.session_label, f.session))
    if f.dates_apply and f.date_from:
        conditions.append(entry.at >= parse_local(f.date_from, tz, is_end=False))
    if f.dates_apply and f.date_to:
        conditions.append(entry.at < parse_local(f.date_to, tz, is_end=True))
    if f.heads_only:
        conditions.append(entry.parent_id.is_(None))
    return conditions


def _statement(f: HistoryFilters, tz: ZoneInfo):
    """The entries matching ``f``, newest first."""
    return select(JournalEntry).where(*_conditions(f, tz)).order_by(JournalEntry.id.desc())


# Up to this many matches, a page is read by finding them all and sorting them, not by
# walking the journal newest first until a page is full: a database guessing that more
# match would otherwise read most of the journal to find a few.
FEW_MATCHES = 5_000


def history_page(db, filters: HistoryFilters, tz: ZoneInfo) -> Page:
    """One page of entries (HistoryEntry) matching ``filters``, newest first, in two
    queries (a count and the page)."""
    stmt = _statement(filters, tz)
    total = db.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    if total <= FEW_MATCHES:
        # The same order, through an expression no index serves.
        stmt = stmt.order_by(None).order_by((JournalEntry.id + 0).desc())
    # A person's entries are ranked in the (learner_id, id) or (actor_id, id) index: 11,000
    # of one name's read from the table to sort them took 25 ms, their ids 8.
    page = paginate(db, stmt, filters.page, filters.per_page, total=total,
                    keys_first=bool(filters.who or filters.learner))
    return replace(page, items=[_entry(row, tz) for row in page.items])


# The API reads the same list a cursor at a time: newest first, by id.
CURSOR_KEYS = (Key(JournalEntry.id, "int", descending=True),)


def entries_after(db, filters: HistoryFilters, tz: ZoneInfo, after_values: list | None,
                  limit: int) -> list:
    """Up to ``limit`` rows (the JournalEntry, then its keyset values) matching
    ``filters``, newest first, after those of ``after_values``; one query."""
    return keyset.rows_after(db, _statement(filters, tz), CURSOR_KEYS, after_values, limit)


def session_history_page(db, session_id: int, filters: HistoryFilters, tz: ZoneInfo) -> Page:
    """The History tab of a session: ``history_page`` narrowed to the session."""
    return history_page(db, replace(filters, session_id=session_id, session=""), tz)


def history_entries(db, filters: HistoryFilters, tz: ZoneInfo,
                    chunk: int = 1000) -> Iterator[HistoryEntry]:
    """Every entry matching ``filters`` (all pages), newest first, read ``chunk`` rows
    at a time so an export of the whole journal does not sit in memory."""
    for row in db.scalars(_statement(filters, tz).execution_options(yield_per=chunk)):
        yield _entry(row, tz)


def learner_story(db, session_id: int, user_id: int, tz: ZoneInfo) -> list[HistoryEntry]:
    """What happened to one learner in one session, oldest first, each entry told about
    them ('enrolled individually by Anne Admin on 3 Dec 2026 at 10:00'), in one query."""
    if _as_id(str(user_id)) is None or _as_id(str(session_id)) is None:
        return []
    return [_entry(e, tz, story=True) for e in people.learner_history(db, session_id, user_id)]


EXPORT_HEADER = [_l("When"), _l("When (UTC, ISO 8601)"), _l("Who"), _l("Action"),
                 _l("Object"), _l("Session"), _l("Learner"), _l("Sentence"),
                 _l("Request id"), _l("Address"), _l("Before (JSON)"), _l("After (JSON)")]


def export_header() -> list[str]:
    """The export's header in the reader's language (the values follow it too)."""
    return [str(name) for name in EXPORT_HEADER]


def _json(values: Mapping | None) -> str:
    return "" if values is None else json.dumps(values, ensure_ascii=False, sort_keys=True)


def export_rows(entries: Iterable[HistoryEntry], tz: ZoneInfo) -> Iterator[list]:
    """The cells of each entry for the CSV export (EXPORT_HEADER): the time as people
    read it (in ``tz``) and as programs do, and the values before and after as JSON."""
    for e in entries:
        yield [format_local(e.at, tz), e.when_iso, e.who, f"{e.object_type}.{e.action}",
               e.object_label, e.session_label, e.learner_label, e.sentence,
               e.request_id or "", e.address or "", _json(e.before), _json(e.after)]
