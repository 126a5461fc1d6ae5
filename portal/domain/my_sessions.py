"""My sessions: a learner's sessions split into Current / Past / Upcoming, as cards.

Plain functions taking a database session, the user, ``now`` and a zone; no
Flask request inside. A tab costs two queries whatever the number of
enrolments: one light query places every session in its tab (the learner's
window can depend on their own first access, so placing is done in Python),
one loads the details of the sessions on the page shown.

A learner's individual dates (an extension, an individual window) give their window
(``access.learner_window``) and a short note saying why; a suspended learner's card is
marked Suspended with the reason and links nowhere inside.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, select
from sqlalchemy.orm import selectinload

from ..models import (
    AfterEndPolicy,
    Assignment,
    Course,
    Enrolment,
    SessionCategory,
    SessionCourse,
    SessionCourseCoach,
    Submission,
    TrainingSession,
    User,
)
from .access import (
    Decision,
    LearnerFacts,
    Relation,
    SessionRules,
    Status,
    Window,
    WindowKind,
    decide,
    display_window_columns,
    learner_fact_columns,
    learner_facts_of,
    learner_window,
    learner_window_kind,
    list_status,
)
from .calendar import CalendarEntry
from .dates import date_range, days_text, format_bound, humanize_delta
from .language import gettext as _
from .language import lazy_gettext as _l
from .language import ngettext
from .learner_dates import suspension_words
from .pagination import Page

# URL value -> status, in the order the tabs are shown.
TABS = {"current": Status.CURRENT, "past": Status.PAST, "upcoming": Status.UPCOMING}
TAB_LABELS = {"current": _l("Current sessions"), "past": _l("Past sessions"),
              "upcoming": _l("Upcoming sessions")}
PER_PAGE = 25


def read_tab(value: str | None) -> str:
    return value if value in TABS else "current"


@dataclass(frozen=True)
class Placed:
    """One enrolment placed in a tab: what ordering and the state text need."""

    session_id: int
    name: str
    window: Window
    status: Status
    decision: Decision
    policy: str
    duration_days: int | None
    started: bool  # duration mode: the learner's days have started
    note: str | None = None  # why the learner's dates are their own (dates_note)
    suspension: str | None = None  # "Suspended: <reason>" for a suspended learner

    @property
    def suspended(self) -> bool:
        return self.decision is Decision.SUSPENDED


@dataclass(frozen=True)
class EnrolmentFacts(LearnerFacts):
    """LearnerFacts with the reasons the learner's own pages show beside them."""

    dates_reason: str | None = None
    suspension_reason: str | None = None


@dataclass(frozen=True)
class Card:
    id: int
    name: str
    category: str | None
    coach: str
    dates: str
    state: str
    status: Status
    n_courses: int
    n_assignments: int
    n_handed_in: int
    has_page: bool  # the card links to the session: open, read only, or not yet open
    # (then the session's address answers with its opening time)
    has_calendar: bool  # the window has a date to put in a calendar
    note: str | None = None  # "Extended by 5 days: medical leave", "Your own dates: …"
    suspended: bool = False  # then ``state`` says so with the reason


@dataclass(frozen=True)
class MySessions:
    tab: str
    counts: dict[str, int]
    page: Page  # items: list[Card]


def place(rules: SessionRules, facts: LearnerFacts, now: datetime) -> tuple[Window, Status,
                                                                             Decision]:
    """The learner's window, its tab and the learner's decision."""
    window = learner_window(rules, facts, now)
    decision = decide(Relation(learner=facts), rules, now).decision
    return window, list_status(window, now), decision



def dates_note(rules: SessionRules, facts: LearnerFacts, reason: str | None) -> str | None:
    """Why the learner's dates differ from the session's, shown under them: 'Extended by
    5 days: medical leave', 'Your own dates: works nights'; None when they do not (an
    extension of a session without an end changes nothing, so it says nothing)."""
    kind = learner_window_kind(rules, facts)
    if kind is WindowKind.INDIVIDUAL:
        if reason:
            return _("Your own dates: %(reason)s", reason=reason)
        return _("Your own dates")
    if facts.extension_days and kind in (WindowKind.EXTENDED, WindowKind.DURATION):
        days = days_text(facts.extension_days)
        if reason:
            return _("Extended by %(days)s: %(reason)s", days=days, reason=reason)
        return _("Extended by %(days)s", days=days)
    return None


def placed_sessions(db_session, user: User, now: datetime) -> list[Placed]:
    """Every session the user is enrolled in and that is inside its display window."""
    rows = db_session.execute(
        select(
            TrainingSession.id,
            TrainingSession.name,
            TrainingSession.access_start,
            TrainingSession.access_end,
            TrainingSession.after_end_policy,
            TrainingSession.duration_days,
            Enrolment.dates_reason,
            Enrolment.suspension_reason,
            *learner_fact_columns(),
        )
        .join(Enrolment, Enrolment.session_id == TrainingSession.id)
        .where(Enrolment.user_id == user.id, display_window_columns().contains(now))
    ).all()
    placed = []
    for row in rows:
        rules = SessionRules(Window(row.access_start, row.access_end), None,
                             row.after_end_policy, row.duration_days)
        facts = learner_facts_of(row)
        window, status, decision = place(rules, facts, now)
        placed.append(Placed(
            row.id, row.name, window, status, decision, row.after_end_policy,
            row.duration_days, row.first_access_at is not None,
            note=dates_note(rules, facts, row.dates_reason),
            suspension=suspension_words(row.suspension_reason) if facts.suspended else None))
    return placed


_FAR = 10**12  # sorts a missing end after every real one


def _order(tab: str, item: Placed):
    name = (item.name.lower(), item.session_id)
    if tab == "current":  # soonest end first; no end last
        return (item.window.end is None,
                item.window.end.timestamp() if item.window.end else _FAR, *name)
    if tab == "upcoming":  # soonest start first
        return (item.window.start.timestamp(), *name)
    return (-item.window.end.timestamp(), *name)  # past: most recent end first


def tab_page(db_session, user: User, now: datetime, tz: ZoneInfo, tab: str | None = "current",
             page: int = 1, per_page: int = PER_PAGE) -> MySessions:
    """The tab ``tab`` of My sessions: counts of every tab and one page of cards."""
    tab = read_tab(tab)
    placed = placed_sessions(db_session, user, now)
    counts = {name: 0 for name in TABS}
    by_status = {status: name for name, status in TABS.items()}
    for item in placed:
        counts[by_status[item.status]] += 1
    shown = sorted((p for p in placed if p.status is TABS[tab]), key=lambda p: _order(tab, p))
    pages = max(1, -(-len(shown) // per_page))
    page = min(max(1, page), pages)
    on_page = shown[(page - 1) * per_page: page * per_page]
    cards = _cards(db_session, user, on_page, now, tz)
    return MySessions(tab, counts, Page(cards, len(shown), page, per_page))


def courses_count():
    return (
        select(func.count()).where(SessionCourse.session_id == TrainingSession.id)
        .correlate(TrainingSession).scalar_subquery()
    )


def assignments_count():
    return (
        select(func.count(Assignment.id))
        .join(SessionCourse, SessionCourse.course_id == Assignment.course_id)
        .where(SessionCourse.session_id == TrainingSession.id)
        .correlate(TrainingSession).scalar_subquery()
    )


def handed_in_count(user_id: int):
    """Submissions of ``user_id`` to assignments of courses still in the session."""
    return (
        select(func.count(Submission.id))
        .join(Assignment, Assignment.id == Submission.assignment_id)
        .join(SessionCourse, and_(SessionCourse.course_id == Assignment.course_id,
                                  SessionCourse.session_id == Submission.session_id))
        .where(Submission.session_id == TrainingSession.id, Submission.user_id == user_id)
        .correlate(TrainingSession).scalar_subquery()
    )


def _cards(db_session, user: User, items: list[Placed], now: datetime,
           tz: ZoneInfo) -> list[Card]:
    if not items:
        return []
    rows = db_session.execute(
        select(
            TrainingSession.id,
            SessionCategory.name.label("category"),
            User,
            courses_count().label("n_courses"),
            assignments_count().label("n_assignments"),
            handed_in_count(user.id).label("n_handed_in"),
        )
        .join(User, User.id == TrainingSession.coach_id)
        .outerjoin(SessionCategory, SessionCategory.id == TrainingSession.category_id)
        .where(TrainingSession.id.in_([item.session_id for item in items]))
    ).all()
    details = {row.id: row for row in rows}
    cards = []
    for item in items:
        row = details[item.session_id]
        cards.append(Card(
            id=item.session_id,
            name=item.name,
            category=row.category,
            coach=row.User.full_name,
            dates=window_text(item.window, item.duration_days, item.started, tz),
            state=item.suspension or state_text(item.status, item.window, item.policy, now, tz,
                                                duration_days=item.duration_days,
                                                started=item.started),
            status=item.status,
            n_courses=row.n_courses,
            n_assignments=row.n_assignments,
            n_handed_in=row.n_handed_in,
            has_page=item.decision in (Decision.OPEN, Decision.READ_ONLY, Decision.NOT_YET),
            has_calendar=not item.suspended
            and calendar_window(item.window, item.duration_days, item.started) is not None,
            note=item.note,
            suspended=item.suspended,
        ))
    return cards


# --- words ------------------------------------------------------------------


def window_text(window: Window, duration_days: int | None, started: bool, tz: ZoneInfo) -> str:
    """The learner's access dates in words, in ``tz``."""
    if duration_days is not None and not started:
        return ngettext("%(num)s day from your first visit",
                        "%(num)s days from your first visit", _days(window))
    return date_range(window.start, window.end, tz)


def _days(window: Window) -> int:
    return int((window.end - window.start) / timedelta(days=1))


def state_text(status: Status, window: Window, policy: str, now: datetime, tz: ZoneInfo, *,
               duration_days: int | None = None, started: bool = True) -> str:
    """'Ends in 5 days', 'Opens on 3 Dec 2026 at 09:00 (in 4 days)',
    'Ended on 2 Nov 2026 — read only', 'Ended — closed', 'No end date'."""
    if status is Status.UPCOMING:
        return _("Opens on %(bound)s (in %(wait)s)",
                 bound=format_bound(window.start, tz, is_end=False),
                 wait=humanize_delta(window.start - now))
    if status is Status.CURRENT:
        if duration_days is not None and not started:
            return ngettext("Your %(num)s day starts when you open it",
                            "Your %(num)s days start when you open it", _days(window))
        if window.end is None:
            return _("No end date")
        return _("Ends in %(wait)s", wait=humanize_delta(window.end - now))
    if policy == AfterEndPolicy.CLOSED:
        return _("Ended — closed")
    bound = format_bound(window.end, tz, is_end=True)
    if policy == AfterEndPolicy.OPEN:
        return _("Ended on %(bound)s — still open", bound=bound)
    return _("Ended on %(bound)s — read only", bound=bound)


def calendar_window(window: Window, duration_days: int | None, started: bool) -> Window | None:
    """The window to put in a calendar, or None when it has no date yet (no bounds, or
    duration mode before the first visit)."""
    if duration_days is not None and not started:
        return None
    if window.start is None and window.end is None:
        return None
    return window


# --- one session, for the learner's own pages -------------------------------


@dataclass(frozen=True)
class LearnerState:
    """The learner's window of one session and its words."""

    window: Window
    status: Status
    dates: str
    state: str
    calendar: Window | None  # None for a suspended learner: nothing to put in a calendar
    note: str | None = None  # dates_note


def learner_facts(db_session, session_id: int, user_id: int) -> EnrolmentFacts | None:
    """The learner's facts in ``session_id``, with the reasons of their dates and
    suspension; None when they are not enrolled."""
    row = db_session.execute(
        select(*learner_fact_columns(), Enrolment.dates_reason, Enrolment.suspension_reason)
        .where(Enrolment.session_id == session_id, Enrolment.user_id == user_id)
    ).one_or_none()
    if row is None:
        return None
    return EnrolmentFacts(**vars(learner_facts_of(row)), dates_reason=row.dates_reason,
                          suspension_reason=row.suspension_reason)


def learner_state(session: TrainingSession, facts: LearnerFacts, now: datetime, tz: ZoneInfo,
                  *, visiting: bool = False) -> LearnerState:
    """``visiting``: the learner is opening the session now, which starts a
    duration-mode learner's days (the gate records it after the page is built)."""
    if visiting and facts.first_access_at is None and session.duration_days is not None:
        facts = dataclasses.replace(facts, first_access_at=now)
    rules = SessionRules.of(session)
    window, status, _decision = place(rules, facts, now)
    started = facts.first_access_at is not None
    reason = facts.dates_reason if isinstance(facts, EnrolmentFacts) else None
    return LearnerState(
        window=window,
        status=status,
        dates=window_text(window, session.duration_days, started, tz),
        state=state_text(status, window, session.after_end_policy, now, tz,
                         duration_days=session.duration_days, started=started),
        calendar=None if facts.suspended
        else calendar_window(window, session.duration_days, started),
        note=dates_note(rules, facts, reason),
    )


def course_progress(db_session, session_id: int, user_id: int) -> dict[int, tuple[int, int]]:
    """course id -> (assignments handed in by ``user_id``, assignments) in one query."""
    rows = db_session.execute(
        select(SessionCourse.course_id, func.count(Submission.id), func.count(Assignment.id))
        .select_from(SessionCourse)
        .join(Assignment, Assignment.course_id == SessionCourse.course_id)
        .outerjoin(Submission, and_(Submission.assignment_id == Assignment.id,
                                    Submission.session_id == SessionCourse.session_id,
                                    Submission.user_id == user_id))
        .where(SessionCourse.session_id == session_id)
        .group_by(SessionCourse.course_id)
    ).all()
    return {course_id: (handed_in, total) for course_id, handed_in, total in rows}


@dataclass(frozen=True)
class Suspension:
    """What the locked page tells a suspended learner."""

    reason: str | None
    coach: str  # the session coach's name
    tab: str  # the My sessions tab that shows the session's card


def suspension_of(db_session, session: TrainingSession, user_id: int,
                  now: datetime) -> Suspension | None:
    """The learner's suspension in ``session`` (None if not suspended), in one query."""
    row = db_session.execute(
        select(Enrolment.suspension_reason, User, *learner_fact_columns())
        .join(User, User.id == session.coach_id)
        .where(Enrolment.session_id == session.id, Enrolment.user_id == user_id)
    ).one_or_none()
    if row is None or not row.suspended:
        return None
    _window, status, _decision = place(SessionRules.of(session), learner_facts_of(row), now)
    tab = next(name for name, candidate in TABS.items() if candidate is status)
    return Suspension(row.suspension_reason, row.User.full_name, tab)


# --- the pages of one session, for its learners (and the staff who look) ---------


def session_courses(db_session, session_id: int) -> list[SessionCourse]:
    """The session's courses in order, each with its course and its coaches loaded."""
    return list(db_session.scalars(
        select(SessionCourse)
        .where(SessionCourse.session_id == session_id)
        .options(selectinload(SessionCourse.course),
                 selectinload(SessionCourse.coaches).selectinload(SessionCourseCoach.user))
        .order_by(SessionCourse.position, SessionCourse.id)
    ))


def course_with_assignments(db_session, course_id: int) -> Course | None:
    """The course with its assignments loaded (in their order)."""
    return db_session.scalar(
        select(Course).where(Course.id == course_id).options(selectinload(Course.assignments)))


def course_coach_names(db_session, session_id: int, course_id: int) -> list[str]:
    """The names of the course's coaches in this session, alphabetically."""
    coaches = db_session.scalars(
        select(SessionCourseCoach)
        .where(SessionCourseCoach.session_id == session_id,
               SessionCourseCoach.course_id == course_id)
        .options(selectinload(SessionCourseCoach.user))
    )
    return sorted((c.user.full_name for c in coaches), key=str.lower)


# --- the personal calendar feed ---------------------------------------------------

# What calendar.new_token makes (URL-safe base64); anything else is no token, and is
# not sent to the database (PostgreSQL refuses a NUL in text).
_CALENDAR_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,64}")


def calendar_owner(db_session, token: str) -> User | None:
    """The active user whose calendar address ends in ``token``; None for any other."""
    if not _CALENDAR_TOKEN.fullmatch(token or ""):
        return None
    return db_session.scalar(select(User).where(User.calendar_token == token, User.active))


def calendar_entries(db_session, user: User, now: datetime,
                     session_url: Callable[[int], str]) -> list[CalendarEntry]:
    """Every session of ``user`` inside its display window that has dates to show, in the
    learner's own window; a session they are suspended from is left out (they can open
    nothing in it). ``session_url(session id)`` is the link of each entry."""
    return [
        CalendarEntry(p.session_id, user.id, p.name, window, session_url(p.session_id))
        for p in placed_sessions(db_session, user, now)
        if not p.suspended
        and (window := calendar_window(p.window, p.duration_days, p.started)) is not None
    ]
