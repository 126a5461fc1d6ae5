"""Learners and classes of a session on its admin page: list, add, remove, link, unlink."""

from flask import flash, g, redirect, render_template, request, url_for
from sqlalchemy import func, or_, select
from sqlalchemy.orm import contains_eager

from .. import clock
from ..domain import enrolment
from ..domain.pagination import Page, paginate, read_page_args
from ..extensions import db
from ..models import (
    ClassMembership,
    Enrolment,
    EnrolmentSource,
    SessionClass,
    User,
    UserClass,
)
from ..web import wants_fragment
from ..web.gate import session_gate
from . import bp
from .lookups import like
from .session_forms import find_user, unknown_user_message


def people_context(session, message=None, message_kind="success", offer_unlink=()) -> dict:
    """Classes and one page of learners (searchable), in three queries whatever the size
    (two for a search; one more when classes are linked)."""
    q = request.args.get("q", "").strip()[:100]
    page_number, per_page = read_page_args(request.args)
    stmt = (
        select(Enrolment).join(User, User.id == Enrolment.user_id)
        .where(Enrolment.session_id == session.id)
        .options(contains_eager(Enrolment.user))
        .order_by(User.last_name, User.first_name, User.id)
    )
    if q:
        stmt = stmt.where(Enrolment.id.in_(_matching_enrolments(session.id, q)))
        learners = _search_page(stmt, page_number, per_page)
    else:
        learners = paginate(db.session, stmt, page_number, per_page)
    classes = db.session.scalars(
        select(UserClass).join(SessionClass, SessionClass.class_id == UserClass.id)
        .where(SessionClass.session_id == session.id).order_by(UserClass.name)
    ).all()
    via_class: dict[int, list[str]] = {}
    user_ids = [e.user_id for e in learners.items]
    if user_ids and classes:
        rows = db.session.execute(
            select(ClassMembership.user_id, UserClass.name)
            .join(UserClass, UserClass.id == ClassMembership.class_id)
            .join(SessionClass, SessionClass.class_id == UserClass.id)
            .where(SessionClass.session_id == session.id, ClassMembership.user_id.in_(user_ids))
            .order_by(UserClass.name)
        )
        for user_id, name in rows:
            via_class.setdefault(user_id, []).append(name)
    return {
        "learners": learners,
        "learner_query": q,
        "classes": classes,
        "via_class": via_class,
        "people_message": message,
        "people_message_kind": message_kind,
        "offer_unlink": offer_unlink,
        "how_enrolled": how_enrolled,
    }


def _matching_enrolments(session_id: int, q: str):
    """Ids of the session's enrolments whose learner matches the search ``q``.

    The session's learners are read first (a MATERIALIZED CTE), then searched: a
    substring search cannot use an index, and PostgreSQL, guessing that few users
    match, would otherwise test every user of the platform before joining (35 ms at
    50,000 users, against 10 ms for the 5,000 learners of a big session).
    """
    learners = (
        select(Enrolment.id, User.username, User.email, User.first_name, User.last_name)
        .join(User, User.id == Enrolment.user_id)
        .where(Enrolment.session_id == session_id)
        .cte("session_learners").prefix_with("MATERIALIZED")
    )
    pattern = like(q)
    return select(learners.c.id).where(or_(
        learners.c.username.like(pattern, escape="\\"),
        learners.c.email.like(pattern, escape="\\"),
        (learners.c.first_name + " " + learners.c.last_name).ilike(pattern, escape="\\"),
    ))


def _search_page(stmt, page_number: int, per_page: int) -> Page:
    """A page of search results and their number in ONE query (count(*) OVER ()): the
    search reads every learner of the session, better once than for a count and again
    for the page. A page past the end has no row to carry the number: paginate then
    shows the last page, as for a list."""
    rows = db.session.execute(
        stmt.add_columns(func.count().over().label("total"))
        .limit(per_page).offset((page_number - 1) * per_page)
    ).all()
    if rows:
        return Page([row[0] for row in rows], rows[0].total, page_number, per_page)
    if page_number > 1:
        return paginate(db.session, stmt, page_number, per_page)
    return Page([], 0, 1, per_page)


def how_enrolled(enrolment_row: Enrolment, class_names: list[str]) -> str:
    """'Individual', 'Import', 'Class Red team', or both: 'Individual · class Red team'."""
    parts = []
    if enrolment_row.direct:
        parts.append("Import" if enrolment_row.source == EnrolmentSource.IMPORT else "Individual")
    if class_names:
        parts.append(("class " if parts else "Class ") + ", ".join(class_names))
    return " · ".join(parts) or enrolment_row.source.capitalize()


def _answer(session, message, kind="success", status=200, offer_unlink=()):
    """The people section for htmx, or a redirect with the message for a plain form."""
    if wants_fragment():
        return render_template("admin/session/_people.html", training_session=session,
                               **people_context(session, message, kind, offer_unlink)), status
    flash(message, "error" if status >= 400 else kind)
    return redirect(url_for("admin.session_page", session_id=session.id) + "#people", 303)


@bp.route("/sessions/<int:session_id>/learners")
@session_gate(need="view")
def session_learners(session_id: int):
    """Search and pages of the learner list (the fragment, or the page for plain links)."""
    if not wants_fragment():
        return redirect(url_for("admin.session_page", session_id=session_id, **request.args))
    return render_template("admin/session/_learners.html", training_session=g.training_session,
                           **people_context(g.training_session))


@bp.route("/sessions/<int:session_id>/learners", methods=["POST"])
@session_gate(need="view")
def session_learner_add(session_id: int):
    session = g.training_session
    typed = request.form.get("add_learner", "")
    user = find_user(db.session, typed)
    if user is None:
        message = unknown_user_message(typed)
        return _answer(session, message, status=422)
    added = enrolment.enrol_users(db.session, session.id, [user.id], EnrolmentSource.INDIVIDUAL,
                                  clock.now())
    db.session.commit()
    if added:
        return _answer(session, f"{user.full_name} enrolled.")
    return _answer(session, f"{user.full_name} was already enrolled; now also individually.",
                   kind="info")


@bp.route("/sessions/<int:session_id>/learners/<int:user_id>/remove", methods=["POST"])
@session_gate(need="view")
def session_learner_remove(session_id: int, user_id: int):
    session = g.training_session
    user = db.session.get(User, user_id)
    if user is None:
        return _answer(session, "This learner no longer exists.", status=404)
    removal = enrolment.unenrol_user(db.session, session.id, user_id)
    db.session.commit()
    if removal.kept_by_classes:
        names = ", ".join(removal.kept_by_classes)
        offer = tuple(db.session.scalars(
            select(UserClass).where(UserClass.name.in_(removal.kept_by_classes))
        ))
        return _answer(
            session,
            f"{user.full_name} stays enrolled through the class {names}: the class link keeps "
            f"them. To remove them, unlink the class (this also unenrols its other members "
            f"who have no other reason to be here) or take them out of the class.",
            kind="warning", offer_unlink=offer,
        )
    if not removal.removed:
        return _answer(session, f"{user.full_name} was not enrolled.", kind="info")
    return _answer(session, f"{user.full_name} removed from the session.")


@bp.route("/sessions/<int:session_id>/classes", methods=["POST"])
@session_gate(need="view")
def session_class_link(session_id: int):
    session = g.training_session
    name = request.form.get("add_class", "").strip()
    user_class = (db.session.scalar(select(UserClass).where(UserClass.name == name))
                  if name else None)
    if user_class is None:
        message = f"No class is called “{name}”." if name else "Type a class name to link."
        return _answer(session, message, status=422)
    added = enrolment.link_class(db.session, session.id, user_class.id, clock.now())
    db.session.commit()
    return _answer(session, f"Class {user_class.name} linked: {added} learner"
                            f"{'s' if added != 1 else ''} newly enrolled.")


@bp.route("/sessions/<int:session_id>/classes/<int:class_id>/unlink", methods=["POST"])
@session_gate(need="view")
def session_class_unlink(session_id: int, class_id: int):
    session = g.training_session
    user_class = db.session.get(UserClass, class_id)
    if user_class is None:
        return _answer(session, "This class no longer exists.", status=404)
    removed = enrolment.unlink_class(db.session, session.id, class_id)
    db.session.commit()
    return _answer(session, f"Class {user_class.name} unlinked: {removed} learner"
                            f"{'s' if removed != 1 else ''} unenrolled; members enrolled another "
                            f"way stay.")
