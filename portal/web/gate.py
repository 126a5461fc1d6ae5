"""The date gate: the one decorator every route that takes a session id goes through."""

import functools

from flask import abort, g, make_response, render_template, request
from flask_login import current_user

from .. import clock
from ..domain.access import (
    NEEDS,
    Access,
    Decision,
    SessionRules,
    allows,
    decide,
    load_for_gate,
    role_missing,
)
from ..domain.dates import format_local, humanize_delta
from ..domain.visits import record_access
from ..extensions import db, login_manager
from ..models import TrainingSession
from .htmx import wants_fragment
from .zone import viewer_zone


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
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            course_id = kwargs.get("course_id")
            session, course_ok, relation = load_for_gate(
                db.session, current_user, kwargs["session_id"], course_id)
            if session is None or not course_ok:
                abort(404)
            access = decide(relation, SessionRules.of(session), clock.now())
            if access.decision is Decision.NONE or role_missing(access, need):
                abort(404)
            g.training_session = session
            g.access = access
            if not allows(access, need):
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
    record_access(db_session, current_user.id, session_id, course_id, clock.now(),
                  is_learner=access.as_learner is not Decision.NONE)
    db_session.commit()


def locked_response(session: TrainingSession, access: Access, need: str):
    """403 page (or fragment for HTMX) saying when the session opens or why it is shut."""
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
