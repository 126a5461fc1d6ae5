"""Session categories: list and search, create, rename, delete when unused."""

from flask import flash, render_template, request

from .. import clock
from ..domain.categories import (
    CategoryInUse,
    categories_matching,
    category_session_count,
    create_category,
    delete_category,
    update_category,
)
from ..domain.language import _, _l, ngettext
from ..extensions import db
from ..models import SessionCategory
from ..web import current_actor
from ..web.args import search_arg
from . import bp
from .forms_reference import CategoryForm
from .reference_common import commit_or_explain, form_page, list_page, see_other

# When another admin saved the same unique value between our check and our commit.
TAKEN = _l("A category with this name was just created. Choose another.")


@bp.route("/categories")
def categories():
    q = search_arg("q")
    return list_page("admin/categories", categories_matching(q), q)


@bp.route("/categories/new", methods=["GET", "POST"])
def categories_new():
    form = CategoryForm()
    if form.validate_on_submit():
        category = commit_or_explain(form.name, TAKEN, lambda: create_category(
            db.session, form.name.data, by=current_actor(), now=clock.now()))
        if category is not None:
            flash(_("Category %(name)s created.", name=category.name), "success")
            return see_other("admin.categories")
    return form_page("admin/categories/form.html", form, category=None)


@bp.route("/categories/<int:category_id>", methods=["GET", "POST"])
def categories_edit(category_id: int):
    category = db.get_or_404(SessionCategory, category_id)
    form = CategoryForm(obj=category, editing_id=category.id)
    if form.validate_on_submit():
        saved = commit_or_explain(form.name, TAKEN, lambda: update_category(
            db.session, category, form.name.data, by=current_actor(), now=clock.now()))
        if saved is not None:
            flash(_("Category %(name)s saved.", name=category.name), "success")
            return see_other("admin.categories")
    return form_page("admin/categories/form.html", form, category=category,
                     sessions=category_session_count(db.session, category.id))


@bp.route("/categories/<int:category_id>/delete", methods=["GET", "POST"])
def categories_delete(category_id: int):
    """GET: the confirmation (or why it cannot be deleted). POST: delete."""
    category = db.get_or_404(SessionCategory, category_id)
    if request.method == "GET":
        return render_template("admin/categories/delete.html", category=category,
                               sessions=category_session_count(db.session, category.id))
    name = category.name
    try:
        delete_category(db.session, category, by=current_actor(), now=clock.now())
    except CategoryInUse as refused:
        flash(ngettext("Category %(name)s cannot be deleted: it is used by %(num)s session. "
                       "Move it to another category first.",
                       "Category %(name)s cannot be deleted: it is used by %(num)s sessions. "
                       "Move them to another category first.", refused.sessions, name=name),
              "error")
        return see_other("admin.categories_edit", category_id=category.id)
    db.session.commit()
    flash(_("Category %(name)s deleted.", name=name), "success")
    return see_other("admin.categories")
