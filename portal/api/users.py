"""Users through the API: search, get, create and deactivate, with the checks of the admin
user form; and what the reference resources (users, courses, classes, categories) share:
cursor pages of a domain statement, the admin forms' checks, unique values taken in a race.

A password hash or a calendar token is never part of an answer.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Literal, TypeVar

from flask import url_for
from pydantic import BaseModel, ConfigDict, Field
from spectree import Response
from sqlalchemy.exc import IntegrityError

from .. import TextWithoutNul, clock
from ..admin.forms_reference import UserForm
from ..admin.reference_users import TAKEN
from ..domain import keyset
from ..domain.keyset import Key
from ..domain.text_search import clean_search
from ..domain.users import create_user, deactivate_user, users_matching
from ..extensions import db
from ..models import User
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

TAGS = ["Users"]
Role = Literal["learner", "teacher", "admin"]
T = TypeVar("T")

# --- shared by the reference resources ------------------------------------------------------


class ListQuery(BaseModel):
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)
    cursor: str | None = Field(None, max_length=1000, description="From the previous `next`")


class SearchQuery(ListQuery):
    q: str = Field("", max_length=200, description="Part of the name (as the admin list)")


def keyset_page(endpoint_name: str, query, keys: list[Key], source, item: Callable,
                **view_args) -> dict:
    """One page in the order of ``keys`` of ``source`` (a domain statement, or a domain
    function of (after values, limit) returning rows with their keyset values): its items
    (each row through ``item``) and the URL of the next page (None on the last)."""
    after = decode(keys, query.cursor) if query.cursor else None
    rows = source(after, query.limit + 1) if callable(source) else \
        keyset.rows_after(db.session, source, keys, after, query.limit + 1)
    more, rows = len(rows) > query.limit, rows[:query.limit]
    next_url = None
    if more:
        args = query.model_dump(by_alias=True, exclude_none=True, exclude_defaults=True)
        next_url = url_for(endpoint_name, **view_args, **{
            **args, "limit": query.limit,
            "cursor": encode(keys, keyset.values_of(keys, rows[-1]))})
    return {"items": [item(row) for row in rows], "next": next_url}


def search_text(query: SearchQuery) -> str:
    return clean_search(query.q)


def _form_text(value) -> str | None:
    if isinstance(value, bool):
        return "y" if value else None  # a checkbox: sent when ticked
    return "" if value is None else str(value)


def checked_form(form_class, values: dict, **options):
    """The admin form ``form_class`` filled with ``values`` (its field names) and
    validated: the same checks as the page, from one place; a 422 naming each field.
    The texts are cleaned as a form post's are (no NUL). No CSRF token: the API
    authenticates with its token, never a cookie."""
    texts = {name: text for name, value in values.items()
             if (text := _form_text(value)) is not None}
    form = form_class(formdata=TextWithoutNul(texts), meta={"csrf": False}, **options)
    if not form.validate():
        raise field_errors({name: messages[0] for name, messages in form.errors.items()})
    return form


def committed(write: Callable[[], T], field: str, taken: str) -> T:
    """Run the domain write and commit. When another request took the same unique value
    between the check and the commit: nothing written, a 422 saying so on ``field``."""
    try:
        result = write()
        db.session.commit()
        return result
    except IntegrityError:
        db.session.rollback()
        raise field_errors({field: taken}) from None


def found(model, object_id: int, what: str):
    """The row of ``model`` with this id, or a 404 (which says nothing more). The URL's
    ``int`` converter already answers 404 for numbers no id can be."""
    row = db.session.get(model, object_id)
    if row is None:
        raise not_found(what)
    return row


def active_user(user_id: int) -> User:
    """The user to add somewhere (a class, a course's coaches): a 404 when there is none,
    a 422 on ``user_id`` when the account is deactivated (as the pages' pickers find
    active users only)."""
    user = found(User, user_id, "user")
    if not user.active:
        raise field_errors({"user_id": f"User {user.username} is deactivated: reactivate "
                                       "the account first."})
    return user


# --- users -------------------------------------------------------------------------------------

# The admin list's order (users_matching), the unique username last.
USER_KEYS = [Key(User.last_name, "text"), Key(User.first_name, "text"),
             Key(User.username, "text")]


class UserSummary(BaseModel):
    id: int
    username: str
    name: str
    email: str
    role: Role
    active: bool


class UserPage(BaseModel):
    items: list[UserSummary]
    next: str | None = Field(description="The next page's URL; null on the last page.")


class UserOut(UserSummary):
    first_name: str
    last_name: str
    timezone: str | None = Field(description="IANA zone; null: the portal's zone")
    created_at: datetime
    last_login_at: datetime | None


class UserNew(BaseModel):
    """A new account. The API sets no password: the account cannot log in until an
    administrator sets one on its page."""

    model_config = ConfigDict(extra="forbid")

    username: str = Field(max_length=1000)
    email: str = Field(max_length=1000)
    first_name: str = Field("", max_length=1000)
    last_name: str = Field("", max_length=1000)
    role: Role = "learner"
    timezone: str | None = Field(None, max_length=1000, description="IANA zone, or null")


def user_summary(user: User) -> UserSummary:
    return UserSummary(id=user.id, username=user.username, name=user.full_name,
                       email=user.email, role=user.role, active=user.active)


def user_out(user: User) -> UserOut:
    return UserOut(**user_summary(user).model_dump(), first_name=user.first_name,
                   last_name=user.last_name, timezone=user.timezone,
                   created_at=user.created_at, last_login_at=user.last_login_at)


@bp.get("/users")
@token_required("users:read")
@endpoint(query=SearchQuery, resp=Response(HTTP_200=UserPage, **ERRORS), tags=TAGS)
def user_list_get(query: SearchQuery):
    """Search users

    Every user, or those whose username, e-mail or name contains `q`, by last name,
    first name and username, as the admin list.
    """
    return UserPage(**keyset_page("api.user_list_get", query, USER_KEYS,
                                  users_matching(search_text(query)),
                                  lambda row: user_summary(row[0])))


@bp.get("/users/<int:user_id>")
@token_required("users:read")
@endpoint(resp=Response(HTTP_200=UserOut, **ERRORS), tags=TAGS)
def user_get(user_id: int):
    """Get a user"""
    return user_out(found(User, user_id, "user"))


@bp.post("/users")
@token_required("users:write")
@endpoint(json=UserNew, resp=Response(HTTP_201=UserOut, **ERRORS), tags=TAGS)
def user_create(json: UserNew):
    """Create a user

    The checks of the admin user form: a unique username without spaces or @, a unique
    e-mail address, a known time zone. The account has no password: it cannot log in
    until an administrator sets one.
    """
    form = checked_form(UserForm, {**json.model_dump(), "active": True})
    user = committed(lambda: create_user(db.session, form.values(), by=actor(),
                                         now=clock.now()), "username", TAKEN)
    return user_out(user), 201, {"Location": url_for("api.user_get", user_id=user.id)}


@bp.post("/users/<int:user_id>/deactivate")
@token_required("users:write")
@endpoint(resp=Response(HTTP_200=UserOut, HTTP_409=Problem, **ERRORS), tags=TAGS)
def user_deactivate(user_id: int):
    """Deactivate a user

    They can no longer log in; their history stays. Deactivating an inactive user changes
    nothing. The token's owner cannot deactivate their own account (409).
    """
    user = found(User, user_id, "user")
    if user.id == actor().user_id:
        raise ApiError(409, "Conflict", "You cannot deactivate your own account.")
    if user.active:
        deactivate_user(db.session, user, by=actor(), now=clock.now())
        db.session.commit()
    return user_out(user)
