"""Courses and course coaches of a session on its admin page."""

from flask import flash, g, redirect, render_template, request, url_for

from .. import clock
from ..domain import sessions
from ..domain.language import gettext as _
from ..domain.language import ngettext
from ..domain.session_form import unknown_user_message
from ..domain.text_search import find_course, find_user
from ..extensions import db
from ..models import Course
from ..web import current_actor, wants_fragment
from ..web.gate import session_gate
from . import bp
from .confirm import Confirmation, ask


def _answer(session_id, message, kind="success", status=200, errors=None):
    """The courses section for htmx, or a redirect with the message for a plain form."""
    if wants_fragment():
        return render_template("admin/session/_courses.html",
                               training_session=sessions.load_session(db.session, session_id),
                               courses_message=message, courses_message_kind=kind,
                               course_errors=errors or {}), status
    flash(message, "error" if status >= 400 else kind)
    return redirect(url_for("admin.session_page", session_id=session_id) + "#courses", 303)


@bp.route("/sessions/<int:session_id>/courses", methods=["POST"])
@session_gate(need="view")
def session_course_add(session_id: int):
    code = request.form.get("add_course", "").strip()
    course = find_course(db.session, code)
    if course is None:
        message = (_("No course has the code “%(code)s”.", code=code) if code
                   else _("Type a course code to add."))
        return _answer(session_id, message, status=422, errors={"add_course": message})
    added = sessions.add_course(db.session, g.training_session, course, by=current_actor(),
                                now=clock.now())
    db.session.commit()
    if added is None:
        return _answer(session_id, _("%(course)s is already in this session.", course=course.title),
                       kind="info")
    return _answer(session_id, _("%(course)s added.", course=course.title))


@bp.route("/sessions/<int:session_id>/courses/<int:course_id>/move", methods=["POST"])
@session_gate(need="view")
def session_course_move(session_id: int, course_id: int):
    offset = -1 if request.form.get("direction") == "up" else 1
    course = db.session.get(Course, course_id)
    moved = sessions.move_course(db.session, g.training_session, course, offset,
                                 by=current_actor(), now=clock.now())
    db.session.commit()
    if moved is None:
        message = (_("%(course)s cannot move further up.", course=course.title) if offset < 0
                   else _("%(course)s cannot move further down.", course=course.title))
        return _answer(session_id, message, kind="info")
    return _answer(session_id, _("%(course)s moved up.", course=course.title) if offset < 0
                   else _("%(course)s moved down.", course=course.title))


@bp.route("/sessions/<int:session_id>/courses/<int:course_id>/remove", methods=["GET", "POST"])
@session_gate(need="view")
def session_course_remove(session_id: int, course_id: int):
    course = db.session.get(Course, course_id)
    if request.method == "GET":
        return ask(_removal(session_id, course), g.training_session)
    sessions.remove_course(db.session, g.training_session, course, by=current_actor(),
                           now=clock.now())
    db.session.commit()
    return _answer(session_id, _("%(course)s removed from the session. Its hand-ins are kept "
                                 "and come back if you add the course again.",
                                 course=course.title))


def _removal(session_id: int, course: Course) -> Confirmation:
    hidden = sessions.hidden_submissions(db.session, session_id, course.id)
    kept = (ngettext("%(num)s hand-in of this session will be hidden (kept, and shown again "
                     "if you add the course back).",
                     "%(num)s hand-ins of this session will be hidden (kept, and shown again "
                     "if you add the course back).", hidden) if hidden
            else _("No hand-in is attached to it."))
    return Confirmation(
        id=f"confirm-course-{course.id}",
        question=_("Remove %(course)s from this session?", course=course.title),
        details=(kept, _("Its course coaches are removed too.")),
        action=url_for("admin.session_course_remove", session_id=session_id,
                       course_id=course.id),
        button=_("Remove %(course)s", course=course.title),
        keep=url_for("admin.session_page", session_id=session_id) + "#courses",
        section="#courses",
    )


@bp.route("/sessions/<int:session_id>/courses/<int:course_id>/coaches", methods=["POST"])
@session_gate(need="view")
def session_course_coach_add(session_id: int, course_id: int):
    field = f"add_coach_{course_id}"
    typed = request.form.get(field, "")
    user = find_user(db.session, typed)
    if user is None:
        message = unknown_user_message(typed)
        return _answer(session_id, message, status=422, errors={field: message})
    course = db.session.get(Course, course_id)
    try:
        added = sessions.add_course_coach(db.session, g.training_session, course, user,
                                          by=current_actor(), now=clock.now())
    except sessions.NotACoach as refused:
        return _answer(session_id, str(refused), status=422, errors={field: str(refused)})
    db.session.commit()
    if not added:
        return _answer(session_id, _("%(name)s already coaches %(course)s.",
                                     name=user.full_name, course=course.title),
                       kind="info")
    return _answer(session_id, _("%(name)s now coaches %(course)s.", name=user.full_name,
                                 course=course.title))


@bp.route("/sessions/<int:session_id>/courses/<int:course_id>/coaches/<int:user_id>/remove",
          methods=["POST"])
@session_gate(need="view")
def session_course_coach_remove(session_id: int, course_id: int, user_id: int):
    course = db.session.get(Course, course_id)
    sessions.remove_course_coach(db.session, g.training_session, course, user_id,
                                 by=current_actor(), now=clock.now())
    db.session.commit()
    return _answer(session_id, _("Course coach removed."))
