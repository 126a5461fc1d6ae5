"""The sessions a user coaches, split into Current / Past / Upcoming by the coach window.

Plain functions taking a database session, the user id, ``now`` and a zone; no
Flask request inside. A tab costs four queries whatever the number of sessions:
the counts of the three tabs, the count and the rows of the page, then the
courses of the sessions on the page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import case, exists, func, or_, select

from ..models import (
    AfterEndPolicy,
    Course,
    Enrolment,
    SessionCategory,
    SessionCourse,
    SessionCourseCoach,
    TrainingSession,
)
from .access import (
    Decision,
    Relation,
    SessionRules,
    Status,
    Window,
    coach_window,
    coach_window_columns,
    decide,
)
from .dates import date_range, format_bound, humanize_delta
from .language import gettext as _
from .language import lazy_gettext as _l
from .language import ngettext
from .pagination import Page, paginate

TABS = {"current": Status.CURRENT, "past": Status.PAST, "upcoming": Status.UPCOMING}
TAB_LABELS = {"current": _l("Current"), "past": _l("Past"), "upcoming": _l("Upcoming")}
PER_PAGE = 25


def read_tab(value: str | None) -> str:
    return value if value in TABS else "current"


def coaches(user_id: int):
    """The user is the session coach, or coaches one of its courses."""
    return or_(
        TrainingSession.coach_id == user_id,
        exists().where(SessionCourseCoach.session_id == TrainingSession.id,
                       SessionCourseCoach.user_id == user_id),
    )


def tab_counts(db_session, user_id: int, now: datetime) -> dict[str, int]:
    """Sessions the user coaches in each tab (by the coach window), in one query."""
    window = coach_window_columns()
    row = db_session.execute(
        select(*[
            func.coalesce(func.sum(case((window.status_condition(status, now), 1), else_=0)), 0)
            for status in TABS.values()
        ]).select_from(TrainingSession).where(coaches(user_id))
    ).one()
    return {name: int(count) for name, count in zip(TABS, row, strict=True)}


def _to_grade(user_id: int):
    """Handed-in, ungraded work of enrolled learners in the courses the user grades here:
    the sum of the counts the database keeps per course (models/to_grade_count.py)."""
    grades_it = or_(
        TrainingSession.coach_id == user_id,
        exists().where(SessionCourseCoach.session_id == SessionCourse.session_id,
                       SessionCourseCoach.course_id == SessionCourse.course_id,
                       SessionCourseCoach.user_id == user_id),
    )
    return (
        select(func.coalesce(func.sum(SessionCourse.to_grade), 0))
        .where(SessionCourse.session_id == TrainingSession.id, grades_it)
        .correlate(TrainingSession)
        .scalar_subquery()
    )


def _learners():
    return (
        select(func.count()).where(Enrolment.session_id == TrainingSession.id)
        .correlate(TrainingSession).scalar_subquery()
    )


@dataclass(frozen=True)
class CoachedCourse:
    id: int
    code: str
    title: str
    mine: bool  # the user is a course coach of it


@dataclass(frozen=True)
class CoachCard:
    id: int
    name: str
    category: str | None
    role: str  # "Session coach", "Course coach of Python basics"
    coach_dates: str
    learner_dates: str
    state: str
    status: Status
    learners: int
    to_grade: int
    can_open: bool  # the coach may see the grading pages and tracking now
    can_grade: bool
    courses: list[CoachedCourse]  # the courses the user may grade here


@dataclass(frozen=True)
class Coaching:
    tab: str
    counts: dict[str, int]
    page: Page  # items: list[CoachCard]


def coaching(db_session, user_id: int, now: datetime, tz: ZoneInfo, tab: str | None = None,
             page: int = 1, per_page: int = PER_PAGE) -> Coaching:
    """The tab ``tab`` of the coaching list: counts of every tab and one page of cards."""
    tab = read_tab(tab)
    window = coach_window_columns()
    start, end = window.start, window.end
    name = func.lower(TrainingSession.name)
    order = {
        # Current: the soonest end first, no end last; upcoming: the soonest start;
        # past: the most recent end.
        "current": (case((end.is_(None), 1), else_=0), end.asc(), name),
        "upcoming": (start.asc(), name),
        "past": (end.desc(), name),
    }[tab]
    stmt = (
        select(
            TrainingSession,
            SessionCategory.name.label("category"),
            _learners().label("learners"),
            _to_grade(user_id).label("to_grade"),
        )
        .outerjoin(SessionCategory, SessionCategory.id == TrainingSession.category_id)
        .where(coaches(user_id), window.status_condition(TABS[tab], now))
        .order_by(*order, TrainingSession.id)
    )
    counts = tab_counts(db_session, user_id, now)
    rows = paginate(db_session, stmt, page, per_page, scalars=False)
    courses = _courses(db_session, user_id, [row.TrainingSession.id for row in rows.items])
    cards = [_card(row, user_id, courses.get(row.TrainingSession.id, []), now, tz)
             for row in rows.items]
    return Coaching(tab, counts, Page(cards, rows.total, rows.page, rows.per_page))


def _courses(db_session, user_id: int, session_ids: list[int]) -> dict[int, list[CoachedCourse]]:
    if not session_ids:
        return {}
    mine = exists().where(SessionCourseCoach.session_id == SessionCourse.session_id,
                          SessionCourseCoach.course_id == SessionCourse.course_id,
                          SessionCourseCoach.user_id == user_id)
    rows = db_session.execute(
        select(SessionCourse.session_id, Course.id, Course.code, Course.title,
               mine.label("mine"))
        .join(Course, Course.id == SessionCourse.course_id)
        .where(SessionCourse.session_id.in_(session_ids))
        .order_by(SessionCourse.session_id, SessionCourse.position, SessionCourse.id)
    )
    out: dict[int, list[CoachedCourse]] = {}
    for row in rows:
        out.setdefault(row.session_id, []).append(
            CoachedCourse(row.id, row.code, row.title, bool(row.mine)))
    return out


def role_text(is_session_coach: bool, mine: list[CoachedCourse]) -> str:
    titles = ", ".join(course.title for course in mine)
    if is_session_coach:
        if titles:
            return _("Session coach; course coach of %(courses)s", courses=titles)
        return _("Session coach")
    return _("Course coach of %(courses)s", courses=titles)


def state_text(status: Status, window: Window, policy: str, now: datetime, tz: ZoneInfo) -> str:
    """What a coach can do now, and until when, in words."""
    if status is Status.UPCOMING:
        return _("Coach access opens on %(bound)s (in %(wait)s)",
                 bound=format_bound(window.start, tz, is_end=False),
                 wait=humanize_delta(window.start - now))
    if status is Status.CURRENT:
        if window.end is None:
            return _("Open for grading, no end date")
        return _("Open for grading until %(bound)s (%(left)s left)",
                 bound=format_bound(window.end, tz, is_end=True),
                 left=humanize_delta(window.end - now))
    ended = format_bound(window.end, tz, is_end=True)
    if policy == AfterEndPolicy.CLOSED:
        return _("Coach access ended on %(bound)s — closed", bound=ended)
    if policy == AfterEndPolicy.OPEN:
        return _("Coach access ended on %(bound)s — still open for grading", bound=ended)
    return _("Coach access ended on %(bound)s — you can look, not grade", bound=ended)


def _card(row, user_id: int, courses: list[CoachedCourse], now: datetime,
          tz: ZoneInfo) -> CoachCard:
    session: TrainingSession = row.TrainingSession
    rules = SessionRules.of(session)
    window = coach_window(rules)
    as_coach = decide(Relation(is_coach=True), rules, now).as_coach
    is_session_coach = session.coach_id == user_id
    mine = [course for course in courses if course.mine]
    if session.duration_days:
        learner_dates = ngettext("%(num)s day from each learner's first visit",
                                 "%(num)s days from each learner's first visit",
                                 session.duration_days)
    else:
        learner_dates = date_range(session.access_start, session.access_end, tz)
    return CoachCard(
        id=session.id,
        name=session.name,
        category=row.category,
        role=role_text(is_session_coach, mine),
        coach_dates=date_range(window.start, window.end, tz),
        learner_dates=learner_dates,
        state=state_text(window.status(now), window, session.after_end_policy, now, tz),
        status=window.status(now),
        learners=row.learners,
        to_grade=row.to_grade,
        can_open=as_coach in (Decision.OPEN, Decision.READ_ONLY),
        can_grade=as_coach is Decision.OPEN,
        courses=courses if is_session_coach else mine,
    )
