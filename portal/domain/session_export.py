"""The admin session list as a table file (CSV or XLSX) that the sessions import reads back.

The columns are exactly those of the sessions import (session_import.COLUMNS), written
as its cells read them: dates as the forms show them, in the viewer's zone named in the
``timezone`` column (an end at midnight is its last included day, "2027-07-15"; any
other bound with its time), a duration-mode session with its duration, the courses
with their coaches ("PY101 (ann, bob); WEB2"), the linked classes. So an export
imported again changes nothing, and an edited cell changes that field only.

The header is in the reader's language (session_import.column_labels), which the import
reads in every language: a file exported in French imports for an English reader too.
The cells stay as the import reads them in any language (yes/no, read_only, ISO dates).

The rows are the list's (its filters and order, all pages), read in a fixed number of
queries whatever the number of sessions.
"""

from collections.abc import Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

from babel.support import LazyProxy
from sqlalchemy import DateTime, select, type_coerce

from ..models import (
    Course,
    SessionCategory,
    SessionClass,
    SessionCourse,
    SessionCourseCoach,
    TrainingSession,
    User,
    UserClass,
)
from .dates import InputValues
from .session_form import DATE_FIELDS, MESSAGE_FLAGS, REMINDER_DAYS
from .session_import import COLUMNS, classes_text, column_labels, courses_text
from .session_list import SessionFilters, filter_conditions, list_order


def _label(column: str) -> str:
    return column_labels()[column]


# Worded when read (a download in the reader's language): the names of COLUMNS.
EXPORT_HEADER = tuple(LazyProxy(_label, column, enable_cache=False) for column in COLUMNS)


def export_header() -> list[str]:
    """The header row in the current language."""
    return [str(name) for name in EXPORT_HEADER]

_SESSION_FIELDS = ("name", "code", "description", *DATE_FIELDS, "duration_days",
                   "after_end_policy", *MESSAGE_FLAGS, *REMINDER_DAYS)
# _rows writes the cells in this order, by name.
assert COLUMNS == ("name", "code", "category", "description", "session_coach", "timezone",
                   "display_start", "display_end", "access_start", "access_end", "coach_start",
                   "coach_end", "duration_days", "after_end_policy", "welcome_message",
                   "grade_released_message", "remind_days_before_end",
                   "coach_remind_days_before_end", "courses", "classes")
assert _SESSION_FIELDS == tuple(COLUMNS[i] for i in (0, 1, 3, *range(6, 18)))


def export_rows(db, filters: SessionFilters, now: datetime, tz: ZoneInfo) -> Iterator[list]:
    """One list of cells (COLUMNS) per session of the filtered list, in its order,
    dates in ``tz``. Three queries, run before the first row is given: the sessions with
    their coach and category, in the list's order; their courses with the course coaches;
    their classes. Rows are plain tuples (no entity), each date's text is worked out once
    (dates.InputValues)."""
    conditions = filter_conditions(filters, now, tz)
    # Through the connection, not the ORM session: plain rows, without the ORM's pass over
    # each of the 55,000 (no entity is loaded here).
    connection = db.connection()
    # The dates raw (naive UTC): InputValues reads them so, and each is made aware once.
    fields = [type_coerce(getattr(TrainingSession, name), DateTime())
              if name in DATE_FIELDS else getattr(TrainingSession, name)
              for name in _SESSION_FIELDS]
    sessions = connection.execute(
        select(TrainingSession.id, *fields, User.username,
               SessionCategory.name.label("category"))
        .join(User, User.id == TrainingSession.coach_id)
        .outerjoin(SessionCategory, SessionCategory.id == TrainingSession.category_id)
        .where(*conditions)
        .order_by(*list_order(filters, now))).all()
    chosen = select(TrainingSession.id).where(*conditions)

    def of_chosen(column) -> list:  # every session when nothing narrows: no IN over all
        return [column.in_(chosen)] if filters.narrows else []

    # In session order, each course's coaches together: the cell is written as it comes.
    courses: dict[int, str] = {}
    current, items, coaches = None, [], None
    for session_id, course_id, code, username in connection.execute(
            select(SessionCourse.session_id, SessionCourse.course_id, Course.code,
                   User.username)
            .join(Course, Course.id == SessionCourse.course_id)
            .outerjoin(SessionCourseCoach, (SessionCourseCoach.session_id
                                            == SessionCourse.session_id)
                       & (SessionCourseCoach.course_id == SessionCourse.course_id))
            .outerjoin(User, User.id == SessionCourseCoach.user_id)
            .where(*of_chosen(SessionCourse.session_id))
            .order_by(SessionCourse.session_id, SessionCourse.position, SessionCourse.id,
                      User.username)).all():  # fetched at once: not a driver call per row
        if session_id != current:
            if current is not None:
                courses[current] = courses_text(items)
            current, items, course = session_id, [], None
        if course_id != course:
            course, coaches = course_id, []
            items.append((code, coaches))
        if username:
            coaches.append(username)
    if current is not None:
        courses[current] = courses_text(items)
    classes: dict[int, list[str]] = {}
    for session_id, name in connection.execute(
            select(SessionClass.session_id, UserClass.name)
            .join(UserClass, UserClass.id == SessionClass.class_id)
            .where(*of_chosen(SessionClass.session_id))
            .order_by(UserClass.name)).all():
        classes.setdefault(session_id, []).append(name)
    return _rows(sessions, courses, {i: classes_text(names) for i, names in classes.items()},
                 tz)


def _rows(sessions: list, courses: dict[int, str], classes: dict[int, str],
          tz: ZoneInfo) -> Iterator[list]:
    # Columns 4 to 9 of a row: the three windows' starts and ends.
    values = InputValues(tz)
    starts = values.texts((moment for row in sessions for moment in row[4:10:2]), is_end=False)
    ends = values.texts((moment for row in sessions for moment in row[5:10:2]), is_end=True)
    zone = tz.key
    for (session_id, name, code, description, display_start, display_end, access_start,
         access_end, coach_start, coach_end, duration_days, policy, welcome, released, remind,
         coach_remind, coach, category) in sessions:
        yield [name, code or "", category or "", description or "", coach, zone,
               starts[display_start], ends[display_end], starts[access_start],
               ends[access_end], starts[coach_start], ends[coach_end],
               duration_days if duration_days else "", policy,
               "yes" if welcome else "no", "yes" if released else "no",
               remind if remind else "", coach_remind if coach_remind else "",
               courses.get(session_id, ""), classes.get(session_id, "")]
