"""Courses and course coaches of a session on its admin page."""

from flask import flash, g, redirect, render_template, request, url_for
from sqlalchemy import select

from ..domain import sessions
from ..extensions import db
from ..models import Course
from ..web import wants_fragment
from ..web.gate import session_gate
from . import bp
from .session_forms import find_user, unknown_user_message


def _answer(session_id, message, kind="success", status=200, errors=None):
    """The courses section for htmx, or a redirect with the message for a plain form."""
    if wants_fragment():
        from .session_page import load_session

        return render_template("admin/session/_courses.html",
                               training_session=load_session(session_id),
                               courses_message=message, courses_message_kind=kind,
                               course_errors=errors or {}), status
    flash(message, "error" if status >= 400 else kind)
    return redirect(url_for("admin.session_page", session_id=session_id) + "#courses", 303)


@bp.route("/sessions/<int:session_id>/courses", methods=["POST"])
@session_gate(need="view")
def session_course_add(session_id: int):
    code = request.form.get("add_course", "").strip()
    course = db.session.scalar(select(Course).where(Course.code == code)) if code else None
    if course is None:
        message = f"No course has the code “{code}”." if code else "Type a course code to add."
        return _answer(session_id, message, status=422, errors={"add_course": message})
    added = sessions.add_course(db.session, session_id, course.id)
    db.session.commit()
    if not added:
        return _answer(session_id, f"{course.title} is already in this session.", kind="info")
    return _answer(session_id, f"{course.title} added.")


@bp.route("/sessions/<int:session_id>/courses/<int:course_id>/move", methods=["POST"])
@session_gate(need="view")
def session_course_move(session_id: int, course_id: int):
    offset = -1 if request.form.get("direction") == "up" else 1
    moved = sessions.move_course(db.session, session_id, course_id, offset)
    db.session.commit()
    title = db.session.get(Course, course_id).title
    word = "up" if offset < 0 else "down"
    message = f"{title} moved {word}." if moved else f"{title} cannot move further {word}."
    return _answer(session_id, message, kind="success" if moved else "info")


@bp.route("/sessions/<int:session_id>/courses/<int:course_id>/remove", methods=["GET", "POST"])
@session_gate(need="view")
def session_course_remove(session_id: int, course_id: int):
    course = db.session.get(Course, course_id)
    if request.method == "GET":
        hidden = sessions.hidden_submissions(db.session, session_id, course_id)
        template = ("admin/session/_course_remove.html" if wants_fragment()
                    else "admin/session/course_remove.html")
        return render_template(template, training_session=g.training_session, course=course,
                               hidden=hidden)
    sessions.remove_course(db.session, session_id, course_id)
    db.session.commit()
    return _answer(session_id, f"{course.title} removed from the session. Its hand-ins are kept "
                               f"and come back if you add the course again.")


@bp.route("/sessions/<int:session_id>/courses/<int:course_id>/coaches", methods=["POST"])
@session_gate(need="view")
def session_course_coach_add(session_id: int, course_id: int):
    field = f"add_coach_{course_id}"
    typed = request.form.get(field, "")
    user = find_user(db.session, typed)
    if user is None:
        message = unknown_user_message(typed)
        return _answer(session_id, message, status=422, errors={field: message})
    added = sessions.add_course_coach(db.session, session_id, course_id, user.id)
    db.session.commit()
    title = db.session.get(Course, course_id).title
    if not added:
        return _answer(session_id, f"{user.full_name} already coaches {title}.", kind="info")
    return _answer(session_id, f"{user.full_name} now coaches {title}.")


@bp.route("/sessions/<int:session_id>/courses/<int:course_id>/coaches/<int:user_id>/remove",
          methods=["POST"])
@session_gate(need="view")
def session_course_coach_remove(session_id: int, course_id: int, user_id: int):
    sessions.remove_course_coach(db.session, session_id, course_id, user_id)
    db.session.commit()
    return _answer(session_id, "Course coach removed.")
