"""CSV import of user–session assignments: read, preview, apply.

Plain functions, no Flask request inside. ``read_csv`` turns the uploaded bytes into
rows or a ``FileProblem``; ``preview`` resolves users, sessions and enrolments and
sorts every row into what applying it would do; ``apply`` writes the rows of a
preview in the caller's transaction (the caller commits) through the one enrolment
write path. Rules: DESIGN.md, "Enrolment". Whatever the number of rows, each step runs
a fixed number of queries: lookups and writes take their values as one parameter
(portal.domain.value_lists).
"""

from __future__ import annotations

import csv
import functools
import gc
import hashlib
import io
import re
import secrets
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from itertools import islice
from operator import itemgetter
from typing import NamedTuple

from sqlalchemy import delete, func, select
from sqlalchemy import text as sql_text

from ..models import Enrolment, ImportUpload, TrainingSession, User
from . import account_import, enrolment
from .enrolment import EnrolmentChanges, in_linked_class
from .journal import Actor
from .language import DEFAULT, _, ngettext, number_text, pgettext, speaking
from .tabular import (  # noqa: F401 (MAX_BYTES: the pages)
    MAX_BYTES,
    FileProblem,
    TableError,
    column_letter,
    column_names,
    find_columns,
    open_table,
    place_in,
    quote_fix,
)
from .value_lists import one_of, pair_rows

MAX_ROWS = 200_000

COLUMNS = ("username", "email", "session", "action")
# What a file adds to make the accounts it names (portal.domain.account_import).
ACCOUNT_COLUMNS = ("first_name", "last_name", "class")
ALL_COLUMNS = COLUMNS + ACCOUNT_COLUMNS
ACTIONS = ("add", "remove")


def column_labels() -> dict[str, str]:
    """The columns of an enrolment file as a header names them in the current language
    (the import reads them in every language: tabular.column_names)."""
    return {
        "username": pgettext("file column", "username"),
        "email": pgettext("file column", "email"),
        "session": pgettext("file column", "session"),
        "action": pgettext("file column", "action"),
        "first_name": pgettext("file column", "first_name"),
        "last_name": pgettext("file column", "last_name"),
        "class": pgettext("file column", "class"),
    }


class RowKind(StrEnum):
    ADD = "add"  # will enrol (or make a class enrolment individual too)
    ALREADY = "already"  # add of someone already enrolled individually: no change
    REMOVE = "remove"  # will unenrol (or leave them enrolled only through their class)
    NOT_ENROLLED = "not_enrolled"  # remove that changes nothing
    ERROR = "error"


# A bulk step's progress, for the page of a big import run in the background:
# progress(phase, rows done so far), called at each phase and every PROGRESS_EVERY rows.
Progress = Callable[[str, int], None]
PROGRESS_EVERY = 5_000

KIND_ORDER = (RowKind.ERROR, RowKind.ADD, RowKind.ALREADY, RowKind.REMOVE, RowKind.NOT_ENROLLED)
_KIND_CODES = {kind: code for code, kind in enumerate(KIND_ORDER)}


# --- reading the file -----------------------------------------------------------


class Row(NamedTuple):
    """One data row as written (values trimmed); ``line`` is its first line in the file."""

    line: int
    username: str
    email: str
    session: str | None  # None when the file has no session column
    action: str
    extra_values: int  # non-empty cells beyond the header's columns
    first_name: str = ""  # the account columns, for accounts made from the file
    last_name: str = ""
    class_name: str = ""


@dataclass(frozen=True)
class ParsedFile:
    separator_name: str  # "comma", "semicolon", "tab" or "Excel sheet"
    header_line: int
    columns: tuple[str, ...]  # the known columns found, in file order
    ignored_columns: tuple[str, ...]
    rows: list[Row]
    sheet: str | None = None  # the sheet read, for a workbook
    positions: Mapping[str, int] = field(default_factory=dict)  # known column → 0-based index
    headers: Mapping[str, str] = field(default_factory=dict)  # known column → as written

    def place(self, line: int, column: str | None = None) -> str:
        """Where a row (and a known column) is: "line 12", or for a workbook
        "row 12, column C of sheet “Learners”" (portal.domain.tabular)."""
        return place_in(self.sheet, line, self.positions.get(column) if column else None)


def without_gc(step):
    """Run a bulk step with the cyclic garbage collector paused.

    Reading, previewing and applying a 100,000-row file allocate about a million small
    objects that all live until the step ends and form no cycles; the collector's
    repeated passes over them cost a third of the preview's time and free nothing.
    Reference counting still frees everything as usual.
    """
    @functools.wraps(step)
    def run(*args, **kwargs):
        if not gc.isenabled():
            return step(*args, **kwargs)
        gc.disable()
        try:
            return step(*args, **kwargs)
        finally:
            gc.enable()

    return run



@without_gc
def read_csv(data: bytes, *, session_required: bool,
             progress: Progress | None = None) -> ParsedFile | FileProblem:
    """Read ``data`` (a CSV text or an XLSX workbook, see portal.domain.tabular); a
    FileProblem when the file as a whole cannot be used.

    The first non-blank record is the header; header names and values trimmed, names
    case-insensitive; blank records skipped.
    """
    table = open_table(data)
    if isinstance(table, FileProblem):
        return table
    header: list[str] | None = None
    header_line = width = 0
    positions: dict[str, int] = {}
    pick = itemgetter(0)
    rows: list[Row] = []
    # Without a progress callback the row count never reaches this: no report, no call.
    report_at = PROGRESS_EVERY if progress is not None else MAX_ROWS + 1
    try:
        for line, record in table.records:
            if not "".join(record).strip():
                continue
            if header is None:
                header, header_line, width = record, line, len(record)
                problem = _read_header(header, table.place(header_line), session_required,
                                       positions)
                if problem is not None:
                    return problem
                # Index ``width`` is an empty cell added to every record: a missing column.
                pick = itemgetter(*(positions.get(name, width) for name in ALL_COLUMNS))
                continue
            if len(rows) >= report_at:
                report_at += PROGRESS_EVERY
                progress("reading", len(rows))
            if len(rows) >= MAX_ROWS:
                return FileProblem(_(
                    "The file has more than %(max)s rows. "
                    "Split it into smaller files and import them one after the other.",
                    max=number_text(MAX_ROWS)))
            extra = 0
            if len(record) > width:
                extra = sum(1 for cell in record[width:] if cell.strip())
                del record[width:]
            elif len(record) < width:
                record.extend([""] * (width - len(record)))
            record.append("")
            username, email, session, action, first_name, last_name, class_name = \
                pick(record)
            rows.append(Row(line, username.strip(), email.strip(),
                            session.strip() if "session" in positions else None,
                            action.strip(), extra, first_name.strip(), last_name.strip(),
                            class_name.strip()))
    except TableError as error:
        return FileProblem(str(error))
    if header is None and table.sheet is not None:
        return FileProblem(_("The first sheet of the workbook, “%(sheet)s”, is empty. It "
                             "needs a header row (for example username, session, action) "
                             "and one row per enrolment.", sheet=table.sheet))
    if header is None:
        return FileProblem(_("The file is empty. It needs a header line (for example "
                             "“username,session,action”) and one line per enrolment."))
    if not rows:
        if table.sheet is None:
            return FileProblem(_("The file has a header but no rows: add one line per "
                                 "enrolment below the header."))
        return FileProblem(_("The file has a header but no rows: add one row per "
                             "enrolment below the header."))
    if progress is not None:
        progress("reading", len(rows))
    known = tuple(sorted(positions, key=positions.get))
    ignored = tuple(name.strip() for index, name in enumerate(header)
                    if name.strip() and index not in positions.values())
    return ParsedFile(table.separator_name, header_line, known, ignored, rows, table.sheet,
                      dict(positions), {name: header[i].strip() for name, i in positions.items()})


def _read_header(header: list[str], place: str, session_required: bool,
                 positions: dict[str, int]) -> FileProblem | None:
    problem = find_columns(header, column_names(column_labels), place, positions)
    if problem is not None:
        return problem
    found = ", ".join(f"“{cell.strip()[:40]}”" for cell in header[:8] if cell.strip())
    labels = column_labels()  # the names in the reader's language
    if "username" not in positions and "email" not in positions:
        return FileProblem(_(
            "Missing column: the header (%(place)s) needs a “%(username)s” or an "
            "“%(email)s” column. The first non-blank line is read as the header; it has "
            "%(found)s.", place=place, username=labels["username"], email=labels["email"],
            found=found))
    if session_required and "session" not in positions:
        return FileProblem(_(
            "Missing column: the header (%(place)s) needs a “%(session)s” column naming "
            "the session of each row. It has %(found)s.", place=place,
            session=labels["session"], found=found))
    return None


# --- preview --------------------------------------------------------------------


@dataclass(slots=True)
class PreviewRow:
    line: int
    user_text: str  # the username or e-mail as written
    user_column: str  # which of the two: "username" or "email"
    session_name: str  # the session's own name once found, else as written
    action: str
    kind: RowKind = RowKind.ERROR
    column: str = ""  # for errors: the column(s) at fault
    message: str = ""  # for errors: the reason and the fix; otherwise a note
    user_id: int | None = None
    session_id: int | None = None
    enrolment_id: int | None = None  # the existing enrolment an add or remove changes
    kept_by_class: bool = False  # remove: stays enrolled through a linked class
    class_id: int | None = None  # the class the row's ``class`` column names

    def fail(self, column: str, message: str) -> None:
        if self.kind is RowKind.ERROR and self.message:
            self.column = ", ".join(dict.fromkeys([*self.column.split(", "), column]))
            self.message = f"{self.message} {message}"
        else:
            self.kind, self.column, self.message = RowKind.ERROR, column, message


@dataclass
class Preview:
    rows: list[PreviewRow]
    separator_name: str
    ignored_columns: tuple[str, ...]
    fixed_session_id: int | None = None
    counts: Counter = field(default_factory=Counter)
    # With "create the missing accounts" (``create_accounts``): those the apply makes
    # (account_import.NewAccount).
    accounts: list = field(default_factory=list)
    create_accounts: bool = False
    sheet: str | None = None  # a workbook's sheet, which places are named in
    positions: Mapping[str, int] = field(default_factory=dict)  # as ParsedFile's
    headers: Mapping[str, str] = field(default_factory=dict)  # as ParsedFile's

    def place(self, row: PreviewRow) -> str:
        """"Row 12 of sheet “Learners”" for a workbook, "Line 12" for a CSV."""
        where = place_in(self.sheet, row.line)
        return where[:1].upper() + where[1:]

    def column_text(self, row: PreviewRow) -> str:
        """The column(s) at fault as the file's header names them (else in the reader's
        language), with a workbook's letters: "session (C)". ``row.column`` holds machine
        names, ", " between columns at fault, "|" between two alternatives."""
        labels = column_labels()

        def named(name: str) -> str:
            text = self.headers.get(name) or labels.get(name, name)
            if self.sheet is not None and name in self.positions:
                return f"{text} ({column_letter(self.positions[name])})"
            return text

        parts = []
        for part in row.column.split(", ") if row.column else ():
            choices = [named(name) for name in part.split("|")]
            parts.append(choices[0] if len(choices) == 1 else
                         _("%(one)s or %(other)s", one=choices[0], other=choices[1]))
        return ", ".join(parts)

    @property
    def error_count(self) -> int:
        return self.counts[RowKind.ERROR]

    @property
    def change_count(self) -> int:
        return self.counts[RowKind.ADD] + self.counts[RowKind.REMOVE]

    @property
    def kept_by_class(self) -> int:
        return sum(1 for row in self.rows if row.kind is RowKind.REMOVE and row.kept_by_class)

    def of_kind(self, kind: RowKind, limit: int | None = None) -> list[PreviewRow]:
        return list(islice((row for row in self.rows if row.kind is kind), limit))

    def signature(self) -> str:
        """Changes when re-validating the same file gives another outcome for any row."""
        digest = hashlib.sha256(bytes(_KIND_CODES[row.kind] for row in self.rows))
        # The accounts to make: another username chosen changes what applying writes.
        digest.update("\n".join(account.username for account in self.accounts).encode())
        return digest.hexdigest()[:32]


@without_gc
def preview(db, parsed: ParsedFile, fixed_session: TrainingSession | None = None, *,
            create_accounts: bool = False, progress: Progress | None = None) -> Preview:
    """Sort each row of ``parsed`` into add / already / remove / not enrolled / error.

    With ``fixed_session`` (the session page) every row belongs to that session: a
    ``session`` value naming another one is an error. With ``create_accounts``, a row
    naming an unknown user whose account columns are filled in adds the account to make
    (``Preview.accounts``, see portal.domain.account_import). Reads only, in a fixed
    number of queries (users, sessions, enrolments with their class links; classes and
    taken usernames for the account columns) whatever the size of the file.
    """
    if progress is not None:
        progress("checking", 0)
    rows = [_first_checks(row, parsed, fixed_session) for row in parsed.rows]
    people = _find_users(db, rows)
    sessions = {} if fixed_session is not None else \
        _find_sessions(db, {r.session_name.lower() for r in rows if r.session_name})
    accounts = account_import.AccountPlan(db, parsed, people, create=create_accounts)
    for row, read in zip(rows, parsed.rows, strict=True):
        _resolve_user(row, people, accounts, read)
        _resolve_session(row, sessions)
    accounts.settle(db, rows)
    if progress is not None:
        progress("checking", len(rows) // 2)  # users, sessions and accounts found
    _sort_rows(db, rows, lambda row: parsed.place(row.line))
    if progress is not None:
        progress("checking", len(rows))
    result = Preview(rows, parsed.separator_name, parsed.ignored_columns,
                     fixed_session.id if fixed_session is not None else None,
                     accounts=accounts.accounts(), create_accounts=create_accounts,
                     sheet=parsed.sheet,
                     positions=parsed.positions, headers=parsed.headers)
    result.counts.update(row.kind for row in rows)
    return result


def _sort_rows(db, rows: list[PreviewRow], place=None) -> None:
    """Duplicates and conflicts, then the kind of each row still valid (one query)."""
    _mark_duplicates(rows, place or _line)
    resolved = [row for row in rows if row.kind is not RowKind.ERROR]
    # Accounts still to make (negative stand-in ids) have no enrolments to look up.
    enrolments = _enrolments(db, {(row.session_id, row.user_id) for row in resolved
                                  if row.user_id > 0})
    for row in resolved:
        _classify(row, enrolments)


# --- the pairs of a bulk call (the API's), sorted the same way ---------------------


class Item(NamedTuple):
    """One pair of a bulk call: a username or an e-mail, a session's id, an action."""

    user: str
    session_id: int
    action: str


def item_place(row: PreviewRow) -> str:
    """Where an item is, as a bulk call's errors name it (its ``line`` is its index)."""
    return f"items[{row.line}]"


def prefer_index_lookups(db) -> None:
    """On PostgreSQL, for the rest of the transaction: plan with random_page_cost 1.1, the
    usual value for data in memory or on SSDs, instead of the default 4 (spinning disks).

    A bulk call looks up and writes its pairs through the enrolments' unique index. With
    the default, PostgreSQL finds it cheaper to hash the whole table for 10,000 pairs: the
    preview's lookup took 690 ms on 1,000,000 enrolments, against 20 ms by the index.
    """
    if db.connection().dialect.name == "postgresql":
        db.execute(sql_text("SET LOCAL random_page_cost = 1.1"))


@without_gc
def preview_items(db, items: list[Item]) -> Preview:
    """Sort the pairs of a bulk call as ``preview`` sorts a file's rows: the same kinds,
    counts and messages; sessions are named by id, and a user by e-mail when the text has
    an @ (a username never has one). Row ``line`` is the item's index. Three queries (and
    ``prefer_index_lookups``, which the apply in the same transaction benefits from too).
    Its messages are an API's error bodies: always in English."""
    with speaking(DEFAULT):
        return _preview_items(db, items)


def _preview_items(db, items: list[Item]) -> Preview:
    prefer_index_lookups(db)
    rows = []
    for index, item in enumerate(items):
        typed = item.user.strip()
        row = PreviewRow(index, typed, "email" if "@" in typed else "username", "",
                         item.action, kind=RowKind.ADD, session_id=item.session_id)
        if not typed:
            row.fail("username", _("Empty value: give the learner's username or e-mail."))
        rows.append(row)
    people = _find_users(db, rows)
    names = dict(_core(db, select(TrainingSession.id, TrainingSession.name).where(
        one_of(db, TrainingSession.id, {row.session_id for row in rows}))))
    for row in rows:
        _resolve_user(row, people)
        row.session_name = names.get(row.session_id, "")
        if not row.session_name:
            row.fail("session", _("Unknown session: no session has the id %(id)s.",
                                  id=row.session_id))
    _sort_rows(db, rows, item_place)
    result = Preview(rows, "", ())
    result.counts.update(row.kind for row in rows)
    return result


def _first_checks(row: Row, parsed: ParsedFile, fixed: TrainingSession | None) -> PreviewRow:
    """What a row says on its own, before any lookup."""
    action = row.action.lower() or "add"
    # The username wins when both are given.
    column = "username" if row.username else "email"
    out = PreviewRow(row.line, row.username or row.email, column, row.session or "", action,
                     kind=RowKind.ADD)
    if row.extra_values:
        fix = (quote_fix(parsed.separator_name) if parsed.sheet is None
               else _("name those columns in the header row, or clear them"))
        out.fail("—", ngettext("Has %(num)s more value than the header has columns: %(fix)s.",
                               "Has %(num)s more values than the header has columns: "
                               "%(fix)s.", row.extra_values, fix=fix))
    if not out.user_text:
        columns = [c for c in ("username", "email") if c in parsed.columns]
        if columns == ["username", "email"]:
            message = _("Empty value: give the learner's username or e-mail.")
        elif columns == ["email"]:
            message = _("Empty value: give the learner's e-mail.")
        else:
            message = _("Empty value: give the learner's username.")
        out.fail("|".join(columns), message)  # "|": either column (Preview.column_text)
    if fixed is not None:
        if row.session and row.session.lower() != fixed.name.lower():
            out.fail("session", _("“%(session)s” belongs to another session; use Import "
                                  "enrolments in the admin menu for other sessions.",
                                  session=row.session))
        else:
            out.session_name, out.session_id = fixed.name, fixed.id
    elif not row.session:
        out.fail("session", _("Empty value: name the session."))
    if action not in ACTIONS:
        out.action = row.action
        out.fail("action", _("“%(action)s” is not an action: write add or remove (an empty "
                             "cell means add).", action=row.action))
    return out


def _find_users(db, rows: list[PreviewRow]) -> dict[str, dict[str, tuple]]:
    """(id, active, username, first name, last name, e-mail) by lower-cased username and
    by e-mail, for the keys the rows use. One query."""
    wanted = {"username": set(), "email": set()}
    for row in rows:
        if row.user_text:
            wanted[row.user_column].add(row.user_text.lower())
    found: dict[str, dict[str, tuple]] = {"username": {}, "email": {}}
    if not wanted["username"] and not wanted["email"]:
        return found
    # Stored lower-cased (User._normalise): a plain comparison ignores case, and the
    # values come back ready to be keys.
    statement = select(User.id, User.username, User.email, User.active, User.first_name,
                       User.last_name).where(
        one_of(db, User.username, wanted["username"])
        | one_of(db, User.email, wanted["email"])
    )
    by_username, by_email = found["username"], found["email"]
    for user_id, username, email, active, first_name, last_name in _core(db, statement):
        by_username[username] = by_email[email] = (user_id, active, username, first_name,
                                                   last_name, email)
    return found


def _find_sessions(db, names: set[str]) -> dict[str, list[tuple[int, str]]]:
    """Sessions by lower-cased name (several when names differ only in case). One query."""
    if not names:
        return {}
    statement = select(TrainingSession.id, TrainingSession.name)
    # SQLite's lower() folds ASCII only: for other names, read every name (a short
    # column of a table of thousands) and compare in Python.
    if all(name.isascii() for name in names):
        statement = statement.where(one_of(db, func.lower(TrainingSession.name), names))
    found: dict[str, list[tuple[int, str]]] = {}
    for session_id, name in _core(db, statement.order_by(TrainingSession.name)):
        if name.lower() in names:
            found.setdefault(name.lower(), []).append((session_id, name))
    return found


def _resolve_user(row: PreviewRow, people, accounts=None, read: Row | None = None) -> None:
    """The row's user found, or the account to make for it (``accounts``: an
    account_import.AccountPlan, with ``read`` the row as written), or the row's error."""
    if row.user_text:
        column = row.user_column
        person = people[column].get(row.user_text.lower())
        if accounts is not None and accounts.check(row, read, person):
            return
        if person is None:
            hint = accounts.hint(read) if accounts is not None else ""
            if column == "email":
                message = _("Unknown user: no user has the e-mail “%(user)s”.",
                            user=row.user_text)
            else:
                message = _("Unknown user: no user has the username “%(user)s”.",
                            user=row.user_text)
            row.fail(column, f"{message} {hint}" if hint else message)  # two sentences
        elif not person[1]:
            row.fail(column, _("User %(user)s is deactivated: reactivate the account or take "
                               "the row out.", user=person[2]))
        else:
            row.user_id = person[0]


def _resolve_session(row: PreviewRow, sessions) -> None:
    # A session already found (the session page) or already in error needs no lookup.
    if row.session_name and row.session_id is None and "session" not in row.column:
        matches = sessions.get(row.session_name.lower(), [])
        if not matches:
            row.fail("session", _("Unknown session: no session is named “%(session)s”.",
                                  session=row.session_name))
        elif len(matches) > 1:
            names = ", ".join(f"“{name}”" for _id, name in matches)
            row.fail("session", _("“%(session)s” matches sessions whose names differ only in "
                                  "case (%(names)s): rename one of them first.",
                                  session=row.session_name, names=names))
        else:
            row.session_id, row.session_name = matches[0]


def _line(row: PreviewRow) -> str:
    return place_in(None, row.line)


def _mark_duplicates(rows: list[PreviewRow], place=_line) -> None:
    """A pair seen with the same action is a duplicate; with the other action, a conflict.
    ``place`` names where the other row is (a file's line, a bulk call's item)."""
    first: dict[str, dict[tuple[int, int], PreviewRow]] = {"add": {}, "remove": {}}
    for row in rows:
        if row.kind is RowKind.ERROR:
            continue
        pair = (row.session_id, row.user_id)
        earlier = first[row.action].get(pair)
        if earlier is not None:
            row.fail("", _("Duplicate row: the same user, session and action (%(action)s) "
                           "as %(place)s.", action=row.action, place=place(earlier)))
            continue
        first[row.action][pair] = row
        other = first["remove" if row.action == "add" else "add"].get(pair)
        if other is not None:
            row.fail("action", _conflict(place(other), other.action))
            if other.kind is not RowKind.ERROR:
                other.fail("action", _conflict(place(row), row.action))


def _conflict(place: str, action: str) -> str:
    """The other row of a conflict does ``action``: one sentence for each action."""
    if action == "add":
        return _("Conflicting row: %(place)s adds the same user in the same session. Keep "
                 "one of the two.", place=place)
    return _("Conflicting row: %(place)s removes the same user in the same session. Keep "
             "one of the two.", place=place)


def _core(db, statement):
    """Run a read on the session's connection: plain rows, without the ORM's overhead."""
    return db.connection().execute(statement).all()


def _enrolments(db, pairs: set[tuple[int, int]]) -> dict:
    """(session id, user id) -> (enrolment id, direct, held by a linked class) for those
    of ``pairs`` enrolled, in one query."""
    if not pairs:
        return {}
    source, session_id, user_id = pair_rows(db, pairs)
    held = in_linked_class(Enrolment.session_id, Enrolment.user_id)
    statement = select(Enrolment.id, Enrolment.session_id, Enrolment.user_id, Enrolment.direct,
                       held.label("held")) \
        .select_from(source) \
        .join(Enrolment, (Enrolment.session_id == session_id) & (Enrolment.user_id == user_id))
    return {(sid, uid): (enrolment_id, direct, bool(in_class))
            for enrolment_id, sid, uid, direct, in_class in _core(db, statement)}


def _classify(row: PreviewRow, enrolments: dict) -> None:
    pair = (row.session_id, row.user_id)
    enrolment_id, direct, held = enrolments.get(pair, (None, False, False))
    row.enrolment_id = enrolment_id
    if row.action == "add":
        if enrolment_id is None:
            row.kind = RowKind.ADD
        elif direct:
            row.kind, row.message = RowKind.ALREADY, _("Already enrolled.")
        else:
            row.kind = RowKind.ADD
            row.message = _("Enrolled through a class: will also be enrolled individually.")
        return
    if enrolment_id is None:
        row.kind, row.message = RowKind.NOT_ENROLLED, _("Not enrolled.")
    elif held and not direct:
        row.kind = RowKind.NOT_ENROLLED
        row.message = _("Enrolled only through a class: take them out of the class or "
                        "unlink the class to unenrol them.")
    elif held:
        row.kind, row.kept_by_class = RowKind.REMOVE, True
        row.message = _("Stays enrolled through a class; no longer individually.")
    else:
        row.kind = RowKind.REMOVE


# --- apply ----------------------------------------------------------------------


class ImportRefused(Exception):
    """Applying was asked for a preview with errors without "valid rows only"."""


@dataclass(frozen=True)
class ApplyResult:
    added: int  # learners now enrolled individually (new, or through a class before)
    made_direct: int  # of ``added``: were already enrolled through a class
    removed: int  # enrolments deleted
    kept_by_class: int  # removals where a linked class keeps the learner enrolled
    unchanged: int  # rows already in the wanted state
    skipped_errors: int
    changes: EnrolmentChanges = field(default_factory=EnrolmentChanges, compare=False)
    accounts_created: int = 0  # learner accounts made from the file, each sent a link
    joined_classes: int = 0  # memberships the ``class`` column added


@without_gc
def apply(db, preview: Preview, *, file_name: str, valid_rows_only: bool, by: Actor,
          now: datetime, progress: Progress | None = None) -> ApplyResult:
    """Write the add and remove rows of ``preview``, all in the caller's transaction,
    through ``enrolment.apply_import`` (journaled under one entry naming ``file_name``).

    Refuses (ImportRefused, nothing written) a preview with errors unless
    ``valid_rows_only``. Removal follows enrolment.py: a learner in a class linked to
    the session stays enrolled, no longer directly. A fixed number of statements
    whatever the number of rows or sessions.
    """
    if preview.error_count and not valid_rows_only:
        raise ImportRefused(f"{preview.error_count} rows are in error")
    if progress is not None:
        # Before the first write: on SQLite another connection can still record it.
        progress("writing", 0)
    # New accounts first: their rows carry stand-in ids until then.
    made = account_import.create_accounts(db, preview.accounts, file_name=file_name, by=by,
                                          now=now)
    adds = {(row.session_id, made.get(row.user_id, row.user_id)) for row in preview.rows
            if row.kind is RowKind.ADD}
    removes = {(row.session_id, row.user_id) for row in preview.rows
               if row.kind is RowKind.REMOVE}
    changes = enrolment.apply_import(db, file_name, adds, removes, by=by, now=now)
    joined = account_import.join_classes(db, {
        (row.class_id, made.get(row.user_id, row.user_id)) for row in preview.rows
        if row.class_id is not None and row.kind in (RowKind.ADD, RowKind.ALREADY)},
        by=by, now=now)
    counts = preview.counts
    return ApplyResult(
        added=len(changes.added) + len(changes.made_direct),
        made_direct=len(changes.made_direct),
        removed=len(changes.removed),
        kept_by_class=len(changes.kept_by_class),
        unchanged=counts[RowKind.ALREADY] + counts[RowKind.NOT_ENROLLED],
        skipped_errors=counts[RowKind.ERROR],
        changes=changes,
        accounts_created=len(made),
        joined_classes=joined,
    )


# --- the uploaded file between preview and apply -----------------------------------

UPLOAD_LIFETIME = timedelta(hours=24)


def keep_upload(db, data: bytes, file_name: str, *, user_id: int, session_id: int | None,
                now: datetime) -> ImportUpload:
    """Keep the bytes for the apply step (the apply may reach another server); uploads
    older than UPLOAD_LIFETIME go at the same time."""
    db.execute(delete(ImportUpload).where(ImportUpload.created_at < now - UPLOAD_LIFETIME))
    upload = ImportUpload(token=secrets.token_urlsafe(32), user_id=user_id,
                          session_id=session_id, file_name=file_name, content=data,
                          created_at=now)
    db.add(upload)
    return upload


def waiting_upload(db, token: str, *, user_id: int, session_id: int | None,
                   now: datetime) -> ImportUpload | None:
    """The upload behind ``token`` if ``user_id`` made it, for this session (None: the
    global page), less than UPLOAD_LIFETIME ago."""
    session_match = ImportUpload.session_id.is_(None) if session_id is None else \
        ImportUpload.session_id == session_id
    return db.scalar(select(ImportUpload).where(
        ImportUpload.token == token,
        ImportUpload.user_id == user_id,
        session_match,
        ImportUpload.created_at >= now - UPLOAD_LIFETIME,
    ))


# --- a pasted list, read as a file -------------------------------------------------

PASTED_LIST = "pasted list"  # the name its preview, result and journal entry show
MAX_PASTE_CHARS = 100_000  # keeps the form's request under the server's form-size limit
MAX_PASTE_ENTRIES = 10_000
_PASTE_SPLIT = re.compile(r"[\r\n,;]+")


def pasted_csv(text: str) -> bytes | FileProblem:
    """The bytes of a session-import CSV holding one row per pasted entry.

    Entries are split on newlines, commas and semicolons, trimmed, empties dropped; one
    with an @ goes in the ``email`` column, any other in ``username``. ``read_csv`` and
    ``preview`` then treat them exactly as a file's rows (a header on line 1, so the
    first entry is line 2).
    """
    if len(text) > MAX_PASTE_CHARS:
        return FileProblem(_("The list is longer than %(max)s characters. Paste it in "
                             "parts, or upload it as a CSV file.",
                             max=number_text(MAX_PASTE_CHARS)))
    entries = [entry.strip() for entry in _PASTE_SPLIT.split(text)]
    entries = [entry for entry in entries if entry]
    if not entries:
        return FileProblem(_("Paste at least one username or e-mail."))
    if len(entries) > MAX_PASTE_ENTRIES:
        return FileProblem(_("The list has more than %(max)s entries. Paste it in parts, "
                             "or upload it as a CSV file.", max=number_text(MAX_PASTE_ENTRIES)))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(("username", "email"))
    writer.writerows(("", entry) if "@" in entry else (entry, "") for entry in entries)
    return out.getvalue().encode("utf-8")
