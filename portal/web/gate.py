"""The date gate: the one decorator every route that takes a session id goes through,
and ``records_visit``, the step that records a page view for tracking."""

import functools
from typing import NamedTuple

from flask import abort, g, make_response, render_template, request, url_for
from flask_login import current_user

from .. import clock
from ..domain.access import (
    NEEDS,
    Access,
    Decision,
    Outcome,
    SessionRules,
    decide,
    gate_outcome,
    load_for_gate,
)
from ..domain.dates import format_bound, humanize_delta
from ..domain.language import gettext as _
from ..domain.my_sessions import Suspension, suspension_of
from ..domain.visits import counts_as_visit, record_visit
from ..extensions import db, login_manager
from ..models import TrainingSession
from .guards import mark
from .htmx import wants_fragment
from .zone import viewer_zone


def session_gate(need: str):
    """Guard a route whose URL has ``session_id`` (and maybe ``course_id``).

    Loads the session and the user's relation to it in one query, decides once,
    stores ``g.training_session`` and ``g.access``; answers 404 to strangers and a
    friendly 403 page (a fragment for HTMX) when the window does not allow ``need``.
    Records nothing: a view that counts as a visit says so with ``@records_visit``.
    """
    if need not in NEEDS:
        raise ValueError(f"unknown need {need!r}")

    def decorator(view):
        @functools.wraps(view)
        def gated(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            course_id = kwargs.get("course_id")
            session, course_ok, relation = load_for_gate(
                db.session, current_user, kwargs["session_id"], course_id)
            if session is None or not course_ok:
                abort(404)
            access = decide(relation, SessionRules.of(session), clock.now())
            outcome = gate_outcome(access, need)
            if outcome is Outcome.NOT_FOUND:
                abort(404)
            g.training_session = session
            g.access = access
            g.session_need = need
            if outcome is Outcome.LOCKED:
                return locked_response(session, access, need)
            return view(*args, **kwargs)

        gated.session_gate_need = need
        return mark(gated, f"session:{need}")

    return decorator


def records_visit(view):
    """Record the page view for tracking, then commit: one AccessEvent and, for a
    learner, the enrolment's first/last access (portal.domain.visits).

    Goes under ``@session_gate``. Only after the view rendered without error, so the
    commit expires nothing the page used, and only for the requests that count as a
    visit (``counts_as_visit``: a full-page GET by a learner or coach).
    """
    if hasattr(view, "session_gate_need"):
        raise TypeError("@records_visit goes under @session_gate, which it needs")

    @functools.wraps(view)
    def recording(*args, **kwargs):
        response = make_response(view(*args, **kwargs))
        access = g.access
        if response.status_code < 400 and counts_as_visit(
                access, g.session_need, is_get=request.method == "GET",
                is_fragment=wants_fragment()):
            record_visit(db.session, current_user.id, g.training_session.id,
                         kwargs.get("course_id"), access, clock.now())
            db.session.commit()
        return response

    recording.records_visit = True  # kept by the gate's wraps: a test lists these views
    return recording


def locked_response(session: TrainingSession, access: Access, need: str):
    """403 page (or fragment for HTMX) saying when the session opens or why it is shut;
    to a suspended learner, that their place is suspended, why, and whom to ask."""
    tz = viewer_zone()
    now = clock.now()
    suspension = _suspension(session, access, now)
    context = {
        "training_session": session,
        "decision": access.decision.value,
        "need": need,
        "opens_at": format_bound(access.opens_at, tz, is_end=False) if access.opens_at else None,
        "opens_in": humanize_delta(access.opens_at - now) if access.opens_at else None,
        "ended_at": format_bound(access.ended_at, tz, is_end=True) if access.ended_at else None,
        "suspension": suspension,
        "way_back": way_back(access, tab=suspension.tab if suspension else None),
    }
    template = "locked/_locked.html" if wants_fragment() else "locked/page.html"
    response = render_template(template, **context)
    return response, 403, {"Vary": "HX-Request"}


def _suspension(session: TrainingSession, access: Access, now) -> Suspension | None:
    """The viewer's suspension, read (one query) only when it is what locks them out."""
    if access.decision is not Decision.SUSPENDED:
        return None
    return suspension_of(db.session, session, current_user.id, now)


# The My sessions tab in which a learner finds a session they cannot enter.
_TAB_OF = {Decision.NOT_YET: "upcoming", Decision.CLOSED: "past"}


class WayBack(NamedTuple):
    place: str  # "My sessions"
    url: str


def way_back(access: Access, tab: str | None = None) -> WayBack | None:
    """The list a locked page leads back to: the learner's tab of My sessions (``tab``
    when the caller knows it: a suspended learner's card sits in the tab of their
    window), else a coach's Coaching page; None for anyone else (an admin is never
    locked out)."""
    if access.as_learner is not Decision.NONE:
        return WayBack(_("My sessions"), url_for("learner.my_sessions",
                                              tab=tab or _TAB_OF.get(access.as_learner)))
    if access.as_coach is not Decision.NONE:
        return WayBack(_("Coaching"), url_for("coach.coaching"))
    return None
