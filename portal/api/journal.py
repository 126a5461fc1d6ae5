"""The journal through the API: the History page's list (its filters, heads only unless
a learner is named), newest first, a cursor page at a time, each entry with its sentence
as the page reads it (in UTC)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from spectree import Response

from ..domain import journal
from ..domain.history import CURSOR_KEYS, HistoryFilters, entries_after
from ..domain.language import speaking
from ..extensions import db
from ..models import JournalEntry
from . import bp
from .core import Problem, endpoint, field_errors, token_required
from .cursor import DEFAULT_LIMIT, MAX_LIMIT
from .users import keyset_page

TAGS = ["Journal"]
ERRORS = {f"HTTP_{code}": Problem for code in (401, 403, 422, 429)}


class JournalQuery(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    who: str = Field("", max_length=200, description="The actor: a user id, or part of a "
                                                     "name, username or e-mail")
    what: Literal[journal.OBJECT_TYPES] | None = None  # type: ignore[valid-type]
    session: str = Field("", max_length=200, description="A session id, or part of a name")
    learner: str = Field("", max_length=200, description="The person concerned: a user id, "
                                                         "or part of a name (items included)")
    action: Literal[journal.ACTION_NAMES] | None = None  # type: ignore[valid-type]
    from_: str | None = Field(None, alias="from", max_length=40,
                              description="Entries at or after this day or instant (UTC)")
    to: str | None = Field(None, max_length=40,
                           description="Entries before the end of this day, or this instant")
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)
    cursor: str | None = Field(None, max_length=1000)


class Named(BaseModel):
    id: int | None
    name: str


class JournalObject(BaseModel):
    type: str
    id: int | None
    label: str


class JournalEntryOut(BaseModel):
    id: int
    at: datetime
    sentence: str = Field(description="As the History page reads it, dates in UTC")
    actor: Named
    action: str
    object: JournalObject
    session: Named | None
    learner: Named | None = Field(description="The person the change concerns")
    parent_id: int | None = Field(description="The bulk change this entry is an item of")
    request_id: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None


class JournalPage(BaseModel):
    items: list[JournalEntryOut]
    next: str | None = Field(description="The next page's URL; null on the last page.")


def _named(id_: int | None, label: str) -> Named | None:
    return Named(id=id_, name=label) if id_ is not None or label else None


def entry_out(row: JournalEntry) -> JournalEntryOut:
    with speaking("en"):  # the API speaks English to machines, whoever calls it
        text = journal.sentence(row, UTC)
    return JournalEntryOut(
        id=row.id, at=row.at, sentence=text,
        actor=Named(id=row.actor_id, name=row.actor_name or "Someone"), action=row.action,
        object=JournalObject(type=row.object_type, id=row.object_id, label=row.object_label),
        session=_named(row.session_id, row.session_label),
        learner=_named(row.learner_id, row.learner_label), parent_id=row.parent_id,
        request_id=row.request_id, before=row.before, after=row.after)


def _field_of(message: str) -> str:
    """The filter a refusal of read_range is about: its label starts the message; a range
    that ends before it starts is the fault of ``to``."""
    return "from" if message.startswith("“From”:") else "to"


def _filters(query: JournalQuery) -> HistoryFilters:
    """The History page's filters; its refusals of dates as 422s naming the field."""
    filters = HistoryFilters.from_args({
        "who": query.who, "what": query.what or "", "session": query.session,
        "learner": query.learner, "action": query.action or "", "from": query.from_ or "",
        "to": query.to or ""})
    if filters.errors:
        raise field_errors({_field_of(message): message for message in reversed(filters.errors)})
    return filters


@bp.get("/journal")
@token_required("journal:read")
@endpoint(query=JournalQuery, resp=Response(HTTP_200=JournalPage, **ERRORS), tags=TAGS)
def journal_list(query: JournalQuery):
    """Read the journal

    Every change, newest first, with the History page's filters: `who`, `what`,
    `session`, `learner`, `action`, `from`, `to` (days or instants, in UTC). A bulk change
    is one entry with its counts; naming a `learner` lists its items about them too.
    """
    filters = _filters(query)
    return JournalPage(**keyset_page(
        "api.journal_list", query, list(CURSOR_KEYS),
        lambda after, limit: entries_after(db.session, filters, UTC, after, limit),
        lambda row: entry_out(row[0])))
