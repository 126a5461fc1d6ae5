"""Users: list and search, create, edit, deactivate, delete when unused."""

from flask import flash, render_template, request
from flask_login import current_user

from .. import clock
from ..domain.logins import end_all_logins
from ..domain.users import (
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
    plural,
    see_other,
)

# When another admin saved the same unique value between our check and our commit.
TAKEN = "This username or e-mail was just taken by another user. Choose another."


def usage_reasons(usage: UserUsage) -> list[str]:
    """Why the user cannot be deleted, one phrase per kind of use (empty: they can)."""
    out = []
    if usage.coached_total:
        out.append(f"coach of {plural(usage.coached_total, 'session')}: "
                   + names_and_more(usage.coached_names, usage.coached_total))
    if usage.course_coach_sessions:
        out.append(f"course coach in {plural(usage.course_coach_sessions, 'session')}")
    if usage.submissions:
        out.append(f"has {plural(usage.submissions, 'submission')}")
    if usage.enrolments:
        out.append(f"enrolled in {plural(usage.enrolments, 'session')}")
    return out


@bp.route("/users")
def users():
    q = search_arg("q")
    return list_page("admin/users", users_matching(q), q, scalars=True)


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
            flash(f"User {user.username} created.", "success")
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
            flash(f"User {user.username} saved.", "success")
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
        form.active.errors.append("You cannot deactivate your own account.")
        ok = False
    if form.role.data != PlatformRole.ADMIN.value:
        form.role.errors.append("You cannot remove your own admin role.")
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
        flash("You cannot delete your own account.", "error")
        return see_other("admin.users_edit", user_id=user.id)
    username = user.username
    try:
        delete_user(db.session, user, by=current_actor(), now=clock.now())
    except UserInUse as refused:
        flash(f"{username} cannot be deleted: {'; '.join(usage_reasons(refused.usage))}. "
              "Deactivate the account instead: they can no longer log in and their "
              "history stays.", "error")
        return see_other("admin.users_edit", user_id=user.id)
    db.session.commit()
    flash(f"User {username} deleted.", "success")
    return see_other("admin.users")


@bp.route("/users/<int:user_id>/deactivate", methods=["POST"])
def users_deactivate(user_id: int):
    user = db.get_or_404(User, user_id)
    if user.id == current_user.id:
        flash("You cannot deactivate your own account.", "error")
    elif not user.active:
        flash(f"{user.username} is already inactive.", "info")
    else:
        deactivate_user(db.session, user, by=current_actor(), now=clock.now())
        db.session.commit()
        flash(f"{user.username} is deactivated and can no longer log in.", "success")
    return see_other("admin.users_edit", user_id=user.id)


@bp.route("/users/<int:user_id>/logout-everywhere", methods=["POST"])
def users_logout_everywhere(user_id: int):
    """End every login of the user: each browser they use must log in again."""
    user = db.get_or_404(User, user_id)
    ended = end_all_logins(db.session, user, by=current_actor(), now=clock.now())
    db.session.commit()
    if ended:
        flash(f"{user.username} was logged out everywhere ({plural(len(ended), 'login')} "
              "ended).", "success")
    else:
        flash(f"{user.username} was not logged in anywhere.", "info")
    return see_other("admin.users_edit", user_id=user.id)
