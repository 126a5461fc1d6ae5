"""Sessions by file: a CSV or XLSX table that creates or updates whole sessions.

``read_sessions_file`` reads the table (portal.domain.tabular), ``preview`` sorts each
row into create / update (with each changed field, old → new) / unchanged / error, and
``apply_import`` writes a preview without errors in the caller's transaction (the caller
commits): all or nothing, one journal head naming the file and one item per session it
changed, so ``undo_import`` (registered in import_undo.UNDOERS) can revert it.

Every value goes through the forms' one validator (session_form.validate_session_values)
and every write through the domain's write functions, so a file can do nothing a form
refuses. A row finds its session by ``code`` when it has one (else by name, ignoring
case). A column left out of the file leaves that field as it is; a cell left empty
means "none" (no date, no description, no reminder).

Courses, course coaches and classes are only ever added by a file: one that leaves out
a course, a coach or a class the session has is refused on that row, so that no import
silently takes anything away (remove them on the session's page).
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from ..models import (
    Course,
    JournalEntry,
    SessionCategory,
    SessionClass,
    SessionCourse,
    SessionCourseCoach,
    TrainingSession,
    User,
    UserClass,
)
from . import journal
from .categories import create_category
from .dates import days_text, input_value, is_known_zone
from .enrolment import link_class, unlink_class
from .import_undo import UNDOERS, NotReverted, UndoResult
from .journal import Actor
from .language import _, _l, number_text, pgettext
from .session_form import (
    DATE_FIELDS,
    MESSAGE_FLAGS,
    REMINDER_DAYS,
    validate_session_values,
)
from .sessions import (
    SESSION_COLUMNS,
    SessionPlan,
    add_course,
    add_course_coach,
    coach_role_problem,
    create_session,
    delete_session,
    hidden_submissions,
    remove_course,
    remove_course_coach,
    update_session,
)
from .tabular import (
    FileProblem,
    Table,
    TableError,
    column_names,
    find_columns,
    open_table,
    quote_fix,
)
from .users import label as user_label

# The columns of a sessions file, in the order the export writes them.
COLUMNS = ("name", "code", "category", "description", "session_coach", "timezone",
           *DATE_FIELDS, "duration_days", "after_end_policy", *MESSAGE_FLAGS, *REMINDER_DAYS,
           "courses", "classes")


def column_labels() -> dict[str, str]:
    """The columns of a sessions file as the export's header names them in the current
    language; the import reads them in every language (tabular.column_names). English
    keeps the machine names, so an English export is what the import always read."""
    return {
        "name": pgettext("file column", "name"),
        "code": pgettext("file column", "code"),
        "category": pgettext("file column", "category"),
        "description": pgettext("file column", "description"),
        "session_coach": pgettext("file column", "session_coach"),
        "timezone": pgettext("file column", "timezone"),
        "display_start": pgettext("file column", "display_start"),
        "display_end": pgettext("file column", "display_end"),
        "access_start": pgettext("file column", "access_start"),
        "access_end": pgettext("file column", "access_end"),
        "coach_start": pgettext("file column", "coach_start"),
        "coach_end": pgettext("file column", "coach_end"),
        "duration_days": pgettext("file column", "duration_days"),
        "after_end_policy": pgettext("file column", "after_end_policy"),
        "welcome_message": pgettext("file column", "welcome_message"),
        "grade_released_message": pgettext("file column", "grade_released_message"),
        "remind_days_before_end": pgettext("file column", "remind_days_before_end"),
        "coach_remind_days_before_end": pgettext("file column",
                                                 "coach_remind_days_before_end"),
        "courses": pgettext("file column", "courses"),
        "classes": pgettext("file column", "classes"),
    }


# File column -> the validator's input name, where they differ.
_INPUT_NAMES = {"session_coach": "coach"}
_COLUMN_OF_INPUT = {"coach": "session_coach", "category_id": "category"}
CODE_MAX = 64
CATEGORY_MAX = 120
MAX_ROWS = 10_000
DEFAULT_POLICY = "read_only"

# A big import's progress, for its job's page: progress(phase, rows done so far), called
# at each phase and every PROGRESS_EVERY rows (a session is some ten queries to write).
Progress = Callable[[str, int], None]
PROGRESS_EVERY = 50
CHANGED_MEANWHILE = _l("Something changed since the preview (sessions, courses, users or "
                       "classes): here is the new preview. Nothing was written; check it "
                       "and apply again.")

HEAD_TYPE = "sessions_import"  # the journal head of an import (and of its undo)
ITEM_TYPE = "session_import"  # one item per session an import created or updated

# Extra words for the validator's messages where a file needs another fix than a form.
_FIXES = {
    "after_end_policy": _l("Write read_only, open or closed (empty: read_only)."),
}
_YES, _NO = ("yes", "y", "true", "1", "on"), ("no", "n", "false", "0", "off", "")


class Kind(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    UNCHANGED = "unchanged"
    ERROR = "error"


KIND_ORDER = (Kind.ERROR, Kind.CREATE, Kind.UPDATE, Kind.UNCHANGED)


# --- reading the file -----------------------------------------------------------


@dataclass
class FileRow:
    number: int  # the CSV line or the sheet row
    cells: dict[str, str]  # column -> value as written (trimmed, except description)
    extra_values: int = 0


@dataclass
class SessionsFile:
    table: Table
    positions: dict[str, int]  # column -> 0-based index in the file
    ignored_columns: tuple[str, ...]
    rows: list[FileRow]
    headers: dict[str, str] = field(default_factory=dict)  # column -> as the header writes it

    def place(self, number: int, column: str | None = None) -> str:
        return self.table.place(number, self.positions.get(column) if column else None)

    def column_text(self, column: str) -> str:
        """A column as the file's header names it (it may be in any language)."""
        return self.headers.get(column) or column_labels().get(column, column)


# The export's CSV puts a quote before a risky start (csv_export.neutralise): reading
# its own file back takes that quote away again.
_NEUTRALISED = re.compile(r"(^|[,;\t])( *)'(?=[=+\-@\t\r])")


def _restore(text: str) -> str:
    return _NEUTRALISED.sub(lambda m: m.group(1) + m.group(2), text)


def read_sessions_file(data: bytes, *, progress: Progress | None = None
                       ) -> SessionsFile | FileProblem:
    """The rows of a sessions table; a FileProblem when the file as a whole cannot be
    used. The first non-blank record is the header (names trimmed, any case)."""
    report_at = PROGRESS_EVERY if progress is not None else MAX_ROWS + 1
    table = open_table(data)
    if isinstance(table, FileProblem):
        return table
    positions: dict[str, int] = {}
    header: list[str] | None = None
    rows: list[FileRow] = []
    try:
        for number, record in table.records:
            if not "".join(record).strip():
                continue
            if header is None:
                header = record
                problem = _read_header(header, table.place(number), positions)
                if problem:
                    return problem
                continue
            if len(rows) >= MAX_ROWS:
                return FileProblem(_("The file has more than %(max)s sessions. Split it "
                                     "into smaller files and import them one after the "
                                     "other.", max=number_text(MAX_ROWS)))
            if table.kind == "csv":
                record = [_restore(cell) for cell in record]
            cells = {name: record[i] if i < len(record) else "" for name, i in positions.items()}
            cells = {name: text if name == "description" else text.strip()
                     for name, text in cells.items()}
            extra = sum(1 for cell in record[len(header):] if cell.strip())
            rows.append(FileRow(number, cells, extra))
            if len(rows) >= report_at:
                report_at += PROGRESS_EVERY
                progress("reading", len(rows))
    except TableError as error:
        return FileProblem(str(error))
    if header is None:
        return FileProblem(_("The file is empty. It needs a header line naming the columns "
                             "(at least “%(name)s”) and one line per session.",
                             name=column_labels()["name"]))
    if not rows:
        return FileProblem(_("The file has a header but no rows: add one line per session "
                             "below the header."))
    if progress is not None:
        progress("reading", len(rows))
    ignored = tuple(cell.strip() for i, cell in enumerate(header)
                    if cell.strip() and i not in positions.values())
    return SessionsFile(table, positions, ignored, rows,
                        {name: header[i].strip() for name, i in positions.items()})


def _read_header(header: list[str], place: str, positions: dict[str, int]
                 ) -> FileProblem | None:
    problem = find_columns(header, column_names(column_labels), place, positions)
    if problem is not None:
        return problem
    if "name" not in positions:
        found = ", ".join(f"“{cell.strip()[:40]}”" for cell in header[:8] if cell.strip())
        return FileProblem(_("Missing column: the header (%(place)s) needs a “%(name)s” "
                             "column (the session's name). The first non-blank line is read "
                             "as the header; it has %(found)s.", place=place,
                             name=column_labels()["name"], found=found or _("nothing")))
    return None


# --- the courses and classes cells ------------------------------------------------

_COURSE_ITEM = re.compile(r"^(?P<code>[^()]+?)\s*(?:\((?P<coaches>[^()]*)\))?$")


def courses_text(courses: list[tuple[str, list[str]]]) -> str:
    """The courses cell: 'PY101 (teacher, ann); WEB2' (code, then its coaches)."""
    return "; ".join(f"{code} ({', '.join(coaches)})" if coaches else code
                     for code, coaches in courses)


def classes_text(names: list[str]) -> str:
    return "; ".join(names)


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.split(";") if part.strip()]


def read_courses(text: str) -> tuple[list[tuple[str, list[str]]], str | None]:
    """The (code, coach usernames) of a courses cell, and why it cannot be read."""
    courses = []
    for part in _split(text):
        match = _COURSE_ITEM.match(part)
        if match is None:
            return [], _("“%(part)s” cannot be read: write a course code, then its coaches' "
                         "usernames in brackets, e.g. PY101 (ann, bob); WEB2.", part=part)
        coaches = [c.strip() for c in (match["coaches"] or "").split(",") if c.strip()]
        courses.append((match["code"].strip(), coaches))
    return courses, None


# --- preview --------------------------------------------------------------------


@dataclass(frozen=True)
class RowError:
    place: str  # "line 4" or "row 4, column C of sheet “Sessions”"
    column: str
    message: str  # the reason and the fix


@dataclass(frozen=True)
class Change:
    field: str  # as people read it: "access end"
    old: str
    new: str


@dataclass
class SessionRow:
    number: int
    name: str
    code: str
    kind: Kind = Kind.UNCHANGED
    session_id: int | None = None
    errors: list[RowError] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    values: dict = field(default_factory=dict)  # column values to write
    new_category: str | None = None  # a category to create and use
    set_code: str | None = None  # an update that gives the session its code
    add_courses: list[tuple[int, str, list[int]]] = field(default_factory=list)
    add_coaches: list[tuple[int, int]] = field(default_factory=list)  # (course, user)
    link_classes: list[int] = field(default_factory=list)
    warning: str | None = None

    def fail(self, place: str, column: str, message: str) -> None:
        self.kind = Kind.ERROR
        self.errors.append(RowError(place, column, message))


@dataclass
class Preview:
    rows: list[SessionRow]
    separator_name: str
    ignored_columns: tuple[str, ...]
    categories_to_create: list[str]
    counts: Counter = field(default_factory=Counter)

    @property
    def error_count(self) -> int:
        return self.counts[Kind.ERROR]

    @property
    def change_count(self) -> int:
        return self.counts[Kind.CREATE] + self.counts[Kind.UPDATE]

    def of_kind(self, kind: Kind | str) -> list[SessionRow]:
        return [row for row in self.rows if row.kind is Kind(kind)]

    @property
    def errors(self) -> list[RowError]:
        return [error for row in self.rows for error in row.errors]

    def signature(self) -> str:
        """Changes when the same file would now do something else."""
        digest = hashlib.sha256()
        for row in self.rows:
            digest.update(repr((row.kind.value, row.session_id, row.changes,
                                row.errors)).encode())
        return digest.hexdigest()[:32]


@dataclass
class _World:
    """What the rows refer to, read once for the whole file."""

    by_code: dict[str, TrainingSession]
    by_name: dict[str, list[TrainingSession]]
    categories: dict[str, SessionCategory]
    courses: dict[str, Course]
    users: dict[str, User]
    classes: dict[str, UserClass]
    course_links: dict[int, list[tuple[int, int]]]  # session -> [(course id, position)]
    coach_links: dict[tuple[int, int], set[int]]  # (session, course) -> coach ids
    class_links: dict[int, set[int]]  # session -> class ids

    def username(self, user_id: int) -> str:
        return self._by_id("users", "username").get(user_id, str(user_id))

    def course_code(self, course_id: int) -> str:
        return self._by_id("courses", "code").get(course_id, str(course_id))

    def class_name(self, class_id: int) -> str:
        return self._by_id("classes", "name").get(class_id, str(class_id))

    def _by_id(self, what: str, attribute: str) -> dict[int, str]:
        cache = self.__dict__.setdefault("_names", {})
        if what not in cache:
            cache[what] = {o.id: getattr(o, attribute) for o in getattr(self, what).values()}
        return cache[what]


def _world(db, parsed: SessionsFile) -> _World:
    rows = parsed.rows
    codes = {r.cells.get("code", "") for r in rows} - {""}
    names = {r.cells.get("name", "").lower() for r in rows} - {""}
    wanted = select(TrainingSession).where(
        TrainingSession.code.in_(codes) | func.lower(TrainingSession.name).in_(names))
    sessions = list(db.scalars(wanted))
    # SQLite's lower() folds ASCII only: names with other letters are compared here too.
    if not all(name.isascii() for name in names):
        sessions = list(db.scalars(select(TrainingSession)))
    by_code = {s.code: s for s in sessions if s.code}
    by_name: dict[str, list[TrainingSession]] = {}
    for s in sessions:
        if s.name.lower() in names:
            by_name.setdefault(s.name.lower(), []).append(s)
    course_codes, usernames, class_names = set(), set(), set()
    for row in rows:
        for code, coaches in read_courses(row.cells.get("courses", ""))[0]:
            course_codes.add(code.lower())
            usernames.update(c.lower() for c in coaches)
        class_names.update(n.lower() for n in _split(row.cells.get("classes", "")))
    ids = [s.id for s in sessions]
    links: dict[int, list[tuple[int, int]]] = {}
    for sid, cid, pos in db.execute(select(SessionCourse.session_id, SessionCourse.course_id,
                                           SessionCourse.position)
                                    .where(SessionCourse.session_id.in_(ids))):
        links.setdefault(sid, []).append((cid, pos))
    coach_links: dict[tuple[int, int], set[int]] = {}
    for sid, cid, uid in db.execute(select(
            SessionCourseCoach.session_id, SessionCourseCoach.course_id,
            SessionCourseCoach.user_id).where(SessionCourseCoach.session_id.in_(ids))):
        coach_links.setdefault((sid, cid), set()).add(uid)
    course_ids = {cid for pairs in links.values() for cid, _ in pairs}
    courses = list(db.scalars(select(Course).where(
        func.lower(Course.code).in_(course_codes) | Course.id.in_(course_ids))))
    user_ids = {u for users in coach_links.values() for u in users}
    users = list(db.scalars(select(User).where(
        func.lower(User.username).in_(usernames) | User.id.in_(user_ids))))
    class_links: dict[int, set[int]] = {}
    for sid, cid in db.execute(select(SessionClass.session_id, SessionClass.class_id)
                               .where(SessionClass.session_id.in_(ids))):
        class_links.setdefault(sid, set()).add(cid)
    linked = {c for cs in class_links.values() for c in cs}
    classes = list(db.scalars(select(UserClass).where(
        func.lower(UserClass.name).in_(class_names) | UserClass.id.in_(linked))))
    return _World(
        by_code, by_name,
        {c.name.lower(): c for c in db.scalars(select(SessionCategory))},
        {c.code.lower(): c for c in courses}, {u.username.lower(): u for u in users},
        {c.name.lower(): c for c in classes}, links, coach_links, class_links)


def preview(db, parsed: SessionsFile, *, tz: ZoneInfo, progress: Progress | None = None
            ) -> Preview:
    """Sort every row of ``parsed`` (dates in ``tz`` unless a row's ``timezone`` names
    another zone) into create / update / unchanged / error. Reads only."""
    if progress is not None:
        progress("checking", 0)
    world = _world(db, parsed)
    rows = []
    for file_row in parsed.rows:
        rows.append(_preview_row(db, parsed, file_row, world, tz))
        if progress is not None and len(rows) % PROGRESS_EVERY == 0:
            progress("checking", len(rows))
    _mark_duplicates(parsed, rows)
    for row in rows:  # a column at fault as the file's header names it
        row.errors = [RowError(e.place, parsed.column_text(e.column) if e.column else "",
                               e.message) for e in row.errors]
    new_categories = sorted({r.new_category for r in rows
                             if r.new_category and r.kind is not Kind.ERROR}, key=str.lower)
    result = Preview(rows, parsed.table.separator_name, parsed.ignored_columns, new_categories)
    result.counts.update(row.kind for row in rows)
    if progress is not None:
        progress("checking", len(rows))
    return result


def _mark_duplicates(parsed: SessionsFile, rows: list[SessionRow]) -> None:
    """A code or a name written on two rows is an error on both."""
    for column, key in (("code", lambda r: r.code), ("name", lambda r: r.name.lower())):
        seen: dict[str, list[SessionRow]] = {}
        for row in rows:
            if key(row):
                seen.setdefault(key(row), []).append(row)
        for same in seen.values():
            if len(same) < 2:
                continue
            for row in same:
                others = ", ".join(parsed.place(o.number) for o in same if o is not row)
                if column == "code":
                    message = _("The code “%(value)s” is also on %(others)s: a session is "
                                "written once per file. Keep one of the rows.",
                                value=row.code, others=others)
                else:
                    message = _("The name “%(value)s” is also on %(others)s: a session is "
                                "written once per file. Keep one of the rows.",
                                value=row.name, others=others)
                row.fail(parsed.place(row.number, column), column, message)


def _find_session(row: SessionRow, world: _World) -> tuple[TrainingSession | None, str | None]:
    """The session a row is about, and the error when its name is ambiguous."""
    if row.code and row.code in world.by_code:
        return world.by_code[row.code], None
    matches = world.by_name.get(row.name.lower(), [])
    if len(matches) > 1:
        return None, _("“%(name)s” matches sessions whose names differ only in case: "
                       "rename one of them first, or give the row a code.", name=row.name)
    if matches and row.code and matches[0].code:
        return None, None  # that name belongs to a session of another code: the validator says so
    return (matches[0] if matches else None), None


def _preview_row(db, parsed: SessionsFile, file_row: FileRow, world: _World, tz: ZoneInfo
                 ) -> SessionRow:
    cells = file_row.cells
    row = SessionRow(file_row.number, cells.get("name", ""), cells.get("code", ""))
    place = lambda column: parsed.place(file_row.number, column)  # noqa: E731
    if file_row.extra_values:
        row.fail(parsed.place(file_row.number), "—",
                 _("Has %(count)s more value(s) than the header has columns: %(fix)s.",
                   count=file_row.extra_values, fix=quote_fix(parsed.table.separator_name)))
    session, problem = _find_session(row, world)
    if problem:
        row.fail(place("name"), "name", problem)
    if len(row.code) > CODE_MAX:
        row.fail(place("code"), "code", _("At most %(max)s characters.", max=CODE_MAX))
    row_tz = tz
    zone_name = cells.get("timezone", "")
    if zone_name:
        if is_known_zone(zone_name):
            row_tz = ZoneInfo(zone_name)
        else:
            row.fail(place("timezone"), "timezone",
                     _("Unknown time zone “%(zone)s”: write one such as Europe/Paris or "
                       "UTC, or leave it empty for your own zone.", zone=zone_name))
    raw = _validator_inputs(row, cells, session, world, place)
    checked = validate_session_values(db, raw, tz=row_tz, session=session)
    for name, message in checked.errors.items():
        column = _COLUMN_OF_INPUT.get(name, name)
        fix = _FIXES.get(column)
        row.fail(place(column), column, f"{message} {fix}" if fix else message)
    row.warning = checked.warning
    values = checked.values
    if row.new_category is not None:
        values.pop("category_id", None)
    _read_courses(row, cells, session, world, place)
    _read_classes(row, cells, session, world, place)
    if row.kind is Kind.ERROR:
        return row
    if session is None:
        row.kind, row.values = Kind.CREATE, values
        return row
    row.session_id = session.id
    row.values = {name: value for name, value in values.items()
                  if getattr(session, name) != value}
    if row.code and session.code != row.code:
        row.set_code = row.code
    row.changes = _changes(db, row, session, world, row_tz)
    row.kind = Kind.UPDATE if row.changes else Kind.UNCHANGED
    return row


def _validator_inputs(row: SessionRow, cells: dict, session, world: _World, place) -> dict:
    """The cells as the validator's inputs: only the columns the file has (a create gets
    the defaults of the form for the others)."""
    raw = {}
    for column in ("name", "description", "session_coach", "duration_days", *DATE_FIELDS,
                   *REMINDER_DAYS):
        if column in cells:
            raw[_INPUT_NAMES.get(column, column)] = cells[column]
    if session is None and "coach" not in raw:
        raw["coach"] = ""  # the validator says the session needs one
    if "after_end_policy" in cells or session is None:
        raw["after_end_policy"] = cells.get("after_end_policy") or DEFAULT_POLICY
    for flag in MESSAGE_FLAGS:
        if flag in cells:
            text = cells[flag].lower()
            if text in _YES or text in _NO:
                raw[flag] = text in _YES
            else:
                row.fail(place(flag), flag, _("“%(value)s” is not yes or no: write yes or "
                                              "no (empty: no).", value=cells[flag]))
    if "category" in cells:
        name = cells["category"].strip()
        found = world.categories.get(name.lower())
        if not name:
            raw["category_id"] = ""
        elif found is not None:
            raw["category_id"] = str(found.id)
        elif len(name) > CATEGORY_MAX:
            row.fail(place("category"), "category", _("At most %(max)s characters.",
                                                      max=CATEGORY_MAX))
        else:
            row.new_category, raw["category_id"] = name, ""
    return raw


def _read_courses(row: SessionRow, cells: dict, session, world: _World, place) -> None:
    if "courses" not in cells:
        return
    wanted, problem = read_courses(cells["courses"])
    if problem:
        row.fail(place("courses"), "courses", problem)
        return
    has = {cid for cid, _ in world.course_links.get(session.id, [])} if session else set()
    listed = set()
    for code, usernames in wanted:
        course = world.courses.get(code.lower())
        if course is None:
            row.fail(place("courses"), "courses", _(
                "Unknown course: no course has the code “%(code)s”. Create it under Courses "
                "first, or correct the code.", code=code))
            continue
        if course.id in listed:
            row.fail(place("courses"), "courses", _("%(code)s is written twice: write "
                                                    "each course once.", code=course.code))
            continue
        listed.add(course.id)
        coach_ids = []
        for username in usernames:
            user = world.users.get(username.lower())
            why = (_("No user has the username “%(username)s”.", username=username)
                   if user is None
                   else _("User %(username)s is deactivated.", username=user.username)
                   if not user.active else coach_role_problem(user))
            if why:
                row.fail(place("courses"), "courses", _(
                    "%(code)s: %(why)s Correct the course coaches in brackets.",
                    code=course.code, why=why))
                continue
            if user.id not in coach_ids:
                coach_ids.append(user.id)
        if course.id not in has:
            row.add_courses.append((course.id, course.code, coach_ids))
            continue
        coaching = world.coach_links.get((session.id, course.id), set())
        row.add_coaches += [(course.id, u) for u in coach_ids if u not in coaching]
        left_out = coaching - set(coach_ids)
        if left_out:
            names = ", ".join(sorted(world.username(u) for u in left_out))
            row.fail(place("courses"), "courses", _(
                "%(code)s: the file leaves out its course coach(es) %(names)s. An import "
                "only adds: write them in the brackets, or remove them on the session's "
                "page first.", code=course.code, names=names))
    missing = has - listed
    if missing:
        codes = ", ".join(sorted(world.course_code(c) for c in missing))
        row.fail(place("courses"), "courses", _(
            "The file leaves out the session's course(s) %(codes)s. An import only adds "
            "courses: write them in the cell, or remove them on the session's page first.",
            codes=codes))


def _read_classes(row: SessionRow, cells: dict, session, world: _World, place) -> None:
    if "classes" not in cells:
        return
    has = world.class_links.get(session.id, set()) if session else set()
    listed = set()
    for name in _split(cells["classes"]):
        found = world.classes.get(name.lower())
        if found is None:
            row.fail(place("classes"), "classes", _(
                "Unknown class: no class is named “%(name)s”. Create it under Classes "
                "first, or correct the name.", name=name))
        elif found.id not in listed:
            listed.add(found.id)
            if found.id not in has:
                row.link_classes.append(found.id)
    missing = has - listed
    if missing:
        names = ", ".join(sorted(world.class_name(c) for c in missing))
        row.fail(place("classes"), "classes", _(
            "The file leaves out the linked class(es) %(names)s. An import only links "
            "classes: write them in the cell, or unlink them on the session's page first.",
            names=names))


def _shown(name: str, value, tz: ZoneInfo, world: _World) -> str:
    """A column value as the preview shows it (the text the file would hold)."""
    if value is None or value == "":
        return _("(none)")
    if name in DATE_FIELDS:
        return input_value(value, tz, is_end=name.endswith("_end"))
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if name in ("duration_days", *REMINDER_DAYS):
        return days_text(value)
    text = str(value)
    return text if len(text) <= 80 else text[:77] + "…"


def _changes(db, row: SessionRow, session: TrainingSession, world: _World, tz: ZoneInfo
             ) -> list[Change]:
    changes = []
    none = _("(none)")
    if row.set_code:
        changes.append(Change(journal.field_label("code"), session.code or none, row.set_code))
    categories = {c.id: c.name for c in world.categories.values()}
    if row.new_category:
        changes.append(Change(journal.field_label("category"),
                              categories.get(session.category_id, none),
                              _("%(category)s (new)", category=row.new_category)))
    for name, value in row.values.items():
        label = journal.field_label(name)
        if name == "category_id":
            changes.append(Change(label, categories.get(session.category_id, none),
                                  categories.get(value, none)))
        elif name == "coach_id":
            # The validator found the new coach: it is in the identity map.
            changes.append(Change(label, session.coach.username, db.get(User, value).username))
        else:
            changes.append(Change(label, _shown(name, getattr(session, name), tz, world),
                                  _shown(name, value, tz, world)))
    for _course_id, code, coach_ids in row.add_courses:
        coaches = ", ".join(world.username(u) for u in coach_ids)
        changes.append(Change(_("courses"), _("(not in the session)"),
                              _("add %(code)s with %(coaches)s", code=code, coaches=coaches)
                              if coaches else _("add %(code)s", code=code)))
    for course_id, user_id in row.add_coaches:
        changes.append(Change(_("course coaches"), none, _(
            "%(username)s for %(code)s", username=world.username(user_id),
            code=world.course_code(course_id))))
    for class_id in row.link_classes:
        changes.append(Change(_("classes"), _("(not linked)"),
                              _("link %(name)s", name=world.class_name(class_id))))
    return changes


# --- apply ----------------------------------------------------------------------


class ImportRefused(Exception):
    """Applying was asked for a preview with errors: nothing is written."""


@dataclass(frozen=True)
class ImportOutcome:
    created: list[str]  # names
    updated: list[str]
    unchanged: int
    categories: list[str]
    head_id: int | None


def apply_import(db, result: Preview, *, file_name: str, by: Actor, now: datetime,
                 progress: Progress | None = None) -> ImportOutcome:
    """Write every create and update of ``result`` in the caller's transaction; raises
    ImportRefused (nothing written) when a row is in error. Journal: one ("sessions_import",
    "apply") head naming the file with the counts, the entries of the write functions,
    and one ("session_import", "create" | "update") item per session under the head."""
    if result.error_count:
        raise ImportRefused(f"{result.error_count} rows are in error")
    todo = [row for row in result.rows if row.kind in (Kind.CREATE, Kind.UPDATE)]
    if not todo:
        return ImportOutcome([], [], len(result.rows), [], None)
    if progress is not None:
        progress("writing", 0)  # before the first write: on SQLite it can still be recorded
        if db.get_bind().dialect.name == "sqlite":
            # The file is locked by this transaction's writes: a later report would wait
            # for it (the busy timeout) and then be dropped anyway.
            progress = None
    head = journal.record(db, by, now, HEAD_TYPE, "apply", object_label=file_name, after={
        "file": file_name, "created": result.counts[Kind.CREATE],
        "updated": result.counts[Kind.UPDATE], "categories": result.categories_to_create})
    # Held for the whole apply: the write functions look the coach and the category of
    # each session up by id, which the identity map answers without a query only while
    # something still refers to the object (it holds them weakly).
    held = _referenced(db, todo)
    categories = {name.lower(): create_category(db, name, by=by, now=now)
                  for name in result.categories_to_create}
    held.extend(categories.values())
    categories = {name: category.id for name, category in categories.items()}
    items, created, updated = [], [], []
    for done, row in enumerate(todo, start=1):
        if progress is not None and done % PROGRESS_EVERY == 0:
            progress("writing", done)
        values = dict(row.values)
        if row.new_category:
            values["category_id"] = categories[row.new_category.lower()]
        if row.kind is Kind.CREATE:
            session = create_session(db, SessionPlan(
                {**values, "code": row.code or None},
                course_ids=[c for c, _, _ in row.add_courses],
                course_coaches={c: coaches for c, _, coaches in row.add_courses},
                class_ids=row.link_classes), by=by, now=now)
            created.append(session.name)
            items.append(_item(session, "create", None, {"code": session.code}))
            continue
        session = db.get(TrainingSession, row.session_id)
        changed = update_session(db, session, values, expected_version=session.version,
                                 by=by, now=now)
        before = {name: old for name, (old, _) in changed.items()}
        after = {name: new for name, (_, new) in changed.items()}
        _name_the_ids(db, before)
        _name_the_ids(db, after)
        if row.set_code:
            before["code"], after["code"] = session.code, row.set_code
            session.code = row.set_code
        added = _add_courses_and_classes(db, session, row, by=by, now=now)
        db.flush()
        updated.append(session.name)
        items.append(_item(session, "update", before, {**after, **added}))
    for action in ("create", "update"):
        journal.record_items(db, by, now, ITEM_TYPE, action,
                             [i for a, i in items if a == action], parent_id=head.id)
    held.clear()
    return ImportOutcome(created, updated, result.counts[Kind.UNCHANGED],
                         result.categories_to_create, head.id)


def _referenced(db, rows: list[SessionRow]) -> list:
    """The sessions ``rows`` update, and the coaches (of sessions and of courses), the
    categories and the courses they name: one query for each kind, whatever the rows."""
    wanted = {
        TrainingSession: {row.session_id for row in rows if row.kind is Kind.UPDATE},
        User: {row.values["coach_id"] for row in rows if row.values.get("coach_id")}
        | {u for row in rows for _, _, coaches in row.add_courses for u in coaches}
        | {u for row in rows for _, u in row.add_coaches},
        SessionCategory: {row.values["category_id"] for row in rows
                          if row.values.get("category_id")},
        Course: {c for row in rows for c, _, _ in row.add_courses}
        | {c for row in rows for c, _ in row.add_coaches},
    }
    held: list = []
    for model, ids in wanted.items():
        if ids:
            held += db.scalars(select(model).where(model.id.in_(ids)))
    return held


def _name_the_ids(db, values: dict) -> None:
    """The coach's and the category's names beside their ids, for the History."""
    if "coach_id" in values:
        values["coach"] = user_label(db.get(User, values["coach_id"]))
    if "category_id" in values:
        category = db.get(SessionCategory, values["category_id"]) \
            if values["category_id"] else None
        values["category"] = category.name if category else None


def _item(session: TrainingSession, action: str, before, after) -> tuple[str, dict]:
    return action, {"object_id": session.id, "object_label": session.name,
                    "session_id": session.id, "session_label": session.name,
                    "before": before, "after": after}


def _add_courses_and_classes(db, session: TrainingSession, row: SessionRow, *, by: Actor,
                             now: datetime) -> dict:
    """The courses, course coaches and class links a row adds to an existing session;
    returns them as the journal item records them (codes, usernames, class ids)."""
    added: dict = {}
    # The courses and users were loaded (and are held) by apply_import: db.get finds them
    # in the identity map, without a query per row.
    for course_id, _code, coach_ids in row.add_courses:
        course = db.get(Course, course_id)
        add_course(db, session, course, by=by, now=now)
        added.setdefault("courses_added", []).append(course_id)
        for user_id in coach_ids:
            add_course_coach(db, session, course, db.get(User, user_id), by=by, now=now)
            added.setdefault("coaches_added", []).append([course_id, user_id])
    for course_id, user_id in row.add_coaches:
        add_course_coach(db, session, db.get(Course, course_id), db.get(User, user_id),
                         by=by, now=now)
        added.setdefault("coaches_added", []).append([course_id, user_id])
    for class_id in row.link_classes:
        link_class(db, session.id, class_id, by=by, now=now)
        added.setdefault("classes_linked", []).append(class_id)
    return added


# --- undo -----------------------------------------------------------------------

_DATE_COLUMNS = frozenset(DATE_FIELDS)


def _from_journal(name: str, value):
    return datetime.fromisoformat(value) if name in _DATE_COLUMNS and value else value


def _later_entry(db, session_id: int, after_id: int, field_name: str | None = None):
    """The latest journal entry about the session written after ``after_id`` (one that
    changed ``field_name`` when given), or None."""
    stmt = select(JournalEntry).where(JournalEntry.session_id == session_id,
                                      JournalEntry.id > after_id)
    if field_name is not None:
        stmt = stmt.where(JournalEntry.object_type == "session",
                          JournalEntry.action == "update")
    for entry in db.scalars(stmt.order_by(JournalEntry.id.desc())):
        if field_name is None or field_name in (entry.after or {}):
            return entry
    return None


def _why(entry: JournalEntry | None, tz: ZoneInfo) -> str:
    if entry is None:
        return _("changed again since the import")
    if not entry.actor_name:
        return _("changed again on %(when)s by someone", when=journal.when_text(entry, tz))
    return _("changed again on %(when)s by %(who)s", when=journal.when_text(entry, tz),
             who=entry.actor_name)


def undo_import(db, head: JournalEntry, *, by: Actor, now: datetime,
                tz: ZoneInfo | None = None) -> UndoResult:
    """Revert what the sessions import ``head`` did and is still as it left it: delete the
    sessions it created (unless something happened in them since), put back each field it
    changed that still has the imported value, take away the courses, course coaches and
    class links it added. Journal: one ("sessions_import", "undo") head, after
    {"undoes": head id}. A second undo of the same import changes nothing."""
    tz = tz or ZoneInfo("UTC")
    done = db.scalar(select(func.count()).select_from(JournalEntry).where(
        JournalEntry.object_type == HEAD_TYPE, JournalEntry.action == "undo",
        JournalEntry.object_id == head.id))
    if done:
        return UndoResult(0)
    items = list(db.scalars(select(JournalEntry).where(
        JournalEntry.parent_id == head.id, JournalEntry.object_type == ITEM_TYPE)
        .order_by(JournalEntry.id)))
    last_id = max((item.id for item in items), default=head.id)
    reverted, kept = 0, []
    for item in items:
        session = db.get(TrainingSession, item.object_id)
        if session is None:
            kept.append(NotReverted(item.object_label, _("deleted since the import")))
        elif item.action == "create":
            later = _later_entry(db, session.id, last_id)
            if later is not None:
                kept.append(NotReverted(session.name, _("not deleted: %(why)s",
                                                        why=_why(later, tz))))
            else:
                delete_session(db, session, by=by, now=now)
                reverted += 1
        else:
            count, problems = _revert_update(db, session, item, last_id, by=by, now=now, tz=tz)
            reverted += count
            kept += problems
    entry = journal.record(db, by, now, HEAD_TYPE, "undo", object_id=head.id,
                           object_label=head.object_label,
                           after={"undoes": head.id, "reverted": reverted,
                                  "not_reverted": len(kept)})
    return UndoResult(reverted, kept, entry.id)


def _revert_update(db, session: TrainingSession, item: JournalEntry, last_id: int, *,
                   by: Actor, now: datetime, tz: ZoneInfo) -> tuple[int, list[NotReverted]]:
    before, after = item.before or {}, item.after or {}
    restore, kept = {}, []
    for name in [n for n in after if n in SESSION_COLUMNS or n == "code"]:
        current = journal.jsonable(getattr(session, name))
        if current == after[name]:
            restore[name] = _from_journal(name, before.get(name))
        else:
            label = journal.field_label(name)
            kept.append(NotReverted(_("the %(field)s of %(session)s", field=label,
                                      session=session.name),
                                    _why(_later_entry(db, session.id, last_id, name), tz)))
    count = len(restore)
    if "code" in restore:
        session.code = restore.pop("code")
    if restore:
        update_session(db, session, restore, expected_version=session.version, by=by, now=now)
    for class_id in after.get("classes_linked", []):
        unlink_class(db, session.id, class_id, by=by, now=now)
        count += 1
    courses = {c.id: c for c in db.scalars(select(Course).where(Course.id.in_(
        after.get("courses_added", []) + [c for c, _ in after.get("coaches_added", [])])))}
    for course_id, user_id in after.get("coaches_added", []):
        if course_id in courses and remove_course_coach(db, session, courses[course_id],
                                                        user_id, by=by, now=now):
            count += 1
    for course_id in after.get("courses_added", []):
        course = courses.get(course_id)
        if course is None:
            continue
        if hidden_submissions(db, session.id, course_id):
            kept.append(NotReverted(_("%(code)s in %(session)s", code=course.code,
                                      session=session.name),
                                    _("kept: learners handed in work in it since")))
        elif remove_course(db, session, course, by=by, now=now) is not None:
            count += 1
    return count, kept


UNDOERS[HEAD_TYPE] = undo_import
