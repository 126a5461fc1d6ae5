"""Classes and their members: list and search, create, edit, add and remove members, delete.

Members change through portal.domain.enrolment, so the live link to sessions follows:
a member added is enrolled wherever the class is linked, one removed is unenrolled
unless enrolled there another way.
"""

from flask import flash, render_template, request

from .. import clock
from ..domain import classes as class_rules
from ..domain.enrolment import add_class_member, remove_class_member
from ..domain.language import _, _l, ngettext
from ..domain.pagination import PER_PAGE_CHOICES
from ..domain.text_search import find_user
from ..extensions import db
from ..models import User, UserClass
from ..web import current_actor
from ..web.args import search_arg
from . import bp
from .forms_reference import ClassForm, MemberForm
from .reference_common import commit_or_explain, list_page, member_page, see_other

# When another admin saved the same unique value between our check and our commit.
TAKEN = _l("A class with this name was just created. Choose another name.")


@bp.route("/classes")
def classes():
    q = search_arg("q")
    return list_page("admin/classes", class_rules.classes_matching(q), q)


def _class_page(user_class: UserClass | None, form, member_form=None):
    """The class page: its form and, for an existing class, its members.

    422 when either form comes back with errors.
    """
    context = {"form": form, "user_class": user_class, "member_form": member_form}
    if user_class is not None:
        members, page_url = member_page(class_rules.members_of(user_class.id),
                                        "admin.classes_edit", class_id=user_class.id)
        context.update(members=members, page_url=page_url, per_page_choices=PER_PAGE_CHOICES,
                       linked_sessions=class_rules.linked_session_count(db.session,
                                                                        user_class.id),
                       member_form=member_form or MemberForm(formdata=None))
    has_errors = form.errors or (member_form is not None and member_form.errors)
    return render_template("admin/classes/form.html", **context), 422 if has_errors else 200


@bp.route("/classes/new", methods=["GET", "POST"])
def classes_new():
    form = ClassForm()
    if form.validate_on_submit():
        user_class = commit_or_explain(form.name, TAKEN, lambda: class_rules.create_class(
            db.session, form.name.data, form.description.data,
            by=current_actor(), now=clock.now()))
        if user_class is not None:
            flash(_("Class %(name)s created. You can add its members now.", name=user_class.name),
                  "success")
            return see_other("admin.classes_edit", class_id=user_class.id)
    return _class_page(None, form)


@bp.route("/classes/<int:class_id>", methods=["GET", "POST"])
def classes_edit(class_id: int):
    user_class = db.get_or_404(UserClass, class_id)
    form = ClassForm(obj=user_class, editing_id=user_class.id)
    if form.validate_on_submit():
        saved = commit_or_explain(form.name, TAKEN, lambda: class_rules.update_class(
            db.session, user_class, form.name.data, form.description.data,
            by=current_actor(), now=clock.now()))
        if saved is not None:
            flash(_("Class %(name)s saved.", name=user_class.name), "success")
            return see_other("admin.classes_edit", class_id=user_class.id)
        user_class = db.get_or_404(UserClass, class_id)
    return _class_page(user_class, form)


@bp.route("/classes/<int:class_id>/members", methods=["POST"])
def classes_member_add(class_id: int):
    user_class = db.get_or_404(UserClass, class_id)
    member_form = MemberForm()
    valid = member_form.validate_on_submit()
    user = find_user(db.session, member_form.username.data) if valid else None
    if user is None:
        if valid:
            member_form.username.errors.append(_(
                "No user has the username %(username)s. Type a few letters and pick a person "
                "from the list.", username=member_form.username.data))
        return _class_page(user_class, ClassForm(formdata=None, obj=user_class), member_form)
    who = f"{user.full_name} ({user.username})"
    if class_rules.is_member(db.session, user_class.id, user.id):
        flash(_("%(who)s is already a member of %(name)s.", who=who, name=user_class.name),
              "info")
        return see_other("admin.classes_edit", class_id=user_class.id)
    changes = add_class_member(db.session, user_class.id, user.id, by=current_actor(),
                               now=clock.now())
    db.session.commit()
    flash(_member_added(who, user_class.name, len(changes.added)), "success")
    return see_other("admin.classes_edit", class_id=user_class.id)


def _member_added(who: str, class_name: str, sessions: int) -> str:
    if sessions:
        return ngettext(
            "%(who)s added to %(name)s. Enrolled in %(num)s session the class is linked to.",
            "%(who)s added to %(name)s. Enrolled in %(num)s sessions the class is linked to.",
            sessions, who=who, name=class_name)
    return _("%(who)s added to %(name)s.", who=who, name=class_name)


@bp.route("/classes/<int:class_id>/members/<int:user_id>/remove", methods=["POST"])
def classes_member_remove(class_id: int, user_id: int):
    user_class = db.get_or_404(UserClass, class_id)
    user = db.session.get(User, user_id)
    if user is None or not class_rules.is_member(db.session, user_class.id, user.id):
        flash(_("This person is not a member of the class (any more)."), "info")
        return see_other("admin.classes_edit", class_id=user_class.id)
    changes = remove_class_member(db.session, user_class.id, user.id, by=current_actor(),
                                  now=clock.now())
    db.session.commit()
    who = f"{user.full_name} ({user.username})"
    if changes.removed:
        message = ngettext(
            "%(who)s removed from %(name)s. Unenrolled from %(num)s session the class brought "
            "them to.",
            "%(who)s removed from %(name)s. Unenrolled from %(num)s sessions the class brought "
            "them to.", len(changes.removed), who=who, name=user_class.name)
    else:
        message = _("%(who)s removed from %(name)s.", who=who, name=user_class.name)
    flash(message, "success")
    return see_other("admin.classes_edit", class_id=user_class.id,
                     page=request.args.get("page", type=int),
                     per_page=request.args.get("per_page", type=int))


@bp.route("/classes/<int:class_id>/delete", methods=["GET", "POST"])
def classes_delete(class_id: int):
    """GET: the confirmation, saying how many sessions the class is linked to. POST: delete."""
    user_class = db.get_or_404(UserClass, class_id)
    linked = class_rules.linked_session_count(db.session, user_class.id)
    if request.method == "GET":
        return render_template("admin/classes/delete.html", user_class=user_class,
                               linked_sessions=linked)
    name = user_class.name
    class_rules.delete_class(db.session, user_class, by=current_actor(), now=clock.now())
    db.session.commit()
    if linked:
        message = ngettext(
            "Class %(name)s deleted. It was unlinked from %(num)s session; members it had "
            "enrolled there are unenrolled unless enrolled another way.",
            "Class %(name)s deleted. It was unlinked from %(num)s sessions; members it had "
            "enrolled there are unenrolled unless enrolled another way.", linked, name=name)
    else:
        message = _("Class %(name)s deleted.", name=name)
    flash(message, "success")
    return see_other("admin.classes")
