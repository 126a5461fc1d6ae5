"""Date windows, the access decision, list statuses and the session gate.

The decision is a pure function of plain facts and ``now``; the gate is the one
decorator every route that takes a session id goes through. Rules: DESIGN.md,
"The three windows".
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from flask import abort, g, make_response, render_template, request
from flask_login import current_user
from sqlalchemy import exists, select

from . import clock
from .models import Enrolment, SessionCourse, SessionCourseCoach, TrainingSession


class Decision(StrEnum):
    OPEN = "open"
    READ_ONLY = "read_only"
    NOT_YET = "not_yet"
    CLOSED = "closed"
    NONE = "none"


# For someone who is both coach and learner, the more generous result wins.
_GENEROSITY = {
    Decision.OPEN: 4,
    Decision.READ_ONLY: 3,
    Decision.NOT_YET: 2,
    Decision.CLOSED: 1,
    Decision.NONE: 0,
}


class Status(StrEnum):
    UPCOMING = "upcoming"
    CURRENT = "current"
    PAST = "past"


@dataclass(frozen=True)
class Window:
    """``start <= now < end``; a missing start is "since always", a missing end "for ever"."""

    start: datetime | None
    end: datetime | None

    def status(self, now: datetime) -> Status:
        if self.start is not None and now < self.start:
            return Status.UPCOMING
        if self.end is not None and now >= self.end:
            return Status.PAST
        return Status.CURRENT


@dataclass(frozen=True)
class SessionRules:
    """The facts of a session the decision needs."""

    access: Window
    coach: Window | None  # None: the coach window is unset, the access window applies
    after_end_policy: str
    duration_days: int | None = None

    @classmethod
    def of(cls, session: TrainingSession) -> SessionRules:
        coach = None
        if session.coach_start is not None or session.coach_end is not None:
            coach = Window(session.coach_start, session.coach_end)
        return cls(
            access=Window(session.access_start, session.access_end),
            coach=coach,
            after_end_policy=session.after_end_policy,
            duration_days=session.duration_days,
        )


@dataclass(frozen=True)
class LearnerFacts:
    """What the decision needs about one enrolment."""

    first_access_at: datetime | None = None
    extension_days: int = 0


@dataclass(frozen=True)
class Relation:
    """How a user relates to a session (or to one course of it)."""

    is_admin: bool = False
    is_coach: bool = False  # session coach, or coach of the course in question
    learner: LearnerFacts | None = None


@dataclass(frozen=True)
class Access:
    """The decision, and the part each role contributed to it."""

    decision: Decision
    as_coach: Decision = Decision.NONE
    as_learner: Decision = Decision.NONE
    is_admin: bool = False
    opens_at: datetime | None = None  # for not_yet: when the applicable window opens
    ended_at: datetime | None = None  # for read_only/closed after the end

    @property
    def can_view(self) -> bool:
        return self.decision in (Decision.OPEN, Decision.READ_ONLY)

    @property
    def can_submit(self) -> bool:
        return self.as_learner is Decision.OPEN

    @property
    def can_grade(self) -> bool:
        return self.is_admin or self.as_coach is Decision.OPEN

    @property
    def can_track(self) -> bool:
        return self.is_admin or self.as_coach in (Decision.OPEN, Decision.READ_ONLY)


def learner_window(rules: SessionRules, learner: LearnerFacts, now: datetime) -> Window:
    """The learner's access window; in duration mode it runs from their first access."""
    if rules.duration_days is None:
        return rules.access
    first = learner.first_access_at or now  # opening it now is what starts the clock
    return Window(first, first + timedelta(days=rules.duration_days + learner.extension_days))


def coach_window(rules: SessionRules) -> Window:
    """The coach window, falling back to the access window when unset.

    In duration mode the fallback is the fixed access dates (often unbounded):
    coaches are never locked out by a learner's personal N days.
    """
    return rules.coach if rules.coach is not None else rules.access


def _window_decision(window: Window, policy: str, now: datetime) -> Decision:
    status = window.status(now)
    if status is Status.UPCOMING:
        return Decision.NOT_YET
    if status is Status.CURRENT:
        return Decision.OPEN
    return Decision(policy) if policy != "open" else Decision.OPEN


def decide(relation: Relation, rules: SessionRules, now: datetime) -> Access:
    """The one access decision for a user, a session (or a course of it) and ``now``."""
    if relation.is_admin:
        return Access(Decision.OPEN, Decision.OPEN, Decision.NONE, is_admin=True)
    candidates: list[tuple[Decision, Window]] = []
    as_coach = as_learner = Decision.NONE
    if relation.is_coach:
        window = coach_window(rules)
        as_coach = _window_decision(window, rules.after_end_policy, now)
        candidates.append((as_coach, window))
    if relation.learner is not None:
        window = learner_window(rules, relation.learner, now)
        as_learner = _window_decision(window, rules.after_end_policy, now)
        candidates.append((as_learner, window))
    if not candidates:
        return Access(Decision.NONE)
    decision, window = max(candidates, key=lambda pair: _GENEROSITY[pair[0]])
    return Access(
        decision,
        as_coach,
        as_learner,
        opens_at=window.start if decision is Decision.NOT_YET else None,
        ended_at=window.end if window.status(now) is Status.PAST else None,
    )


def list_status(window: Window, now: datetime) -> Status:
    """Status for lists and tabs: upcoming, current or past. No end means never past."""
    return window.status(now)


# --- loading the facts ------------------------------------------------------


def _relation_columns(user, session_id, course_id: int | None) -> list:
    """Columns that read a non-admin user's relation to a session (see _relation_of)."""
    coach_filter = [
        SessionCourseCoach.session_id == session_id,
        SessionCourseCoach.user_id == user.id,
    ]
    if course_id is not None:
        coach_filter.append(SessionCourseCoach.course_id == course_id)
    mine = (Enrolment.session_id == session_id) & (Enrolment.user_id == user.id)
    return [
        select(Enrolment.first_access_at).where(mine).scalar_subquery().label("first"),
        select(Enrolment.extension_days).where(mine).scalar_subquery().label("extension"),
        exists().where(*coach_filter).label("cc"),
    ]


def _relation_of(row, user, session: TrainingSession) -> Relation:
    learner = None
    if row.extension is not None:
        learner = LearnerFacts(row.first, row.extension)
    return Relation(is_coach=session.coach_id == user.id or bool(row.cc), learner=learner)


def relation_for(db_session, user, session: TrainingSession, course_id: int | None) -> Relation:
    """Read the user's relation to ``session`` (and ``course_id``) in one query."""
    if user is None or not user.is_authenticated:
        return Relation()
    if user.is_admin:
        return Relation(is_admin=True)
    row = db_session.execute(select(*_relation_columns(user, session.id, course_id))).one()
    return _relation_of(row, user, session)


def course_in_session(db_session, session_id: int, course_id: int) -> bool:
    return db_session.scalar(select(_course_in_session(session_id, course_id)))


def _course_in_session(session_id, course_id: int):
    return exists().where(
        SessionCourse.session_id == session_id, SessionCourse.course_id == course_id
    )


def load_for_gate(db_session, user, session_id: int, course_id: int | None
                  ) -> tuple[TrainingSession | None, bool, Relation]:
    """The session, whether ``course_id`` (if given) is one of its courses, and the
    signed-in ``user``'s relation to it, in one query: what relation_for and
    course_in_session read, without a round trip each."""
    columns = []
    if course_id is not None:
        columns.append(_course_in_session(TrainingSession.id, course_id).label("course_ok"))
    if not user.is_admin:
        columns += _relation_columns(user, TrainingSession.id, course_id)
    row = db_session.execute(
        select(TrainingSession, *columns).where(TrainingSession.id == session_id)
    ).one_or_none()
    if row is None:
        return None, False, Relation()
    session = row.TrainingSession
    course_ok = course_id is None or bool(row.course_ok)
    if user.is_admin:
        return session, course_ok, Relation(is_admin=True)
    return session, course_ok, _relation_of(row, user, session)


# --- the gate ---------------------------------------------------------------

# "card": any relation to the session, in any window: what a learner may see of a
# session they cannot open yet or any more (its card, its calendar entry).
NEEDS = ("view", "submit", "grade", "track", "card")


def _allows(access: Access, need: str) -> bool:
    return {
        "view": access.can_view,
        "submit": access.can_submit,
        "grade": access.can_grade,
        "track": access.can_track,
        "card": access.decision is not Decision.NONE,
    }[need]


def _role_missing(access: Access, need: str) -> bool:
    """True when the user lacks the role the need asks for: they get a 404, not a hint."""
    if need in ("grade", "track"):
        return not access.is_admin and access.as_coach is Decision.NONE
    if need == "submit":
        return access.as_learner is Decision.NONE
    return False


def session_gate(need: str):
    """Guard a route whose URL has ``session_id`` (and maybe ``course_id``).

    Loads the session and the user's relation to it in one query, decides once,
    stores ``g.training_session`` and ``g.access``; answers 404 to strangers and a
    friendly 403 page (a fragment for HTMX) when the window does not allow ``need``.
    A full-page GET that a learner or coach is let through is recorded for tracking
    (see _track).
    """
    if need not in NEEDS:
        raise ValueError(f"unknown need {need!r}")

    def decorator(view):
        @functools.wraps(view)
        def gated(*args, **kwargs):
            from .extensions import db, login_manager

            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            course_id = kwargs.get("course_id")
            session, course_ok, relation = load_for_gate(
                db.session, current_user, kwargs["session_id"], course_id)
            if session is None or not course_ok:
                abort(404)
            access = decide(relation, SessionRules.of(session), clock.now())
            if access.decision is Decision.NONE or _role_missing(access, need):
                abort(404)
            g.training_session = session
            g.access = access
            if not _allows(access, need):
                return locked_response(session, access, need)
            if not _tracked(access, need):
                return view(*args, **kwargs)
            response = make_response(view(*args, **kwargs))
            if response.status_code < 400:
                _track(db.session, session.id, course_id, access)
            return response

        gated.session_gate_need = need
        return gated

    return decorator


def _tracked(access: Access, need: str) -> bool:
    """Page views by a learner or coach of the session; not fragments, not admins
    without a relation, not the card/calendar (downloading an .ics is not a visit
    and must not start a duration-mode learner's days)."""
    from .web import wants_fragment

    return (
        request.method == "GET"
        and need != "card"
        and not access.is_admin
        and (access.as_learner is not Decision.NONE or access.as_coach is not Decision.NONE)
        and not wants_fragment()
    )


def _track(db_session, session_id: int, course_id: int | None, access: Access) -> None:
    """One AccessEvent (and the enrolment's first/last access) in one commit.

    Done after the view has rendered, so the commit expires nothing the page used.
    """
    from .tracking import record_access

    record_access(db_session, current_user.id, session_id, course_id, clock.now(),
                  is_learner=access.as_learner is not Decision.NONE)
    db_session.commit()


def locked_response(session: TrainingSession, access: Access, need: str):
    """403 page (or fragment for HTMX) saying when the session opens or why it is shut."""
    from .dates import format_local, humanize_delta, viewer_zone

    tz = viewer_zone()
    now = clock.now()
    context = {
        "training_session": session,
        "decision": access.decision.value,
        "need": need,
        "opens_at": format_local(access.opens_at, tz) if access.opens_at else None,
        "opens_in": humanize_delta(access.opens_at - now) if access.opens_at else None,
        "ended_at": format_local(access.ended_at, tz) if access.ended_at else None,
    }
    template = "locked/_locked.html" if request.headers.get("HX-Request") else "locked/page.html"
    response = render_template(template, **context)
    return response, 403, {"Vary": "HX-Request"}
