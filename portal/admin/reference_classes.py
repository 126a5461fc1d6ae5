"""Classes and their members: list and search, create, edit, add and remove members, delete.

Members change through portal.domain.enrolment, so the live link to sessions follows:
a member added is enrolled wherever the class is linked, one removed is unenrolled
unless enrolled there another way.
"""

from flask import flash, render_template, request
from sqlalchemy import exists, func, or_, select

from .. import clock
from ..domain.enrolment import add_class_member, delete_class, remove_class_member
from ..domain.pagination import PER_PAGE_CHOICES
from ..extensions import db
from ..models import ClassMembership, Enrolment, SessionClass, User, UserClass
from . import bp
from .forms_reference import ClassForm, MemberForm
from .lookups import like
from .reference_common import (
    commit_or_explain,
    list_page,
    member_page,
    plural,
    search_text,
    see_other,
)

# When another admin saved the same unique value between our check and our commit.
TAKEN = "A class with this name was just created. Choose another name."


def classes_matching(q: str):
    """Classes with their number of members and of linked sessions, in one SELECT."""
    members = (select(func.count()).select_from(ClassMembership)
               .where(ClassMembership.class_id == UserClass.id)
               .correlate(UserClass).scalar_subquery())
    sessions = (select(func.count()).select_from(SessionClass)
                .where(SessionClass.class_id == UserClass.id)
                .correlate(UserClass).scalar_subquery())
    stmt = select(UserClass, members.label("members"), sessions.label("sessions"))
    if q:
        stmt = stmt.where(UserClass.name.ilike(like(q), escape="\\"))
    return stmt.order_by(UserClass.name)


def linked_session_count(db_session, class_id: int) -> int:
    return db_session.scalar(
        select(func.count()).select_from(SessionClass).where(SessionClass.class_id == class_id)
    )



@bp.route("/classes")
def classes():
    q = search_text()
    return list_page("admin/classes", classes_matching(q), q)



def _save(form, user_class: UserClass) -> None:
    user_class.name = form.name.data
    user_class.description = form.description.data or ""


def _class_page(user_class: UserClass | None, form, member_form=None):
    """The class page: its form and, for an existing class, its members.

    422 when either form comes back with errors.
    """
    context = {"form": form, "user_class": user_class, "member_form": member_form}
    if user_class is not None:
        members, page_url = member_page(
            select(User)
            .join(ClassMembership, ClassMembership.user_id == User.id)
            .where(ClassMembership.class_id == user_class.id)
            .order_by(User.last_name, User.first_name, User.username),
            "admin.classes_edit", class_id=user_class.id,
        )
        context.update(members=members, page_url=page_url, per_page_choices=PER_PAGE_CHOICES,
                       linked_sessions=linked_session_count(db.session, user_class.id),
                       member_form=member_form or MemberForm(formdata=None))
    has_errors = form.errors or (member_form is not None and member_form.errors)
    return render_template("admin/classes/form.html", **context), 422 if has_errors else 200


@bp.route("/classes/new", methods=["GET", "POST"])
def classes_new():
    form = ClassForm()
    if form.validate_on_submit():
        user_class = UserClass()
        _save(form, user_class)
        db.session.add(user_class)
        if commit_or_explain(form.name, TAKEN):
            flash(f"Class {user_class.name} created. You can add its members now.", "success")
            return see_other("admin.classes_edit", class_id=user_class.id)
    return _class_page(None, form)


@bp.route("/classes/<int:class_id>", methods=["GET", "POST"])
def classes_edit(class_id: int):
    user_class = db.get_or_404(UserClass, class_id)
    form = ClassForm(obj=user_class, editing_id=user_class.id)
    if form.validate_on_submit():
        _save(form, user_class)
        if commit_or_explain(form.name, TAKEN):
            flash(f"Class {user_class.name} saved.", "success")
            return see_other("admin.classes_edit", class_id=user_class.id)
        user_class = db.get_or_404(UserClass, class_id)
    return _class_page(user_class, form)


def _find_user(text: str) -> User | None:
    """The user whose username (or e-mail) is ``text``, ignoring case."""
    name = User.normalise_username(text)
    return db.session.scalar(select(User).where(or_(User.username == name, User.email == name)))


def _enrolments_through(class_id: int, user_id: int) -> int:
    """How many sessions linked to the class the user is enrolled in."""
    return db.session.scalar(
        select(func.count()).select_from(Enrolment)
        .join(SessionClass, SessionClass.session_id == Enrolment.session_id)
        .where(SessionClass.class_id == class_id, Enrolment.user_id == user_id)
    )


@bp.route("/classes/<int:class_id>/members", methods=["POST"])
def classes_member_add(class_id: int):
    user_class = db.get_or_404(UserClass, class_id)
    member_form = MemberForm()
    user = None
    if member_form.validate_on_submit():
        user = _find_user(member_form.username.data)
        if user is None:
            member_form.username.errors.append(
                f"No user has the username {member_form.username.data}. "
                "Type a few letters and pick a person from the list."
            )
    if user is None:
        return _class_page(user_class, ClassForm(formdata=None, obj=user_class), member_form)
    already = db.session.scalar(select(exists().where(
        ClassMembership.class_id == user_class.id, ClassMembership.user_id == user.id
    )))
    if already:
        flash(f"{user.full_name} ({user.username}) is already a member of {user_class.name}.",
              "info")
        return see_other("admin.classes_edit", class_id=user_class.id)
    # Counted here rather than taken from add_class_member(): its INSERT ... SELECT
    # row count reads 0 on PostgreSQL (reported), and the message must be right.
    before = _enrolments_through(user_class.id, user.id)
    add_class_member(db.session, user_class.id, user.id, clock.now())
    enrolled = _enrolments_through(user_class.id, user.id) - before
    db.session.commit()
    message = f"{user.full_name} ({user.username}) added to {user_class.name}."
    if enrolled:
        message += f" Enrolled in {plural(enrolled, 'session')} the class is linked to."
    flash(message, "success")
    return see_other("admin.classes_edit", class_id=user_class.id)


@bp.route("/classes/<int:class_id>/members/<int:user_id>/remove", methods=["POST"])
def classes_member_remove(class_id: int, user_id: int):
    user_class = db.get_or_404(UserClass, class_id)
    user = db.session.get(User, user_id)
    is_member = user is not None and db.session.scalar(select(exists().where(
        ClassMembership.class_id == user_class.id, ClassMembership.user_id == user.id
    )))
    if not is_member:
        flash("This person is not a member of the class (any more).", "info")
        return see_other("admin.classes_edit", class_id=user_class.id)
    unenrolled = remove_class_member(db.session, user_class.id, user.id)
    db.session.commit()
    message = f"{user.full_name} ({user.username}) removed from {user_class.name}."
    if unenrolled:
        message += f" Unenrolled from {plural(unenrolled, 'session')} the class brought them to."
    flash(message, "success")
    return see_other("admin.classes_edit", class_id=user_class.id,
                     page=request.args.get("page", type=int),
                     per_page=request.args.get("per_page", type=int))


@bp.route("/classes/<int:class_id>/delete", methods=["GET", "POST"])
def classes_delete(class_id: int):
    """GET: the confirmation, saying how many sessions the class is linked to. POST: delete."""
    user_class = db.get_or_404(UserClass, class_id)
    linked = linked_session_count(db.session, user_class.id)
    if request.method == "GET":
        return render_template("admin/classes/delete.html", user_class=user_class,
                               linked_sessions=linked)
    name = user_class.name
    delete_class(db.session, user_class.id)
    db.session.commit()
    message = f"Class {name} deleted."
    if linked:
        message += (f" It was unlinked from {plural(linked, 'session')}; members it had enrolled"
                    " there are unenrolled unless enrolled another way.")
    flash(message, "success")
    return see_other("admin.classes")
