"""Users: list and search, create, edit, deactivate, delete when unused."""

from dataclasses import dataclass

from flask import flash, render_template, request
from flask_login import current_user
from sqlalchemy import distinct, func, or_, select

from ..domain.dates import available_zone_names
from ..domain.passwords import hash_password
from ..extensions import db
from ..models import (
    Enrolment,
    PlatformRole,
    SessionCourseCoach,
    Submission,
    TrainingSession,
    User,
)
from . import bp
from .forms_reference import UserForm
from .lookups import like
from .reference_common import (
    commit_or_explain,
    list_page,
    names_and_more,
    plural,
    search_text,
    see_other,
)

NAMES_SHOWN = 5

# When another admin saved the same unique value between our check and our commit.
TAKEN = "This username or e-mail was just taken by another user. Choose another."


@dataclass(frozen=True)
class UserUsage:
    """Where a user is referenced, for the delete decision."""

    coached_names: list[str]
    coached_total: int
    course_coach_sessions: int
    submissions: int
    enrolments: int

    def reasons(self) -> list[str]:
        out = []
        if self.coached_total:
            out.append(f"coach of {plural(self.coached_total, 'session')}: "
                       + names_and_more(self.coached_names, self.coached_total))
        if self.course_coach_sessions:
            out.append(f"course coach in {plural(self.course_coach_sessions, 'session')}")
        if self.submissions:
            out.append(f"has {plural(self.submissions, 'submission')}")
        if self.enrolments:
            out.append(f"enrolled in {plural(self.enrolments, 'session')}")
        return out


def user_usage(db_session, user_id: int) -> UserUsage:
    """Two queries: the counts together, then the first names of coached sessions."""
    counts = db_session.execute(select(
        select(func.count()).select_from(TrainingSession)
        .where(TrainingSession.coach_id == user_id).scalar_subquery(),
        select(func.count(distinct(SessionCourseCoach.session_id)))
        .where(SessionCourseCoach.user_id == user_id).scalar_subquery(),
        select(func.count()).select_from(Submission)
        .where(Submission.user_id == user_id).scalar_subquery(),
        select(func.count()).select_from(Enrolment)
        .where(Enrolment.user_id == user_id).scalar_subquery(),
    )).one()
    names = []
    if counts[0]:
        names = list(db_session.scalars(
            select(TrainingSession.name).where(TrainingSession.coach_id == user_id)
            .order_by(TrainingSession.name).limit(NAMES_SHOWN)
        ))
    return UserUsage(names, counts[0], counts[1], counts[2], counts[3])


def users_matching(q: str):
    stmt = select(User)
    if q:
        pattern = like(q)
        stmt = stmt.where(or_(
            User.username.like(pattern, escape="\\"),
            User.email.like(pattern, escape="\\"),
            (User.first_name + " " + User.last_name).ilike(pattern, escape="\\"),
        ))
    return stmt.order_by(User.last_name, User.first_name, User.username)



@bp.route("/users")
def users():
    q = search_text()
    return list_page("admin/users", users_matching(q), q, scalars=True)


def _render_form(form, user=None):
    status = 422 if form.errors else 200
    return render_template("admin/users/form.html", form=form, user=user,
                           zone_names=available_zone_names()), status


def _save(form, user: User) -> None:
    user.username = form.username.data
    user.email = form.email.data
    user.first_name = form.first_name.data or ""
    user.last_name = form.last_name.data or ""
    user.role = form.role.data
    user.timezone = form.timezone.data or None
    user.active = bool(form.active.data)
    if form.password.data:
        user.password_hash = hash_password(form.password.data)



@bp.route("/users/new", methods=["GET", "POST"])
def users_new():
    form = UserForm(password_required=True)
    if form.validate_on_submit():
        user = User()
        _save(form, user)
        db.session.add(user)
        if commit_or_explain(form.username, TAKEN):
            flash(f"User {user.username} created.", "success")
            return see_other("admin.users_edit", user_id=user.id)
    return _render_form(form)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
def users_edit(user_id: int):
    user = db.get_or_404(User, user_id)
    form = UserForm(obj=user, editing_id=user.id)
    if form.is_submitted() and _valid_edit(form, user):
        _save(form, user)
        if commit_or_explain(form.username, TAKEN):
            flash(f"User {user.username} saved.", "success")
            return see_other("admin.users_edit", user_id=user.id)
    return _render_form(form, user)


def _valid_edit(form, user: User) -> bool:
    """The form is valid, and an admin editing themselves does not lock themselves out."""
    ok = form.validate()
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
    usage = user_usage(db.session, user.id)
    reasons = usage.reasons()
    if request.method == "GET":
        return render_template("admin/users/delete.html", user=user, is_self=is_self,
                               reasons=reasons)
    if is_self:
        flash("You cannot delete your own account.", "error")
        return see_other("admin.users_edit", user_id=user.id)
    if reasons:
        flash(f"{user.username} cannot be deleted: {'; '.join(reasons)}. "
              "Deactivate the account instead: they can no longer log in and their "
              "history stays.", "error")
        return see_other("admin.users_edit", user_id=user.id)
    username = user.username
    db.session.delete(user)
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
        user.active = False
        db.session.commit()
        flash(f"{user.username} is deactivated and can no longer log in.", "success")
    return see_other("admin.users_edit", user_id=user.id)
