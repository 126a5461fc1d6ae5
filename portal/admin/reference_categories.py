"""Session categories: list and search, create, rename, delete when unused."""

from flask import flash, render_template, request
from sqlalchemy import func, select

from ..extensions import db
from ..models import SessionCategory, TrainingSession
from . import bp
from .forms_reference import CategoryForm
from .lookups import like
from .reference_common import (
    commit_or_explain,
    form_page,
    list_page,
    plural,
    search_text,
    see_other,
)

# When another admin saved the same unique value between our check and our commit.
TAKEN = "A category with this name was just created. Choose another."


def categories_matching(q: str):
    """Categories with their number of sessions, in one SELECT."""
    sessions = (select(func.count()).select_from(TrainingSession)
                .where(TrainingSession.category_id == SessionCategory.id)
                .correlate(SessionCategory).scalar_subquery())
    stmt = select(SessionCategory, sessions.label("sessions"))
    if q:
        stmt = stmt.where(SessionCategory.name.ilike(like(q), escape="\\"))
    return stmt.order_by(SessionCategory.name)


def category_session_count(db_session, category_id: int) -> int:
    return db_session.scalar(
        select(func.count()).select_from(TrainingSession)
        .where(TrainingSession.category_id == category_id)
    )



@bp.route("/categories")
def categories():
    q = search_text()
    return list_page("admin/categories", categories_matching(q), q)



@bp.route("/categories/new", methods=["GET", "POST"])
def categories_new():
    form = CategoryForm()
    if form.validate_on_submit():
        category = SessionCategory(name=form.name.data)
        db.session.add(category)
        if commit_or_explain(form.name, TAKEN):
            flash(f"Category {category.name} created.", "success")
            return see_other("admin.categories")
    return form_page("admin/categories/form.html", form, category=None)


@bp.route("/categories/<int:category_id>", methods=["GET", "POST"])
def categories_edit(category_id: int):
    category = db.get_or_404(SessionCategory, category_id)
    form = CategoryForm(obj=category, editing_id=category.id)
    if form.validate_on_submit():
        category.name = form.name.data
        if commit_or_explain(form.name, TAKEN):
            flash(f"Category {category.name} saved.", "success")
            return see_other("admin.categories")
        category = db.get_or_404(SessionCategory, category_id)
    return form_page("admin/categories/form.html", form, category=category,
                     sessions=category_session_count(db.session, category.id))


@bp.route("/categories/<int:category_id>/delete", methods=["GET", "POST"])
def categories_delete(category_id: int):
    """GET: the confirmation (or why it cannot be deleted). POST: delete."""
    category = db.get_or_404(SessionCategory, category_id)
    sessions = category_session_count(db.session, category.id)
    if request.method == "GET":
        return render_template("admin/categories/delete.html", category=category,
                               sessions=sessions)
    if sessions:
        flash(f"Category {category.name} cannot be deleted: it is used by "
              f"{plural(sessions, 'session')}. Move them to another category first.", "error")
        return see_other("admin.categories_edit", category_id=category.id)
    name = category.name
    db.session.delete(category)
    db.session.commit()
    flash(f"Category {name} deleted.", "success")
    return see_other("admin.categories")
