"""Sessions through the API: list (the admin list's filters and sorts, cursor pages), get,
create, update (If-Match) and delete, on the domain functions the pages use."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from flask import url_for
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from spectree import Response

from .. import clock
from ..domain import keyset, session_list
from ..domain.session_form import validate_session_values
from ..domain.sessions import (
    SessionPlan,
    VersionConflict,
    create_session,
    delete_session,
    load_session,
    update_session,
)
from ..extensions import db
from . import bp
from .core import (
    ERRORS,
    ApiError,
    Problem,
    actor,
    endpoint,
    etag_of,
    expected_version,
    field_errors,
    not_found,
    token_required,
    version_conflict,
)
from .cursor import DEFAULT_LIMIT, MAX_LIMIT, decode, encode

TAGS = ["Sessions"]
Policy = Literal["read_only", "open", "closed"]
ListStatus = Literal["active", "upcoming", "past"]
STATUS_NAMES = {status: name for name, status in session_list.STATUSES.items()}


class Window(BaseModel):
    """A window: ``start`` inclusive, ``end`` exclusive; null is unbounded."""

    start: datetime | None
    end: datetime | None


class Windows(BaseModel):
    display: Window
    access: Window
    coach: Window


class Ref(BaseModel):
    id: int
    name: str


class Person(BaseModel):
    id: int
    username: str
    name: str


class Messages(BaseModel):
    welcome_message: bool
    remind_days_before_end: int | None
    coach_remind_days_before_end: int | None
    grade_released_message: bool


class SessionSummary(BaseModel):
    id: int
    name: str
    category: str | None
    windows: Windows
    duration_days: int | None
    status: ListStatus = Field(description="As the admin list shows it.")
    course_count: int
    learner_count: int


class SessionPage(BaseModel):
    items: list[SessionSummary]
    next: str | None = Field(description="The next page's URL; null on the last page.")


class SessionOut(BaseModel):
    id: int
    name: str
    description: str
    category: Ref | None
    coach: Person
    after_end_policy: Policy
    duration_days: int | None
    windows: Windows
    messages: Messages
    status: ListStatus
    learner_count: int
    version: int
    created_at: datetime
    updated_at: datetime


class SessionQuery(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    q: str = Field("", max_length=200, description="Part of the name")
    category: int | None = Field(None, ge=1, le=2**31 - 1)
    status: ListStatus | None = None
    from_: str | None = Field(None, alias="from", max_length=40,
                              description="Sessions whose window meets this day or instant")
    to: str | None = Field(None, max_length=40)
    sort: Literal[session_list.SORTS] = "name"  # type: ignore[valid-type]
    dir: Literal["asc", "desc"] = "asc"
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)
    cursor: str | None = Field(None, max_length=1000)


class WindowIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    start: AwareDatetime | None = None
    end: AwareDatetime | None = None


class WindowsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    display: WindowIn | None = None
    access: WindowIn | None = None
    coach: WindowIn | None = None


class MessagesIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    welcome_message: bool | None = None
    remind_days_before_end: int | None = Field(None, ge=1, le=365)
    coach_remind_days_before_end: int | None = Field(None, ge=1, le=365)
    grade_released_message: bool | None = None


class SessionChange(BaseModel):
    """The fields to change; those left out keep their value."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, min_length=1, max_length=200)
    description: str | None = Field(None, max_length=20000)
    category_id: int | None = Field(None, ge=1, le=2**31 - 1)
    coach: str | None = Field(None, min_length=1, max_length=254,
                              description="Username or e-mail of a teacher or admin")
    after_end_policy: Policy | None = None
    duration_days: int | None = Field(None, ge=1, le=3650)
    windows: WindowsIn | None = None
    messages: MessagesIn | None = None


class SessionNew(SessionChange):
    name: str = Field(min_length=1, max_length=200)
    coach: str = Field(min_length=1, max_length=254,
                       description="Username or e-mail of a teacher or admin")


# --- between the API's shapes and the domain's ----------------------------------------------

# Input name of the session form -> the API field it comes from.
_FIELD_PATHS = {f"{kind}_{bound}": f"windows.{kind}.{bound}"
                for kind in ("display", "access", "coach") for bound in ("start", "end")}
_FIELD_PATHS |= {name: f"messages.{name}" for name in Messages.model_fields}


def _instant_text(moment: datetime | None) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if moment else ""


def _raw_values(change: SessionChange) -> dict:
    """The texts the session form would have sent for the fields given (null: empty)."""
    raw: dict = {}
    for name in ("name", "description", "coach", "after_end_policy"):
        if name in change.model_fields_set:
            raw[name] = getattr(change, name) or ""
    for name in ("category_id", "duration_days"):
        if name in change.model_fields_set:
            value = getattr(change, name)
            raw[name] = "" if value is None else str(value)
    if change.windows is not None:
        for kind in change.windows.model_fields_set:
            window = getattr(change.windows, kind) or WindowIn(start=None, end=None)
            for bound in window.model_fields_set or ("start", "end"):
                raw[f"{kind}_{bound}"] = _instant_text(getattr(window, bound))
    if change.messages is not None:
        for name in change.messages.model_fields_set:
            value = getattr(change.messages, name)
            raw[name] = value if isinstance(value, bool) else ("" if value is None else str(value))
    return raw


def _checked(change: SessionChange, session=None) -> dict:
    validation = validate_session_values(db.session, _raw_values(change), tz=UTC,
                                         session=session)
    if not validation.ok:
        raise field_errors({_FIELD_PATHS.get(name, name): message
                            for name, message in validation.errors.items()})
    return validation.values


def _window(start, end) -> Window:
    return Window(start=start, end=end)


def _summary(row, now: datetime) -> SessionSummary:
    return SessionSummary(
        id=row.id, name=row.name, category=row.category,
        windows=Windows(display=_window(row.display_start, row.display_end),
                        access=_window(row.access_start, row.access_end),
                        coach=_window(row.coach_start, row.coach_end)),
        duration_days=row.duration_days,
        status=STATUS_NAMES[session_list.row_status(row, now)],
        course_count=row.n_courses, learner_count=row.n_learners)


def session_out(session, now: datetime) -> SessionOut:
    coach = session.coach
    return SessionOut(
        id=session.id, name=session.name, description=session.description,
        category=Ref(id=session.category.id, name=session.category.name)
        if session.category else None,
        coach=Person(id=coach.id, username=coach.username, name=coach.full_name),
        after_end_policy=session.after_end_policy, duration_days=session.duration_days,
        windows=Windows(display=_window(session.display_start, session.display_end),
                        access=_window(session.access_start, session.access_end),
                        coach=_window(session.coach_start, session.coach_end)),
        messages=Messages(**{name: getattr(session, name) for name in Messages.model_fields}),
        status=STATUS_NAMES[session_list.row_status(session, now)],
        learner_count=session.learner_count, version=session.version,
        created_at=session.created_at, updated_at=session.updated_at)


def _filters(query: SessionQuery) -> session_list.SessionFilters:
    args = {"q": query.q, "category": str(query.category or ""), "status": query.status or "",
            "from": query.from_ or "", "to": query.to or "", "sort": query.sort,
            "dir": query.dir}
    filters = session_list.SessionFilters.from_args(args, UTC)
    if filters.errors:
        raise field_errors({"from" if query.from_ else "to": " ".join(filters.errors)})
    return filters


def session_or_404(session_id: int):
    session = load_session(db.session, session_id)
    if session is None:
        raise not_found("session")
    return session


def _answer(session, status: int = 200):
    db.session.refresh(session)
    return session_out(session, clock.now()), status, {
        "ETag": etag_of(session.version),
        "Location": url_for("api.session_get", session_id=session.id)}


# --- the endpoints ---------------------------------------------------------------------------


@bp.get("/sessions")
@token_required("sessions:read")
@endpoint(query=SessionQuery, resp=Response(HTTP_200=SessionPage, **ERRORS), tags=TAGS)
def session_list_get(query: SessionQuery):
    """List sessions

    The admin list's filters (`q`, `category`, `status`, `from`, `to`) and sorts (`sort`,
    `dir`), `limit` rows at a time; follow `next` for the following page.
    """
    filters, now = _filters(query), clock.now()
    keys = session_list.sort_keys(filters, now)
    after = decode(keys, query.cursor) if query.cursor else None
    rows = session_list.sessions_after(db.session, filters, now, UTC, after, query.limit + 1)
    more = len(rows) > query.limit
    rows = rows[:query.limit]
    next_url = None
    if more:
        args = query.model_dump(by_alias=True, exclude_none=True, exclude_defaults=True)
        next_url = url_for("api.session_list_get", **{**args, "limit": query.limit,
                           "cursor": encode(keys, keyset.values_of(keys, rows[-1]))})
    return SessionPage(items=[_summary(row, now) for row in rows], next=next_url)


@bp.get("/sessions/<int:session_id>")
@token_required("sessions:read")
@endpoint(resp=Response(HTTP_200=SessionOut, **ERRORS), tags=TAGS)
def session_get(session_id: int):
    """Get a session

    Its `ETag` is its version: send it as `If-Match` to change or delete it.
    """
    return _answer(session_or_404(session_id))


@bp.post("/sessions")
@token_required("sessions:write")
@endpoint(json=SessionNew, resp=Response(HTTP_201=SessionOut, **ERRORS), tags=TAGS)
def session_create(json: SessionNew):
    """Create a session

    The same checks as the create form: a unique name, a coach who is a teacher or an
    admin, each end after its start, no fixed access dates in duration mode.
    """
    values = _checked(json)
    session = create_session(db.session, SessionPlan(fields=values), by=actor(),
                             now=clock.now())
    db.session.commit()
    return _answer(session, 201)


@bp.patch("/sessions/<int:session_id>")
@token_required("sessions:write")
@endpoint(json=SessionChange, resp=Response(HTTP_200=SessionOut, HTTP_412=Problem,
                                                 HTTP_428=Problem, **ERRORS), tags=TAGS)
def session_update(session_id: int, json: SessionChange):
    """Change a session

    Send `If-Match` with the ETag you read; a stale one gets 412.
    """
    session = session_or_404(session_id)
    version = expected_version(session.version)
    try:
        update_session(db.session, session, _checked(json, session), expected_version=version,
                       by=actor(), now=clock.now())
    except VersionConflict:
        db.session.rollback()
        raise version_conflict() from None
    db.session.commit()
    return _answer(session)


@bp.delete("/sessions/<int:session_id>")
@token_required("sessions:write")
@endpoint(resp=Response("HTTP_204", HTTP_412=Problem, HTTP_428=Problem, **ERRORS),
               tags=TAGS)
def session_delete(session_id: int):
    """Delete a session

    With its enrolments, hand-ins and grades, as on its page. Send `If-Match`.
    """
    session = session_or_404(session_id)
    expected_version(session.version)
    delete_session(db.session, session, by=actor(), now=clock.now())
    db.session.commit()
    return "", 204


__all__ = ["ApiError", "session_out"]
