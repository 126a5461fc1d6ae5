"""What the API says about one learner in one session: the access check (the explainer
page's answer, from the same ``explain``) and the learner's individual dates and
suspension (through the enrolment write path, as on the session page)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from flask import current_app
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator
from spectree import Response

from .. import clock
from ..domain import enrolment
from ..domain.dates import FIRST_YEAR, LAST_YEAR, zone
from ..domain.explainer import explain, find_person
from ..domain.learner_dates import (
    EXTEND,
    REMOVAL,
    WINDOW,
    LearnerDatesError,
    check_reason,
    dates_change,
)
from ..extensions import db
from . import bp
from .core import ERRORS, actor, endpoint, field_errors, not_found, token_required
from .sessions import session_or_404

TAGS = ["Learners' dates and access"]
Need = Literal["view", "submit", "grade", "track"]
Outcome = Literal["allowed", "locked", "not_found"]


class AccessQuery(BaseModel):
    user: str = Field(min_length=1, max_length=254, description="Username, e-mail or id")
    at: AwareDatetime | None = Field(None, description="The moment; default now")


class WindowUsed(BaseModel):
    kind: str = Field(description="display, access, coach, extended, individual, duration or "
                                  "suspension")
    label: str
    in_portal_zone: str
    in_user_zone: str


class NeedOut(BaseModel):
    need: Need
    outcome: Outcome = Field(description="What the page answers: allowed, the locked page "
                                         "(403), or not found (404)")
    decision: str
    window: WindowUsed | None
    rules: list[str]


class AccessOut(BaseModel):
    user_id: int
    session_id: int
    at: datetime
    decision: str
    roles: list[str]
    needs: list[NeedOut]
    listed_in_my_sessions: bool
    listing: list[str]


class Dates(BaseModel):
    """A learner's individual dates: ``extension_days`` or an individual window, never both."""

    model_config = ConfigDict(extra="forbid")

    extension_days: int | None = Field(None, ge=1, le=3650)
    start: AwareDatetime | None = None
    end: AwareDatetime | None = None
    reason: str = Field(min_length=1, max_length=200)

    @model_validator(mode="after")
    def one_kind(self):
        if self.extension_days is not None and (self.start or self.end):
            raise ValueError("give extension_days or an individual window, not both")
        if self.extension_days is None and not (self.start or self.end):
            raise ValueError("give extension_days, or a start and/or an end")
        return self


class Suspension(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=200)


class LearnerDatesOut(BaseModel):
    user_id: int
    extension_days: int
    start: datetime | None = Field(description="Individual start; null: the session's")
    end: datetime | None = Field(description="Individual end; null: the session's")
    reason: str | None
    suspended: bool
    suspension_reason: str | None
    changed: bool


def _moment(value: datetime | None) -> datetime:
    moment = (value or clock.now()).astimezone(UTC)
    if not FIRST_YEAR <= moment.year <= LAST_YEAR:
        raise field_errors({"at": f"Use a year from {FIRST_YEAR} to {LAST_YEAR}."})
    return moment


def _access_out(session, user, explanation) -> AccessOut:
    return AccessOut(
        user_id=user.id, session_id=session.id, at=explanation.at,
        decision=explanation.access.decision.value, roles=list(explanation.roles),
        needs=[NeedOut(need=a.need, outcome=a.outcome.value, decision=a.decision.value,
                       window=WindowUsed(kind=a.window.kind, label=a.window.label,
                                         in_portal_zone=a.window.in_admin_zone,
                                         in_user_zone=a.window.in_user_zone)
                       if a.window else None, rules=list(a.sentences))
               for a in explanation.needs],
        listed_in_my_sessions=explanation.listing.listed,
        listing=list(explanation.listing.sentences))


def _learner(session, user_id: int):
    row = enrolment.learner_enrolment(db.session, session.id, user_id)
    if row is None:
        raise not_found("learner of this session")
    return row


def _dates_out(row, changed: bool) -> LearnerDatesOut:
    db.session.refresh(row)
    return LearnerDatesOut(
        user_id=row.user_id, extension_days=row.extension_days or 0, start=row.own_start,
        end=row.own_end, reason=row.dates_reason, suspended=row.suspended_at is not None,
        suspension_reason=row.suspension_reason, changed=changed)


def _change(body: Dates):
    try:
        if body.extension_days is not None:
            return dates_change(EXTEND, days=body.extension_days, reason=body.reason)
        return dates_change(WINDOW, start=body.start, end=body.end, reason=body.reason)
    except LearnerDatesError as error:
        raise field_errors(error.errors) from None


# --- the endpoints -----------------------------------------------------------------------


@bp.get("/sessions/<int:session_id>/access")
@token_required("sessions:read")
@endpoint(query=AccessQuery, resp=Response(HTTP_200=AccessOut, **ERRORS), tags=TAGS)
def session_access(session_id: int, query: AccessQuery):
    """Check a user's access

    What the session's Access page shows: for each need, what the pages answer this user
    at `at`, the window that applied and the rules that led there.
    """
    session, at = session_or_404(session_id), _moment(query.at)
    user = find_person(db.session, query.user.strip())
    if user is None:
        raise field_errors({"user": f"No user has the username, e-mail or id “{query.user}”."})
    portal_zone = zone(current_app.config["PORTAL_TIMEZONE"])
    user_zone = zone(user.timezone) if user.timezone else portal_zone
    return _access_out(session, user, explain(db.session, session, user, at, portal_zone,
                                              user_zone))


@bp.get("/sessions/<int:session_id>/enrolments/<int:user_id>/dates")
@token_required("enrolments:read")
@endpoint(resp=Response(HTTP_200=LearnerDatesOut, **ERRORS), tags=TAGS)
def learner_dates_get(session_id: int, user_id: int):
    """Get a learner's individual dates"""
    return _dates_out(_learner(session_or_404(session_id), user_id), changed=False)


@bp.put("/sessions/<int:session_id>/enrolments/<int:user_id>/dates")
@token_required("enrolments:write")
@endpoint(json=Dates, resp=Response(HTTP_200=LearnerDatesOut, **ERRORS), tags=TAGS)
def learner_dates_put(session_id: int, user_id: int, json: Dates):
    """Set a learner's individual dates

    `extension_days` (added to the access end, or to the N days in duration mode) or an
    individual window (`start` and/or `end` replace the session's), with a reason.
    """
    session = session_or_404(session_id)
    row, change = _learner(session, user_id), _change(json)
    changed = enrolment.change_learner_dates(db.session, session, [user_id], change,
                                             by=actor(), now=clock.now())
    db.session.commit()
    return _dates_out(row, bool(changed))


@bp.delete("/sessions/<int:session_id>/enrolments/<int:user_id>/dates")
@token_required("enrolments:write")
@endpoint(resp=Response(HTTP_200=LearnerDatesOut, **ERRORS), tags=TAGS)
def learner_dates_delete(session_id: int, user_id: int):
    """Remove a learner's individual dates"""
    session = session_or_404(session_id)
    row = _learner(session, user_id)
    changed = enrolment.change_learner_dates(db.session, session, [user_id], REMOVAL,
                                             by=actor(), now=clock.now())
    db.session.commit()
    return _dates_out(row, bool(changed))


@bp.put("/sessions/<int:session_id>/enrolments/<int:user_id>/suspension")
@token_required("enrolments:write")
@endpoint(json=Suspension, resp=Response(HTTP_200=LearnerDatesOut, **ERRORS), tags=TAGS)
def learner_suspend(session_id: int, user_id: int, json: Suspension):
    """Suspend a learner

    They keep their work but open nothing inside the session until the suspension is
    lifted; sending it again changes only the reason.
    """
    session = session_or_404(session_id)
    row = _learner(session, user_id)
    try:
        reason = check_reason(json.reason)
    except LearnerDatesError as error:
        raise field_errors(error.errors) from None
    changed = enrolment.change_suspension(db.session, session, [user_id], reason, by=actor(),
                                          now=clock.now())
    db.session.commit()
    return _dates_out(row, bool(changed))


@bp.delete("/sessions/<int:session_id>/enrolments/<int:user_id>/suspension")
@token_required("enrolments:write")
@endpoint(resp=Response(HTTP_200=LearnerDatesOut, **ERRORS), tags=TAGS)
def learner_lift(session_id: int, user_id: int):
    """Lift a learner's suspension"""
    session = session_or_404(session_id)
    row = _learner(session, user_id)
    changed = enrolment.change_suspension(db.session, session, [user_id], None, by=actor(),
                                          now=clock.now())
    db.session.commit()
    return _dates_out(row, bool(changed))
