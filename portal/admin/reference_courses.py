"""Courses and their assignments: list and search, create, edit, delete when unused."""

from flask import abort, flash, render_template, request
from sqlalchemy import func, or_, select

from ..extensions import db
from ..models import Assignment, Course, SessionCourse, Submission, TrainingSession
from . import bp
from .forms_reference import AssignmentForm, CourseForm
from .lookups import like
from .reference_common import (
    commit_or_explain,
    form_page,
    list_page,
    names_and_more,
    plural,
    search_text,
    see_other,
)

NAMES_SHOWN = 5

# When another admin saved the same unique value between our check and our commit.
TAKEN = "This course code was just taken by another course."


def courses_matching(q: str):
    """Courses with their number of assignments and of sessions, in one SELECT."""
    assignments = (select(func.count()).select_from(Assignment)
                   .where(Assignment.course_id == Course.id).correlate(Course).scalar_subquery())
    sessions = (select(func.count()).select_from(SessionCourse)
                .where(SessionCourse.course_id == Course.id).correlate(Course).scalar_subquery())
    stmt = select(Course, assignments.label("assignments"), sessions.label("sessions"))
    if q:
        pattern = like(q)
        stmt = stmt.where(or_(Course.code.ilike(pattern, escape="\\"),
                              Course.title.ilike(pattern, escape="\\")))
    return stmt.order_by(Course.code)


def course_usage(db_session, course_id: int) -> list[str]:
    """Why the course cannot be deleted (empty: it can)."""
    total, submissions = db_session.execute(select(
        select(func.count()).select_from(SessionCourse)
        .where(SessionCourse.course_id == course_id).scalar_subquery(),
        select(func.count()).select_from(Submission)
        .join(Assignment, Assignment.id == Submission.assignment_id)
        .where(Assignment.course_id == course_id).scalar_subquery(),
    )).one()
    reasons = []
    if total:
        names = list(db_session.scalars(
            select(TrainingSession.name)
            .join(SessionCourse, SessionCourse.session_id == TrainingSession.id)
            .where(SessionCourse.course_id == course_id)
            .order_by(TrainingSession.name).limit(NAMES_SHOWN)
        ))
        reasons.append(f"it is used in {plural(total, 'session')}: {names_and_more(names, total)}")
    if submissions:
        reasons.append(f"its assignments have {plural(submissions, 'submission')}")
    return reasons



def _get_assignment(course: Course, assignment_id: int) -> Assignment:
    assignment = db.session.get(Assignment, assignment_id)
    if assignment is None or assignment.course_id != course.id:
        abort(404)
    return assignment


@bp.route("/courses")
def courses():
    q = search_text()
    return list_page("admin/courses", courses_matching(q), q)



def _save(form, course: Course) -> None:
    course.code = form.code.data
    course.title = form.title.data
    course.description = form.description.data or ""


@bp.route("/courses/new", methods=["GET", "POST"])
def courses_new():
    form = CourseForm()
    if form.validate_on_submit():
        course = Course()
        _save(form, course)
        db.session.add(course)
        if commit_or_explain(form.code, TAKEN):
            flash(f"Course {course.code} created. You can add its assignments now.", "success")
            return see_other("admin.courses_edit", course_id=course.id)
    return form_page("admin/courses/form.html", form, course=None)


@bp.route("/courses/<int:course_id>", methods=["GET", "POST"])
def courses_edit(course_id: int):
    course = db.get_or_404(Course, course_id)
    form = CourseForm(obj=course, editing_id=course.id)
    if form.validate_on_submit():
        _save(form, course)
        if commit_or_explain(form.code, TAKEN):
            flash(f"Course {course.code} saved.", "success")
            return see_other("admin.courses_edit", course_id=course.id)
        course = db.get_or_404(Course, course_id)
    return form_page("admin/courses/form.html", form, course=course,
                     assignments=course.assignments)


@bp.route("/courses/<int:course_id>/delete", methods=["GET", "POST"])
def courses_delete(course_id: int):
    """GET: the confirmation (or why it cannot be deleted). POST: delete."""
    course = db.get_or_404(Course, course_id)
    reasons = course_usage(db.session, course.id)
    if request.method == "GET":
        return render_template("admin/courses/delete.html", course=course, reasons=reasons)
    if reasons:
        flash(f"Course {course.code} cannot be deleted: {'; '.join(reasons)}. "
              "Remove it from those sessions first.", "error")
        return see_other("admin.courses_edit", course_id=course.id)
    code = course.code
    db.session.delete(course)
    db.session.commit()
    flash(f"Course {code} deleted.", "success")
    return see_other("admin.courses")


def _save_assignment(form, assignment: Assignment) -> None:
    assignment.title = form.title.data
    assignment.instructions = form.instructions.data or ""
    assignment.max_score = form.max_score.data


@bp.route("/courses/<int:course_id>/assignments/new", methods=["GET", "POST"])
def courses_assignment_new(course_id: int):
    course = db.get_or_404(Course, course_id)
    form = AssignmentForm()
    if form.validate_on_submit():
        last = db.session.scalar(
            select(func.max(Assignment.position)).where(Assignment.course_id == course.id)
        )
        assignment = Assignment(course_id=course.id, position=(last or 0) + 1)
        _save_assignment(form, assignment)
        db.session.add(assignment)
        db.session.commit()
        flash(f"Assignment {assignment.title} added to {course.code}.", "success")
        return see_other("admin.courses_edit", course_id=course.id)
    return form_page("admin/courses/assignment_form.html", form, course=course,
                     assignment=None)


@bp.route("/courses/<int:course_id>/assignments/<int:assignment_id>", methods=["GET", "POST"])
def courses_assignment_edit(course_id: int, assignment_id: int):
    course = db.get_or_404(Course, course_id)
    assignment = _get_assignment(course, assignment_id)
    form = AssignmentForm(obj=assignment)
    if form.validate_on_submit():
        _save_assignment(form, assignment)
        db.session.commit()
        flash(f"Assignment {assignment.title} saved.", "success")
        return see_other("admin.courses_edit", course_id=course.id)
    return form_page("admin/courses/assignment_form.html", form, course=course,
                     assignment=assignment)


@bp.route("/courses/<int:course_id>/assignments/<int:assignment_id>/delete", methods=["POST"])
def courses_assignment_delete(course_id: int, assignment_id: int):
    course = db.get_or_404(Course, course_id)
    assignment = _get_assignment(course, assignment_id)
    submissions = db.session.scalar(
        select(func.count()).select_from(Submission)
        .where(Submission.assignment_id == assignment.id)
    )
    if submissions:
        flash(f"Assignment {assignment.title} cannot be deleted: it has "
              f"{plural(submissions, 'submission')}.", "error")
    else:
        db.session.delete(assignment)
        db.session.commit()
        flash(f"Assignment {assignment.title} deleted.", "success")
    return see_other("admin.courses_edit", course_id=course.id)
