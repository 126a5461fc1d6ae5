"""Grading pages: a course's learners × assignments, one submission, saving its grade.

The grid and the submission are seen with need "track" (a coach or admin, while
the coach window is open or read only); saving a grade needs "grade". Every URL
names the course, so the gate answers 404 to a course coach of another course.
"""

from flask import abort, flash, g, redirect, render_template, request, url_for

from .. import clock
from ..domain.dates import format_bound
from ..domain.grading import (
    GradeError,
    cell_of,
    count_to_grade,
    format_score,
    grading_grid,
    save_grade,
    submission_context,
    submission_in_course,
    suspended_read_only,
)
from ..domain.language import gettext as _
from ..domain.pagination import PER_PAGE_CHOICES, link_args, read_page_args
from ..extensions import db
from ..models import Course
from ..web import current_actor, wants_fragment
from ..web.files import send_upload
from ..web.gate import records_visit, session_gate
from ..web.zone import viewer_zone
from . import bp
from .forms import GradeForm

SUBMISSION_URL = ("/sessions/<int:session_id>/courses/<int:course_id>"
                  "/submissions/<int:submission_id>")


GRID_DEFAULTS = {"page": 1, "per_page": PER_PAGE_CHOICES[0]}


def _grid_args(source) -> dict:
    """The grid's own query arguments (filter and page), read from ``source``."""
    page, per_page = read_page_args(source)
    ungraded = "1" if source.get("ungraded") == "1" else None
    return link_args({"ungraded": ungraded, "page": page, "per_page": per_page}, GRID_DEFAULTS)


def _grid_page_url(session_id: int, course_id: int, args: dict, per_page: int):
    """page_url(number, per=None) for the pagination of the grid shown with ``args``."""

    def page_url(number: int, per: int | None = None) -> str:
        values = link_args({**args, "page": number, "per_page": per or per_page},
                           GRID_DEFAULTS)
        return url_for("coach.grading", session_id=session_id, course_id=course_id, **values)

    return page_url


def _closed_text() -> str | None:
    """Why there is no grade form, or None when the viewer may grade."""
    access = g.access
    if access.can_grade:
        return None
    if access.ended_at:
        return _("Your coach access ended on %(bound)s: you can see the work and the grades, "
                 "but grading is closed.",
                 bound=format_bound(access.ended_at, viewer_zone(), is_end=True))
    return _("Your coach access ended: you can see the work and the grades, "
             "but grading is closed.")


@bp.route("/sessions/<int:session_id>/courses/<int:course_id>/grading")
@session_gate(need="track")
@records_visit
def grading(session_id: int, course_id: int):
    args = _grid_args(request.args)
    page, per_page = read_page_args(request.args)
    grid = grading_grid(db.session, session_id, course_id, ungraded_only="ungraded" in args,
                        page=page, per_page=per_page, now=clock.now())
    context = {
        "training_session": g.training_session,
        "course": db.session.get(Course, course_id),
        "grid": grid,
        "ungraded_only": "ungraded" in args,
        "grid_args": args,
        "page_url": _grid_page_url(session_id, course_id, args, grid.rows.per_page),
        "per_page_choices": PER_PAGE_CHOICES,
        "closed_text": _closed_text(),
    }
    template = "coach/_grid.html" if wants_fragment() else "coach/grading.html"
    return render_template(template, **context), {"Vary": "HX-Request"}


def _submission_or_404(session_id: int, course_id: int, submission_id: int):
    submission = submission_in_course(db.session, session_id, course_id, submission_id)
    if submission is None:
        abort(404)
    return submission


def _grade_form(submission, formdata=None) -> GradeForm:
    grade = submission.grade
    data = {"score": format_score(grade.score), "feedback": grade.feedback} if grade else {}
    form = GradeForm(prefix=f"s{submission.id}", formdata=formdata, data=data)
    form.max_score = submission.assignment.max_score
    return form


def _open_cell(submission, form: GradeForm | None, status: int = 200):
    """The submission with its grade form (none for a suspended learner's work, which
    stays visible read only): a cell of the grid (htmx) or a page."""
    found = submission_context(db.session, submission, clock.now())
    suspended_text = suspended_read_only(submission.user.full_name)
    context = {
        "training_session": g.training_session,
        "submission": submission,
        "cell": cell_of(submission, found.due_at),
        "form": form if g.access.can_grade and not found.suspended else None,
        "closed_text": suspended_text if found.suspended else _closed_text(),
        "suspended": found.suspended,
        "grid_args": _grid_args(request.values),
        "fragment": wants_fragment(),
    }
    if wants_fragment():
        return render_template("coach/_cell_open.html", **context), status, {"Vary": "HX-Request"}
    course = db.session.get(Course, submission.assignment.course_id)
    return (render_template("coach/submission.html", course=course, **context), status,
            {"Vary": "HX-Request"})


def _closed_cell(submission, args: dict, *, saved: bool, **extra) -> str:
    """The submission's cell of the grid, closed (``extra``: the out-of-band count)."""
    due_at = submission_context(db.session, submission, clock.now()).due_at
    return render_template("coach/_cell.html", cell=cell_of(submission, due_at),
                           learner=submission.user,
                           assignment=submission.assignment,
                           training_session=g.training_session,
                           course_id=submission.assignment.course_id, grid_args=args,
                           saved=saved, **extra)


@bp.get(SUBMISSION_URL)
@session_gate(need="track")
@records_visit
def submission(session_id: int, course_id: int, submission_id: int):
    found = _submission_or_404(session_id, course_id, submission_id)
    return _open_cell(found, _grade_form(found))


@bp.post(SUBMISSION_URL)
@session_gate(need="grade")
def grade_submission(session_id: int, course_id: int, submission_id: int):
    found = _submission_or_404(session_id, course_id, submission_id)
    form = _grade_form(found, formdata=request.form)
    if not form.validate():
        return _open_cell(found, form, status=422)
    try:
        save_grade(db.session, found, form.score_value, form.feedback.data or "",
                   by=current_actor(), now=clock.now())
    except GradeError as refused:  # a suspended learner: the cell says why, read only
        db.session.rollback()
        form.feedback.errors = [*form.feedback.errors, refused.message]
        return _open_cell(_submission_or_404(session_id, course_id, submission_id), form, 409)
    db.session.commit()
    found = _submission_or_404(session_id, course_id, submission_id)
    args = _grid_args(request.form)
    if not wants_fragment():
        flash(_("Grade saved: %(learner)s, “%(assignment)s”.", learner=found.user.full_name,
                assignment=found.assignment.title), "success")
        url = url_for("coach.grading", session_id=session_id, course_id=course_id, **args)
        return redirect(f"{url}#cell-{found.user_id}-{found.assignment_id}", 303)
    # The cell, and out of band the count above the grid, which may have changed.
    return _closed_cell(found, args, saved=True,
                        oob_to_grade=count_to_grade(db.session, session_id, course_id))


@bp.get(SUBMISSION_URL + "/cell")
@session_gate(need="track")
@records_visit
def submission_cell(session_id: int, course_id: int, submission_id: int):
    """The cell back in its closed form (Close); a plain request goes to the grid."""
    found = _submission_or_404(session_id, course_id, submission_id)
    args = _grid_args(request.args)
    if not wants_fragment():
        return redirect(url_for("coach.grading", session_id=session_id, course_id=course_id,
                                **args))
    return _closed_cell(found, args, saved=False), {"Vary": "HX-Request"}


@bp.get(SUBMISSION_URL + "/file")
@session_gate(need="track")
@records_visit
def submission_file(session_id: int, course_id: int, submission_id: int):
    """The file attached to the submission, to the course's coaches and admins."""
    found = _submission_or_404(session_id, course_id, submission_id)
    return send_upload(found.file_key, found.file_name)
