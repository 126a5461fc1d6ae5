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
from sqlalchemy import select

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
from .dates import input_value
from .session_form import DATE_FIELDS, MESSAGE_FLAGS, REMINDER_DAYS
from .session_import import COLUMNS, classes_text, column_labels, courses_text
from .session_list import SessionFilters, session_list_statement


def _label(column: str) -> str:
    return column_labels()[column]


# Worded when read (a download in the reader's language): the names of COLUMNS.
EXPORT_HEADER = tuple(LazyProxy(_label, column, enable_cache=False) for column in COLUMNS)


def export_header() -> list[str]:
    """The header row in the current language."""
    return [str(name) for name in EXPORT_HEADER]

_SESSION_FIELDS = ("name", "code", "description", *DATE_FIELDS, "duration_days",
                   "after_end_policy", *MESSAGE_FLAGS, *REMINDER_DAYS)


def export_rows(db, filters: SessionFilters, now: datetime, tz: ZoneInfo) -> Iterator[list]:
    """One list of cells (COLUMNS) per session of the filtered list, in its order,
    dates in ``tz``. Four queries: the list's ids in order, the sessions with their coach
    and category, their courses with the course coaches, their classes."""
    listed = session_list_statement(filters, now, tz)
    order = [row.id for row in db.execute(listed)]
    chosen = listed.with_only_columns(TrainingSession.id).order_by(None)
    # Plain rows, not entities: the file is written after the request's session ended.
    fields = [getattr(TrainingSession, name) for name in _SESSION_FIELDS]
    sessions = {row.id: row for row in db.execute(
        select(TrainingSession.id, *fields, User.username,
               SessionCategory.name.label("category"))
        .join(User, User.id == TrainingSession.coach_id)
        .outerjoin(SessionCategory, SessionCategory.id == TrainingSession.category_id)
        .where(TrainingSession.id.in_(chosen)))}
    courses: dict[int, dict[str, list[str]]] = {}
    for session_id, code, username in db.execute(
            select(SessionCourse.session_id, Course.code, User.username)
            .join(Course, Course.id == SessionCourse.course_id)
            .outerjoin(SessionCourseCoach, (SessionCourseCoach.session_id
                                            == SessionCourse.session_id)
                       & (SessionCourseCoach.course_id == SessionCourse.course_id))
            .outerjoin(User, User.id == SessionCourseCoach.user_id)
            .where(SessionCourse.session_id.in_(chosen))
            .order_by(SessionCourse.session_id, SessionCourse.position, SessionCourse.id,
                      User.username)):
        coaches = courses.setdefault(session_id, {}).setdefault(code, [])
        if username:
            coaches.append(username)
    classes: dict[int, list[str]] = {}
    for session_id, name in db.execute(
            select(SessionClass.session_id, UserClass.name)
            .join(UserClass, UserClass.id == SessionClass.class_id)
            .where(SessionClass.session_id.in_(chosen)).order_by(UserClass.name)):
        classes.setdefault(session_id, []).append(name)
    return (_cells(sessions[i], courses.get(i, {}), classes.get(i, []), tz)
            for i in order if i in sessions)


def _cells(session, courses: dict[str, list[str]], classes: list[str], tz: ZoneInfo) -> list:
    values = {
        "name": session.name,
        "code": session.code or "",
        "category": session.category or "",
        "description": session.description or "",
        "session_coach": session.username,
        "timezone": tz.key,
        **{name: input_value(getattr(session, name), tz, is_end=name.endswith("_end"))
           for name in DATE_FIELDS},
        "duration_days": session.duration_days if session.duration_days else "",
        "after_end_policy": session.after_end_policy,
        **{name: "yes" if getattr(session, name) else "no" for name in MESSAGE_FLAGS},
        **{name: getattr(session, name) if getattr(session, name) else ""
           for name in REMINDER_DAYS},
        "courses": courses_text(list(courses.items())),
        "classes": classes_text(classes),
    }
    return [values[name] for name in COLUMNS]
