"""Session categories through the API: list, get, create, rename and delete when unused,
with the checks of the admin category form, on the domain functions the pages call."""

from __future__ import annotations

from flask import url_for
from pydantic import BaseModel, ConfigDict, Field
from spectree import Response

from .. import clock
from ..admin.forms_reference import CategoryForm
from ..admin.reference_categories import TAKEN
from ..domain.categories import (
    CategoryInUse,
    categories_matching,
    category_session_count,
    create_category,
    delete_category,
    update_category,
)
from ..domain.keyset import Key
from ..extensions import db
from ..models import SessionCategory
from . import bp
from .core import ERRORS, ApiError, Problem, actor, endpoint, token_required
from .users import SearchQuery, checked_form, committed, found, keyset_page, search_text

TAGS = ["Categories"]
KEYS = [Key(SessionCategory.name, "text")]  # the admin list's order; names are unique


class CategoryOut(BaseModel):
    id: int
    name: str
    session_count: int = Field(description="Sessions in the category")


class CategoryPage(BaseModel):
    items: list[CategoryOut]
    next: str | None = Field(description="The next page's URL; null on the last page.")


class CategoryIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(max_length=1000)


def _answer(category: SessionCategory, status: int = 200):
    out = CategoryOut(id=category.id, name=category.name,
                      session_count=category_session_count(db.session, category.id))
    return out, status, {"Location": url_for("api.category_get", category_id=category.id)}


def _in_use(category: SessionCategory, sessions: int) -> ApiError:
    """The page's refusal, as a 409."""
    count = "1 session" if sessions == 1 else f"{sessions} sessions"
    return ApiError(409, "Conflict", f"Category {category.name} cannot be deleted: it is used "
                                     f"by {count}. Move them to another category first.")


@bp.get("/categories")
@token_required("categories:read")
@endpoint(query=SearchQuery, resp=Response(HTTP_200=CategoryPage, **ERRORS), tags=TAGS)
def category_list_get(query: SearchQuery):
    """List categories

    Every category, or those whose name contains `q`, by name.
    """
    return CategoryPage(**keyset_page(
        "api.category_list_get", query, KEYS, categories_matching(search_text(query)),
        lambda row: CategoryOut(id=row[0].id, name=row[0].name, session_count=row.sessions)))


@bp.get("/categories/<int:category_id>")
@token_required("categories:read")
@endpoint(resp=Response(HTTP_200=CategoryOut, **ERRORS), tags=TAGS)
def category_get(category_id: int):
    """Get a category"""
    return _answer(found(SessionCategory, category_id, "category"))


@bp.post("/categories")
@token_required("categories:write")
@endpoint(json=CategoryIn, resp=Response(HTTP_201=CategoryOut, **ERRORS), tags=TAGS)
def category_create(json: CategoryIn):
    """Create a category

    The checks of the admin category form: a unique name.
    """
    form = checked_form(CategoryForm, json.model_dump())
    category = committed(lambda: create_category(db.session, form.name.data, by=actor(),
                                                 now=clock.now()), "name", TAKEN)
    return _answer(category, 201)


@bp.patch("/categories/<int:category_id>")
@token_required("categories:write")
@endpoint(json=CategoryIn, resp=Response(HTTP_200=CategoryOut, **ERRORS), tags=TAGS)
def category_update(category_id: int, json: CategoryIn):
    """Rename a category"""
    category = found(SessionCategory, category_id, "category")
    form = checked_form(CategoryForm, json.model_dump(), editing_id=category.id)
    committed(lambda: update_category(db.session, category, form.name.data, by=actor(),
                                      now=clock.now()), "name", TAKEN)
    return _answer(category)


@bp.delete("/categories/<int:category_id>")
@token_required("categories:write")
@endpoint(resp=Response("HTTP_204", HTTP_409=Problem, **ERRORS), tags=TAGS)
def category_delete(category_id: int):
    """Delete a category

    Only a category no session uses: 409 otherwise.
    """
    category = found(SessionCategory, category_id, "category")
    try:
        delete_category(db.session, category, by=actor(), now=clock.now())
    except CategoryInUse as refused:
        raise _in_use(category, refused.sessions) from None
    db.session.commit()
    return "", 204
