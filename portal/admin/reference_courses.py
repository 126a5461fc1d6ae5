"""Courses and their assignments: list and search, create, edit, delete when unused."""

from flask import abort, flash, render_template, request

from .. import clock
from ..domain.courses import (
    AssignmentInUse,
    CourseInUse,
    CourseUsage,
    course_usage,
    courses_matching,
    create_assignment,
    create_course,
    delete_assignment,
    delete_course,
    update_assignment,
    update_course,
)
from ..domain.language import _, _l, ngettext
from ..extensions import db
from ..models import Assignment, Course
from ..web import current_actor
from ..web.args import search_arg
from . import bp
from .forms_reference import AssignmentForm, CourseForm
from .reference_common import (
    commit_or_explain,
    form_page,
    list_page,
    names_and_more,
    see_other,
)

# When another admin saved the same unique value between our check and our commit.
TAKEN = _l("This course code was just taken by another course.")


def usage_reasons(usage: CourseUsage) -> list[str]:
    """Why the course cannot be deleted, one phrase per kind of use (empty: it can)."""
    reasons = []
    if usage.sessions:
        reasons.append(ngettext(
            "it is used in %(num)s session: %(names)s", "it is used in %(num)s sessions: %(names)s",
            usage.sessions, names=names_and_more(usage.session_names, usage.sessions)))
    if usage.submissions:
        reasons.append(ngettext("its assignments have %(num)s submission",
                                "its assignments have %(num)s submissions", usage.submissions))
    return reasons


def _get_assignment(course: Course, assignment_id: int) -> Assignment:
    assignment = db.session.get(Assignment, assignment_id)
    if assignment is None or assignment.course_id != course.id:
        abort(404)
    return assignment


@bp.route("/courses")
def courses():
    q = search_arg("q")
    return list_page("admin/courses", courses_matching(q), q)


@bp.route("/courses/new", methods=["GET", "POST"])
def courses_new():
    form = CourseForm()
    if form.validate_on_submit():
        course = commit_or_explain(form.code, TAKEN, lambda: create_course(
            db.session, form.values(), by=current_actor(), now=clock.now()))
        if course is not None:
            flash(_("Course %(code)s created. You can add its assignments now.", code=course.code),
                  "success")
            return see_other("admin.courses_edit", course_id=course.id)
    return form_page("admin/courses/form.html", form, course=None)


@bp.route("/courses/<int:course_id>", methods=["GET", "POST"])
def courses_edit(course_id: int):
    course = db.get_or_404(Course, course_id)
    form = CourseForm(obj=course, editing_id=course.id)
    if form.validate_on_submit():
        saved = commit_or_explain(form.code, TAKEN, lambda: update_course(
            db.session, course, form.values(), by=current_actor(), now=clock.now()))
        if saved is not None:
            flash(_("Course %(code)s saved.", code=course.code), "success")
            return see_other("admin.courses_edit", course_id=course.id)
    return form_page("admin/courses/form.html", form, course=course,
                     assignments=course.assignments)


@bp.route("/courses/<int:course_id>/delete", methods=["GET", "POST"])
def courses_delete(course_id: int):
    """GET: the confirmation (or why it cannot be deleted). POST: delete."""
    course = db.get_or_404(Course, course_id)
    if request.method == "GET":
        return render_template("admin/courses/delete.html", course=course,
                               reasons=usage_reasons(course_usage(db.session, course.id)))
    code = course.code
    try:
        delete_course(db.session, course, by=current_actor(), now=clock.now())
    except CourseInUse as refused:
        # The reasons are phrases of a list, joined as a list is (not a sentence built).
        flash(_("Course %(code)s cannot be deleted: %(reasons)s. Remove it from those "
                "sessions first.", code=code, reasons="; ".join(usage_reasons(refused.usage))),
              "error")
        return see_other("admin.courses_edit", course_id=course.id)
    db.session.commit()
    flash(_("Course %(code)s deleted.", code=code), "success")
    return see_other("admin.courses")


@bp.route("/courses/<int:course_id>/assignments/new", methods=["GET", "POST"])
def courses_assignment_new(course_id: int):
    course = db.get_or_404(Course, course_id)
    form = AssignmentForm()
    if form.validate_on_submit():
        assignment = create_assignment(db.session, course, form.values(),
                                       by=current_actor(), now=clock.now())
        db.session.commit()
        flash(_("Assignment %(title)s added to %(code)s.", title=assignment.title,
                code=course.code), "success")
        return see_other("admin.courses_edit", course_id=course.id)
    return form_page("admin/courses/assignment_form.html", form, course=course,
                     assignment=None)


@bp.route("/courses/<int:course_id>/assignments/<int:assignment_id>", methods=["GET", "POST"])
def courses_assignment_edit(course_id: int, assignment_id: int):
    course = db.get_or_404(Course, course_id)
    assignment = _get_assignment(course, assignment_id)
    form = AssignmentForm(obj=assignment)
    if form.validate_on_submit():
        update_assignment(db.session, assignment, form.values(), by=current_actor(),
                          now=clock.now())
        db.session.commit()
        flash(_("Assignment %(title)s saved.", title=assignment.title), "success")
        return see_other("admin.courses_edit", course_id=course.id)
    return form_page("admin/courses/assignment_form.html", form, course=course,
                     assignment=assignment)


@bp.route("/courses/<int:course_id>/assignments/<int:assignment_id>/delete", methods=["POST"])
def courses_assignment_delete(course_id: int, assignment_id: int):
    course = db.get_or_404(Course, course_id)
    assignment = _get_assignment(course, assignment_id)
    title = assignment.title
    try:
        delete_assignment(db.session, assignment, by=current_actor(), now=clock.now())
    except AssignmentInUse as refused:
        flash(ngettext("Assignment %(title)s cannot be deleted: it has %(num)s submission.",
                       "Assignment %(title)s cannot be deleted: it has %(num)s submissions.",
                       refused.submissions, title=title), "error")
    else:
        db.session.commit()
        flash(_("Assignment %(title)s deleted.", title=title), "success")
    return see_other("admin.courses_edit", course_id=course.id)
