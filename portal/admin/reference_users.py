"""Users: list and search, create, edit, deactivate, delete when unused."""

from flask import flash, render_template, request
from flask_login import current_user

from .. import clock
from ..domain.language import _, _l, ngettext
from ..domain.logins import end_all_logins
from ..domain.users import (
    ROLE_LABELS,
    UserInUse,
    UserUsage,
    create_user,
    deactivate_user,
    delete_user,
    role_change_problem,
    update_user,
    user_usage,
    users_matching,
)
from ..domain.zones import zone_options
from ..extensions import db
from ..models import PlatformRole, User
from ..web import current_actor
from ..web.args import search_arg
from ..web.navigation import current_login_id
from . import bp
from .forms_reference import UserForm
from .reference_common import (
    commit_or_explain,
    list_page,
    names_and_more,
    see_other,
)

# When another admin saved the same unique value between our check and our commit.
TAKEN = _l("This username or e-mail was just taken by another user. Choose another.")


def usage_reasons(usage: UserUsage) -> list[str]:
    """Why the user cannot be deleted, one phrase per kind of use (empty: they can)."""
    out = []
    if usage.coached_total:
        out.append(ngettext("coach of %(num)s session: %(names)s",
                            "coach of %(num)s sessions: %(names)s", usage.coached_total,
                            names=names_and_more(usage.coached_names, usage.coached_total)))
    if usage.course_coach_sessions:
        out.append(ngettext("course coach in %(num)s session", "course coach in %(num)s sessions",
                            usage.course_coach_sessions))
    if usage.submissions:
        out.append(ngettext("has %(num)s submission", "has %(num)s submissions",
                            usage.submissions))
    if usage.enrolments:
        out.append(ngettext("enrolled in %(num)s session", "enrolled in %(num)s sessions",
                            usage.enrolments))
    return out


@bp.route("/users")
def users():
    q = search_arg("q")
    return list_page("admin/users", users_matching(q), q, scalars=True, role_labels=ROLE_LABELS)


def _render_form(form, user=None):
    status = 422 if form.errors else 200
    zones = zone_options(clock.now(), keep=user.timezone if user else None)
    return render_template("admin/users/form.html", form=form, user=user,
                           zone_options=zones), status


@bp.route("/users/new", methods=["GET", "POST"])
def users_new():
    form = UserForm(password_required=True)
    if form.validate_on_submit():
        user = commit_or_explain(form.username, TAKEN, lambda: create_user(
            db.session, form.values(), by=current_actor(), now=clock.now()))
        if user is not None:
            flash(_("User %(username)s created.", username=user.username), "success")
            return see_other("admin.users_edit", user_id=user.id)
    return _render_form(form)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
def users_edit(user_id: int):
    user = db.get_or_404(User, user_id)
    form = UserForm(obj=user, editing_id=user.id)
    if form.is_submitted() and _valid_edit(form, user):
        saved = commit_or_explain(form.username, TAKEN, lambda: update_user(
            db.session, user, form.values(), by=current_actor(), now=clock.now(),
            keep_login_id=current_login_id()))
        if saved is not None:
            flash(_("User %(username)s saved.", username=user.username), "success")
            return see_other("admin.users_edit", user_id=user.id)
    return _render_form(form, user)


def _valid_edit(form, user: User) -> bool:
    """The form is valid, and an admin editing themselves does not lock themselves out."""
    ok = form.validate()
    if problem := role_change_problem(db.session, user, form.role.data):
        form.role.errors.append(problem)
        ok = False
    if user.id != current_user.id:
        return ok
    if not form.active.data:
        form.active.errors.append(_("You cannot deactivate your own account."))
        ok = False
    if form.role.data != PlatformRole.ADMIN.value:
        form.role.errors.append(_("You cannot remove your own admin role."))
        ok = False
    return ok


@bp.route("/users/<int:user_id>/delete", methods=["GET", "POST"])
def users_delete(user_id: int):
    """GET: the confirmation (or why it cannot be deleted). POST: delete."""
    user = db.get_or_404(User, user_id)
    is_self = user.id == current_user.id
    if request.method == "GET":
        return render_template("admin/users/delete.html", user=user, is_self=is_self,
                               reasons=usage_reasons(user_usage(db.session, user.id)))
    if is_self:
        flash(_("You cannot delete your own account."), "error")
        return see_other("admin.users_edit", user_id=user.id)
    username = user.username
    try:
        delete_user(db.session, user, by=current_actor(), now=clock.now())
    except UserInUse as refused:
        # The reasons are phrases of a list, joined as a list is (not a sentence built).
        flash(_("%(username)s cannot be deleted: %(reasons)s. Deactivate the account instead: "
                "they can no longer log in and their history stays.", username=username,
                reasons="; ".join(usage_reasons(refused.usage))), "error")
        return see_other("admin.users_edit", user_id=user.id)
    db.session.commit()
    flash(_("User %(username)s deleted.", username=username), "success")
    return see_other("admin.users")


@bp.route("/users/<int:user_id>/deactivate", methods=["POST"])
def users_deactivate(user_id: int):
    user = db.get_or_404(User, user_id)
    if user.id == current_user.id:
        flash(_("You cannot deactivate your own account."), "error")
    elif not user.active:
        flash(_("%(username)s is already inactive.", username=user.username), "info")
    else:
        deactivate_user(db.session, user, by=current_actor(), now=clock.now())
        db.session.commit()
        flash(_("%(username)s is deactivated and can no longer log in.",
                username=user.username), "success")
    return see_other("admin.users_edit", user_id=user.id)


@bp.route("/users/<int:user_id>/logout-everywhere", methods=["POST"])
def users_logout_everywhere(user_id: int):
    """End every login of the user: each browser they use must log in again."""
    user = db.get_or_404(User, user_id)
    ended = end_all_logins(db.session, user, by=current_actor(), now=clock.now())
    db.session.commit()
    if ended:
        flash(ngettext("%(username)s was logged out everywhere (%(num)s login ended).",
                       "%(username)s was logged out everywhere (%(num)s logins ended).",
                       len(ended), username=user.username), "success")
    else:
        flash(_("%(username)s was not logged in anywhere.", username=user.username), "info")
    return see_other("admin.users_edit", user_id=user.id)
