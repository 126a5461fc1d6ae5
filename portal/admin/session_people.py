"""Learners and classes of a session on its admin page: list, add, remove, link, unlink.
(Their individual dates and suspensions: portal/admin/learner_dates.py.)"""

from flask import flash, g, redirect, render_template, request, url_for

from .. import clock
from ..domain import enrolment
from ..domain.language import gettext as _
from ..domain.language import ngettext
from ..domain.pagination import read_page_args
from ..domain.people import access_words, how_enrolled, session_people
from ..domain.text_search import find_class, find_user
from ..extensions import db
from ..models import User, UserClass
from ..web import current_actor, viewer_zone, wants_fragment
from ..web.args import search_arg
from ..web.gate import session_gate
from . import bp
from .confirm import Confirmation, ask
from .session_forms import unknown_user_message

# The columns of the learner table (a confirmation or form row spans them all).
LEARNER_COLUMNS = 6


def people_context(session, message=None, message_kind="success", offer_unlink=()) -> dict:
    """What the people section shows: the linked classes and one page of learners,
    searched with ``q`` (see domain.people.session_people), each with what applies to
    them alone; ``tick=all`` ticks every learner of the page."""
    q = search_arg("q")
    people = session_people(db.session, session.id, q, *read_page_args(request.args))
    return {
        "learners": people.learners,
        "learner_query": q,
        "classes": people.classes,
        "via_class": people.via_class,
        "people_message": message,
        "people_message_kind": message_kind,
        "offer_unlink": offer_unlink,
        "how_enrolled": how_enrolled,
        "access": access_words(session, people.learners.items, clock.now(), viewer_zone()),
        "tick_all": request.args.get("tick") == "all",
    }


def people_answer(session, message, kind="success", status=200, offer_unlink=()):
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
        return people_answer(session, unknown_user_message(typed), status=422)
    changes = enrolment.enrol_users(db.session, session.id, [user.id], by=current_actor(),
                                    now=clock.now())
    db.session.commit()
    if changes.added:
        return people_answer(session, _("%(name)s enrolled.", name=user.full_name))
    return people_answer(session,
                         _("%(name)s was already enrolled; now also individually.",
                           name=user.full_name),
                         kind="info")


@bp.route("/sessions/<int:session_id>/learners/<int:user_id>/remove", methods=["GET", "POST"])
@session_gate(need="view")
def session_learner_remove(session_id: int, user_id: int):
    """GET: ask (a page, or a row under the learner's for htmx). POST: remove."""
    session = g.training_session
    user = db.session.get(User, user_id)
    if user is None:
        return people_answer(session, _("This learner no longer exists."), status=404)
    if request.method == "GET":
        return ask(_learner_removal(session, user), session)
    removal = enrolment.unenrol_user(db.session, session.id, user_id, by=current_actor(),
                                     now=clock.now())
    db.session.commit()
    if removal.kept_by_classes:
        return people_answer(
            session,
            _("%(name)s stays enrolled through the class %(classes)s: the class link keeps "
              "them. To remove them, unlink the class (this also unenrols its other members "
              "who have no other reason to be here) or take them out of the class.",
              name=user.full_name, classes=", ".join(removal.kept_by_classes)),
            kind="warning", offer_unlink=removal.kept_by,
        )
    if not removal.removed:
        return people_answer(session, _("%(name)s was not enrolled.", name=user.full_name),
                             kind="info")
    return people_answer(session, _("%(name)s removed from the session.", name=user.full_name))


@bp.route("/sessions/<int:session_id>/classes", methods=["POST"])
@session_gate(need="view")
def session_class_link(session_id: int):
    session = g.training_session
    name = request.form.get("add_class", "").strip()
    user_class = find_class(db.session, name)
    if user_class is None:
        message = (_("No class is called “%(name)s”.", name=name) if name
                   else _("Type a class name to link."))
        return people_answer(session, message, status=422)
    changes = enrolment.link_class(db.session, session.id, user_class.id, by=current_actor(),
                                   now=clock.now())
    db.session.commit()
    return people_answer(session, ngettext(
        "Class %(name)s linked: %(num)s learner newly enrolled.",
        "Class %(name)s linked: %(num)s learners newly enrolled.",
        len(changes.added), name=user_class.name))


@bp.route("/sessions/<int:session_id>/classes/<int:class_id>/unlink", methods=["GET", "POST"])
@session_gate(need="view")
def session_class_unlink(session_id: int, class_id: int):
    """GET: ask, saying how many learners would leave. POST: unlink."""
    session = g.training_session
    user_class = db.session.get(UserClass, class_id)
    if user_class is None:
        return people_answer(session, _("This class no longer exists."), status=404)
    if request.method == "GET":
        return ask(_unlinking(session, user_class), session)
    changes = enrolment.unlink_class(db.session, session.id, class_id, by=current_actor(),
                                     now=clock.now())
    db.session.commit()
    return people_answer(session, ngettext(
        "Class %(name)s unlinked: %(num)s learner unenrolled; members enrolled another way "
        "stay.",
        "Class %(name)s unlinked: %(num)s learners unenrolled; members enrolled another way "
        "stay.",
        len(changes.removed), name=user_class.name))


def _keep_url(session) -> str:
    return url_for("admin.session_page", session_id=session.id) + "#people"


def _learner_removal(session, user: User) -> Confirmation:
    kept_by = enrolment.classes_holding(db.session, session.id, user.id)
    details = (
        (_("%(name)s is also in the linked class %(classes)s, so they stay enrolled through "
           "it. To remove them, unlink the class or take them out of it.",
           name=user.full_name, classes=", ".join(c.name for c in kept_by)),) if kept_by
        else (_("%(name)s can no longer open this session. You can enrol them again later.",
                name=user.full_name),))
    return Confirmation(
        id=f"confirm-learner-{user.id}",
        question=_("Remove %(name)s from this session?", name=user.full_name), details=details,
        action=url_for("admin.session_learner_remove", session_id=session.id,
                       user_id=user.id),
        button=_("Remove %(name)s", name=user.full_name), keep=_keep_url(session),
        section="#people",
        columns=LEARNER_COLUMNS,
    )


def _unlinking(session, user_class: UserClass) -> Confirmation:
    leaving = enrolment.unlink_impact(db.session, session.id, user_class.id)
    return Confirmation(
        id=f"confirm-class-{user_class.id}",
        question=_("Unlink the class %(name)s from this session?", name=user_class.name),
        details=(ngettext(
            "This unenrols %(num)s learner enrolled only through the class. Members enrolled "
            "another way stay; people who join the class later are no longer enrolled here.",
            "This unenrols %(num)s learners enrolled only through the class. Members enrolled "
            "another way stay; people who join the class later are no longer enrolled here.",
            leaving),),
        action=url_for("admin.session_class_unlink", session_id=session.id,
                       class_id=user_class.id),
        button=_("Unlink %(name)s", name=user_class.name), keep=_keep_url(session),
        section="#people",
    )
