"""Enrolments through the API: a session's learners (cursor pages), enrol and unenrol one
learner, and a bulk call of up to 10,000 pairs sorted and applied like a CSV import,
all through the one enrolment write path (same journal entries and welcome messages as
the pages)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from flask import url_for
from pydantic import BaseModel, ConfigDict, Field
from spectree import Response
from sqlalchemy.exc import IntegrityError

from .. import clock
from ..domain import enrolment, enrolment_list, keyset
from ..domain.csv_import import (
    Item,
    Preview,
    RowKind,
    apply,
    item_place,
    preview_items,
    without_gc,
)
from ..domain.people import how_enrolled
from ..domain.text_search import clean_search
from ..extensions import db
from ..models import EnrolmentSource, TrainingSession, User
from . import bp
from .core import (
    ERRORS,
    ApiError,
    Problem,
    actor,
    endpoint,
    field_errors,
    not_found,
    token_required,
)
from .cursor import DEFAULT_LIMIT, MAX_LIMIT, decode, encode

TAGS = ["Enrolments"]
MAX_ITEMS = 10_000
ID_MAX = 2**31 - 1
# The journal names a bulk call as the import of this "file".
BULK_FILE = "API bulk call"


class HowEnrolled(BaseModel):
    direct: Literal["individual", "import"] | None = Field(
        description="Enrolled on their own (individually or by import); null when only "
                    "linked classes hold them.")
    classes: list[str] = Field(description="The linked classes they are a member of.")
    label: str = Field(description="As the session page says it.")


class EnrolmentOut(BaseModel):
    user_id: int
    username: str
    name: str
    email: str
    how: HowEnrolled
    enrolled_at: datetime
    first_access_at: datetime | None
    last_access_at: datetime | None
    extension_days: int = Field(description="Extra days on the learner's access end.")
    own_start: datetime | None = Field(description="The learner's own access start.")
    own_end: datetime | None = Field(description="The learner's own access end.")
    dates_reason: str | None
    suspended: bool
    suspended_at: datetime | None
    suspension_reason: str | None


class EnrolmentPage(BaseModel):
    items: list[EnrolmentOut]
    next: str | None = Field(description="The next page's URL; null on the last page.")


class EnrolmentQuery(BaseModel):
    q: str = Field("", max_length=200, description="Part of a username, e-mail or name")
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)
    cursor: str | None = Field(None, max_length=1000)


class BulkItem(BaseModel):
    model_config = ConfigDict(extra="forbid")

    user: str = Field(min_length=1, max_length=254, description="Username or e-mail")
    session: int = Field(ge=1, le=ID_MAX, description="The session's id")
    action: Literal["add", "remove"] = "add"


class BulkCall(BaseModel):
    model_config = ConfigDict(extra="forbid")

    items: list[BulkItem] = Field(min_length=1, max_length=MAX_ITEMS)
    dry_run: bool = Field(False, description="Answer the preview only; write nothing.")


class PreviewItem(BaseModel):
    user_id: int
    session_id: int
    kind: Literal["add", "already", "remove", "not_enrolled"]
    message: str = Field(description="A note, as the CSV import's preview writes it.")


class PreviewCounts(BaseModel):
    add: int
    already: int
    remove: int
    not_enrolled: int


class BulkPreview(BaseModel):
    counts: PreviewCounts
    kept_by_class: int = Field(description="Of `remove`: stay enrolled through a class.")
    items: list[PreviewItem] = Field(description="One per item sent, in the same order.")


class BulkApplied(BaseModel):
    added: int = Field(description="Now enrolled individually (new, or through a class "
                                   "only before)")
    made_direct: int = Field(description="Of `added`: were enrolled through a class.")
    removed: int
    kept_by_class: int
    unchanged: int


class BulkResult(BaseModel):
    dry_run: bool
    preview: BulkPreview
    applied: BulkApplied | None = Field(description="What was written; null for a dry run.")


# --- between the API's shapes and the domain's ----------------------------------------------


def _out(row, classes: list[str]) -> EnrolmentOut:
    direct = None
    if row.direct:
        direct = "import" if row.source == EnrolmentSource.IMPORT else "individual"
    return EnrolmentOut(
        user_id=row.user_id, username=row.username, email=row.email,
        name=f"{row.first_name} {row.last_name}".strip() or row.username,
        how=HowEnrolled(direct=direct, classes=classes, label=how_enrolled(row, classes)),
        enrolled_at=row.enrolled_at, first_access_at=row.first_access_at,
        last_access_at=row.last_access_at, extension_days=row.extension_days,
        own_start=row.own_start, own_end=row.own_end, dates_reason=row.dates_reason,
        suspended=row.suspended_at is not None, suspended_at=row.suspended_at,
        suspension_reason=row.suspension_reason)


def _session_or_404(session_id: int) -> TrainingSession:
    session = db.session.get(TrainingSession, session_id)
    if session is None:
        raise not_found("session")
    return session


def _user_or_404(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise not_found("user")
    return user


def _enrolment_out(session_id: int, user_id: int) -> EnrolmentOut:
    page = enrolment_list.learner(db.session, session_id, user_id)
    if not page.rows:
        raise not_found("enrolment")
    return _out(page.rows[0], page.classes.get(user_id, []))


_ITEM_FIELDS = {"username": "user", "email": "user", "session": "session", "action": "action"}


def _item_errors(result: Preview) -> ApiError:
    """422 naming each item in error (its field when one alone is at fault)."""
    errors = {}
    for row in result.of_kind(RowKind.ERROR):
        name = _ITEM_FIELDS.get(row.column)
        errors[item_place(row) + (f".{name}" if name else "")] = row.message
    return field_errors(errors, f"{len(errors):,} of the {len(result.rows):,} items are in "
                                "error: nothing was written.")


@without_gc
def _preview_out(result: Preview) -> BulkPreview:
    """The preview, validated in one call (a model per item cost 0.2 s at 10,000), with
    the collector paused as for the preview itself (its passes cost as much again)."""
    counts = result.counts
    return BulkPreview.model_validate({
        "counts": {kind.value: counts[kind] for kind in (
            RowKind.ADD, RowKind.ALREADY, RowKind.REMOVE, RowKind.NOT_ENROLLED)},
        "kept_by_class": result.kept_by_class,
        "items": [{"user_id": row.user_id, "session_id": row.session_id,
                   "kind": row.kind.value, "message": row.message} for row in result.rows]})


def _kept_by_class(user: User, classes: tuple[str, ...]) -> ApiError:
    return ApiError(409, "Conflict", (
        f"{user.full_name} stays enrolled through the class {', '.join(classes)}: only the "
        "class link keeps them now. To remove them, unlink the class (this also unenrols its "
        "other members who have no other reason to be there) or take them out of the class."))


# --- the endpoints ---------------------------------------------------------------------------


@bp.get("/sessions/<int:session_id>/enrolments")
@token_required("enrolments:read")
@endpoint(query=EnrolmentQuery, resp=Response(HTTP_200=EnrolmentPage, **ERRORS), tags=TAGS)
def enrolment_list_get(session_id: int, query: EnrolmentQuery):
    """List a session's learners

    By name, as on the session page, `limit` at a time; `q` searches usernames, e-mails and
    names. Each learner with how they are enrolled and their individual dates.
    """
    _session_or_404(session_id)
    after = decode(enrolment_list.ORDER, query.cursor) if query.cursor else None
    page = enrolment_list.learners_after(db.session, session_id, clean_search(query.q),
                                         after, query.limit)
    next_url = None
    if page.more:
        cursor = encode(enrolment_list.ORDER,
                        keyset.values_of(enrolment_list.ORDER, page.rows[-1]))
        args = query.model_dump(exclude_none=True, exclude_defaults=True)
        next_url = url_for("api.enrolment_list_get", session_id=session_id,
                           **{**args, "limit": query.limit, "cursor": cursor})
    items = [_out(row, page.classes.get(row.user_id, [])) for row in page.rows]
    return EnrolmentPage(items=items, next=next_url)


@bp.get("/sessions/<int:session_id>/enrolments/<int:user_id>")
@token_required("enrolments:read")
@endpoint(resp=Response(HTTP_200=EnrolmentOut, **ERRORS), tags=TAGS)
def enrolment_get(session_id: int, user_id: int):
    """Get a learner's enrolment

    404 when the user is not a learner of the session.
    """
    _session_or_404(session_id)
    return _enrolment_out(session_id, user_id)


@bp.put("/sessions/<int:session_id>/enrolments/<int:user_id>")
@token_required("enrolments:write")
@endpoint(resp=Response(HTTP_200=EnrolmentOut, HTTP_201=EnrolmentOut, **ERRORS), tags=TAGS)
def enrolment_put(session_id: int, user_id: int):
    """Enrol a learner

    201 when newly enrolled; 200 when already enrolled (a learner enrolled through a class
    only is then enrolled individually too, as on the session page). Welcome messages go
    out as for the page.
    """
    session, user = _session_or_404(session_id), _user_or_404(user_id)
    if not user.active:
        raise field_errors({"user_id": f"User {user.username} is deactivated: reactivate the "
                                       "account first."})
    changes = enrolment.enrol_users(db.session, session.id, [user.id], by=actor(),
                                    now=clock.now())
    db.session.commit()
    location = url_for("api.enrolment_get", session_id=session.id, user_id=user.id)
    return _enrolment_out(session.id, user.id), 201 if changes.added else 200, {
        "Location": location}


@bp.delete("/sessions/<int:session_id>/enrolments/<int:user_id>")
@token_required("enrolments:write")
@endpoint(resp=Response("HTTP_204", HTTP_409=Problem, **ERRORS), tags=TAGS)
def enrolment_delete(session_id: int, user_id: int):
    """Unenrol a learner

    204, also when they were not enrolled. 409 when a linked class keeps them enrolled:
    the problem names the classes; as on the session page, they are no longer enrolled
    individually, so unlinking the class or leaving it unenrols them.
    """
    session, user = _session_or_404(session_id), _user_or_404(user_id)
    removal = enrolment.unenrol_user(db.session, session.id, user.id, by=actor(),
                                     now=clock.now())
    db.session.commit()
    if removal.kept_by_classes:
        raise _kept_by_class(user, removal.kept_by_classes)
    return "", 204


@bp.post("/enrolments/bulk")
@token_required("enrolments:write")
@endpoint(json=BulkCall, resp=Response(HTTP_200=BulkResult, HTTP_409=Problem, **ERRORS),
          tags=TAGS)
def enrolments_bulk(json: BulkCall):
    """Enrol and unenrol in bulk

    Up to 10,000 (user, session, action) items, sorted as a CSV import's preview sorts its
    rows (same kinds, notes and counts). All or nothing: any item in error is a 422 naming
    `items[i]`, and nothing is written. `dry_run` answers the preview only. Sending the same
    call again changes nothing.
    """
    result = preview_items(db.session, [Item(i.user, i.session, i.action) for i in json.items])
    if result.error_count:
        raise _item_errors(result)
    if json.dry_run:
        return BulkResult(dry_run=True, preview=_preview_out(result), applied=None)
    try:
        outcome = apply(db.session, result, file_name=BULK_FILE, valid_rows_only=False,
                        by=actor(), now=clock.now())
        db.session.commit()
    except IntegrityError:  # someone enrolled one of these learners meanwhile
        db.session.rollback()
        raise ApiError(409, "Conflict", "Enrolments changed while applying; nothing was "
                                        "written. Send the call again.") from None
    applied = BulkApplied(added=outcome.added, made_direct=outcome.made_direct,
                          removed=outcome.removed, kept_by_class=outcome.kept_by_class,
                          unchanged=outcome.unchanged)
    return BulkResult(dry_run=False, preview=_preview_out(result), applied=applied)
