"""Classes and their members through the API: list, get, create, and members listed,
added and removed. Members change through the enrolment write path, as on the class page:
one who joins is enrolled wherever the class is linked, one who leaves is unenrolled from
the sessions the class brought them to, unless enrolled there another way."""

from __future__ import annotations

from datetime import datetime

from flask import url_for
from pydantic import BaseModel, ConfigDict, Field
from spectree import Response

from .. import clock
from ..admin.forms_reference import ClassForm
from ..admin.reference_classes import TAKEN
from ..domain import classes as class_rules
from ..domain.enrolment import EnrolmentChanges, add_class_member, remove_class_member
from ..domain.keyset import Key
from ..extensions import db
from ..models import User, UserClass
from . import bp
from .core import ERRORS, actor, endpoint, not_found, token_required
from .users import (
    USER_KEYS,
    ListQuery,
    SearchQuery,
    UserSummary,
    active_user,
    checked_form,
    committed,
    found,
    keyset_page,
    search_text,
    user_summary,
)

TAGS = ["Classes"]
CLASS_KEYS = [Key(UserClass.name, "text")]  # the admin list's order; names are unique


class ClassSummary(BaseModel):
    id: int
    name: str
    member_count: int
    session_count: int = Field(description="Sessions the class is linked to")


class ClassPage(BaseModel):
    items: list[ClassSummary]
    next: str | None = Field(description="The next page's URL; null on the last page.")


class ClassOut(BaseModel):
    id: int
    name: str
    description: str
    created_at: datetime
    session_count: int = Field(description="Sessions the class is linked to")


class ClassNew(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(max_length=1000)
    description: str = Field("", max_length=100_000)


class MemberPage(BaseModel):
    items: list[UserSummary]
    next: str | None = Field(description="The next page's URL; null on the last page.")


class MemberChange(BaseModel):
    user: UserSummary
    member: bool = Field(description="Whether the user is a member now")
    enrolled_session_ids: list[int] = Field(
        description="Sessions the class is linked to where joining enrolled the user")
    unenrolled_session_ids: list[int] = Field(
        description="Sessions the class had brought the user to, left with the class")


def _summary(row) -> ClassSummary:
    user_class = row[0]
    return ClassSummary(id=user_class.id, name=user_class.name, member_count=row.members,
                        session_count=row.sessions)


def _class_answer(user_class: UserClass, status: int = 200):
    out = ClassOut(id=user_class.id, name=user_class.name, description=user_class.description,
                   created_at=user_class.created_at,
                   session_count=class_rules.linked_session_count(db.session, user_class.id))
    return out, status, {"Location": url_for("api.class_get", class_id=user_class.id)}


def _member_change(user: User, changes, *, member: bool) -> MemberChange:
    return MemberChange(user=user_summary(user), member=member,
                        enrolled_session_ids=sorted(s for s, _ in changes.added),
                        unenrolled_session_ids=sorted(s for s, _ in changes.removed))



@bp.get("/classes")
@token_required("classes:read")
@endpoint(query=SearchQuery, resp=Response(HTTP_200=ClassPage, **ERRORS), tags=TAGS)
def class_list_get(query: SearchQuery):
    """List classes

    Every class, or those whose name contains `q`, by name.
    """
    return ClassPage(**keyset_page("api.class_list_get", query, CLASS_KEYS,
                                   class_rules.classes_matching(search_text(query)),
                                   _summary))


@bp.get("/classes/<int:class_id>")
@token_required("classes:read")
@endpoint(resp=Response(HTTP_200=ClassOut, **ERRORS), tags=TAGS)
def class_get(class_id: int):
    """Get a class"""
    return _class_answer(found(UserClass, class_id, "class"))


@bp.post("/classes")
@token_required("classes:write")
@endpoint(json=ClassNew, resp=Response(HTTP_201=ClassOut, **ERRORS), tags=TAGS)
def class_create(json: ClassNew):
    """Create a class

    The checks of the admin class form: a unique name.
    """
    form = checked_form(ClassForm, json.model_dump())
    user_class = committed(lambda: class_rules.create_class(
        db.session, form.name.data, form.description.data, by=actor(), now=clock.now()),
        "name", TAKEN)
    return _class_answer(user_class, 201)


@bp.get("/classes/<int:class_id>/members")
@token_required("classes:read")
@endpoint(query=ListQuery, resp=Response(HTTP_200=MemberPage, **ERRORS), tags=TAGS)
def class_member_list(class_id: int, query: ListQuery):
    """List a class's members

    By last name, first name and username.
    """
    user_class = found(UserClass, class_id, "class")
    return MemberPage(**keyset_page(
        "api.class_member_list", query, USER_KEYS, class_rules.members_of(user_class.id),
        lambda row: user_summary(row[0]), class_id=user_class.id))


@bp.put("/classes/<int:class_id>/members/<int:user_id>")
@token_required("classes:write")
@endpoint(resp=Response(HTTP_200=MemberChange, HTTP_201=MemberChange, **ERRORS), tags=TAGS)
def class_member_put(class_id: int, user_id: int):
    """Add a member to a class

    201, and the user is enrolled in every session the class is linked to; a member
    already: 200, nothing changes.
    """
    user_class = found(UserClass, class_id, "class")
    user = active_user(user_id)
    if class_rules.is_member(db.session, user_class.id, user.id):
        return _member_change(user, EnrolmentChanges(), member=True), 200
    changes = add_class_member(db.session, user_class.id, user.id, by=actor(),
                               now=clock.now())
    db.session.commit()
    return _member_change(user, changes, member=True), 201


@bp.delete("/classes/<int:class_id>/members/<int:user_id>")
@token_required("classes:write")
@endpoint(resp=Response(HTTP_200=MemberChange, **ERRORS), tags=TAGS)
def class_member_delete(class_id: int, user_id: int):
    """Remove a member from a class

    They are unenrolled from the sessions the class brought them to, unless enrolled
    there another way. 404 when the user is not a member.
    """
    user_class = found(UserClass, class_id, "class")
    user = found(User, user_id, "user")
    if not class_rules.is_member(db.session, user_class.id, user.id):
        raise not_found("member")
    changes = remove_class_member(db.session, user_class.id, user.id, by=actor(),
                                  now=clock.now())
    db.session.commit()
    return _member_change(user, changes, member=False)
