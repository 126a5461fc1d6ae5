"""Due dates of a course's assignments in one session, from the session's courses."""

from flask import flash, g, redirect, render_template, request, url_for

from .. import clock
from ..domain import due_dates
from ..domain.grading import course_assignments
from ..domain.language import gettext as _
from ..domain.language import ngettext
from ..extensions import db
from ..models import Course
from ..web import current_actor, wants_fragment
from ..web.gate import session_gate
from ..web.zone import viewer_zone
from . import bp


def _render(course, assignments, typed, errors, status=200, message=None, warnings=()):
    """The form: its fragment for htmx, else the page around it."""
    template = ("admin/session/_due_dates.html" if wants_fragment()
                else "admin/session/due_dates.html")
    return render_template(
        template, training_session=g.training_session, course=course,
        assignments=assignments, typed=typed, errors=errors, message=message,
        warnings=warnings, field_names=due_dates.field_names, zone=viewer_zone().key,
    ), status, {"Vary": "HX-Request"}


@bp.route("/sessions/<int:session_id>/courses/<int:course_id>/due-dates",
          methods=["GET", "POST"])
@session_gate(need="view")
def session_course_due_dates(session_id: int, course_id: int):
    assignments = course_assignments(db.session, course_id)
    course = db.session.get(Course, course_id)
    ids, tz = [a.id for a in assignments], viewer_zone()
    if request.method == "GET":
        rules = due_dates.session_due_rules(db.session, session_id, course_id)
        return _render(course, assignments, due_dates.typed_of(rules, ids, tz), {})
    typed, values, errors = due_dates.read_due_form(request.form, ids, tz)
    if errors:
        return _render(course, assignments, typed, errors, status=422,
                       message=_("Nothing was saved: correct the fields marked below."))
    saved = due_dates.set_due_dates(db.session, session_id, course_id, values,
                                    by=current_actor(), now=clock.now())
    db.session.commit()
    message = _saved_message(course, saved)
    warnings = due_dates.due_warnings(g.training_session, values,
                                      {a.id: a.title for a in assignments}, tz)
    if wants_fragment():
        return _render(course, assignments, typed, {}, message=message, warnings=warnings)
    flash(message, "success")
    for warning in warnings:
        flash(warning, "warning")
    return redirect(url_for("admin.session_page", session_id=session_id) + "#courses", 303)


def _saved_message(course: Course, saved: due_dates.DueDatesSaved) -> str:
    if not saved.changed:
        return _("Due dates of %(course)s saved: nothing changed.", course=course.title)
    return ngettext("Due dates of %(course)s saved (%(num)s assignment changed).",
                    "Due dates of %(course)s saved (%(num)s assignments changed).",
                    saved.changed, course=course.title)
