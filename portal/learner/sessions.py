"""My sessions, a session, one of its courses, hand-in, the attached file, the .ics."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from flask import (
    Response,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from .. import clock
from ..domain.access import (
    Access,
    Decision,
    SessionRules,
    Window,
    coach_window,
    relation_for,
)
from ..domain.calendar import CalendarEntry, build_calendar, ensure_token, file_name
from ..domain.dates import date_range, format_local
from ..domain.hand_in import (
    ALLOWED_EXTENSIONS,
    MAX_FILE_BYTES,
    HandInRefused,
    Upload,
    file_path,
    graded_message,
    hand_in,
)
from ..domain.my_sessions import TAB_LABELS, course_progress, learner_facts, learner_state, tab_page
from ..domain.pagination import read_page_args
from ..extensions import db
from ..models import Assignment, Course, SessionCourse, SessionCourseCoach, Submission
from ..web import wants_fragment
from ..web.gate import session_gate
from ..web.zone import viewer_zone
from . import bp
from .forms import HandInForm

FILE_HINT = (f"At most {MAX_FILE_BYTES // (1024 * 1024)} MB; "
             f"{', '.join(ALLOWED_EXTENSIONS)}. A new file replaces the one handed in before.")


@bp.route("/my-sessions")
@login_required
def my_sessions():
    if ensure_token(current_user):
        db.session.commit()
    page, _ = read_page_args(request.args)
    result = tab_page(db.session, current_user, clock.now(), viewer_zone(),
                      request.args.get("tab"), page)
    context = {"result": result, "tab_labels": TAB_LABELS}
    if wants_fragment():
        return render_template("learner/_tabs.html", **context), {"Vary": "HX-Request"}
    feed_url = url_for("learner.calendar_feed", token=current_user.calendar_token,
                       _external=True)
    return (render_template("learner/my_sessions.html", feed_url=feed_url, **context),
            {"Vary": "HX-Request"})


@bp.route("/sessions/<int:session_id>")
@session_gate(need="view")
def session_page(session_id: int):
    session, access = g.training_session, g.access
    now, tz = clock.now(), viewer_zone()
    courses = db.session.scalars(
        select(SessionCourse)
        .where(SessionCourse.session_id == session_id)
        .options(selectinload(SessionCourse.course),
                 selectinload(SessionCourse.coaches).selectinload(SessionCourseCoach.user))
        .order_by(SessionCourse.position, SessionCourse.id)
    ).all()
    state = progress = None
    if access.as_learner is not Decision.NONE:
        facts = learner_facts(db.session, session_id, current_user.id)
        state = learner_state(session, facts, now, tz, visiting=True)
        progress = course_progress(db.session, session_id, current_user.id)
        calendar = state.calendar
    else:
        calendar = _staff_window(session, access)
    return render_template(
        "learner/session.html",
        training_session=session,
        access=access,
        courses=courses,
        state=state,
        progress=progress,
        access_dates=_access_dates(session),
        has_calendar=calendar is not None and (calendar.start or calendar.end) is not None,
        ended_at=format_local(access.ended_at, tz) if access.ended_at else None,
    )


def _access_dates(session) -> str:
    if session.duration_days:
        return f"{session.duration_days} days from each learner's first visit"
    return date_range(session.access_start, session.access_end, viewer_zone())


# --- a course and its assignments -------------------------------------------


@dataclass
class AssignmentBlock:
    """One assignment as the viewer sees it: their work, and the form or why there is none."""

    assignment: Assignment
    submission: Submission | None
    form: HandInForm | None = None
    reason: str | None = None  # why there is no hand-in form
    message: str | None = None  # "Handed in on …" after an htmx hand-in
    error: str | None = None  # a refusal that belongs to no field

    @property
    def file_size(self) -> str:
        size = (self.submission.file_size or 0) if self.submission else 0
        if size >= 1024 * 1024:
            return f"{size / (1024 * 1024):.1f} MB"
        return f"{max(1, round(size / 1024))} KB"


def _block(assignment: Assignment, submission: Submission | None, access: Access,
           form: HandInForm | None = None, **extra) -> AssignmentBlock:
    tz = viewer_zone()
    block = AssignmentBlock(assignment, submission, **extra)
    if access.as_learner is Decision.NONE:
        block.reason = "Only the session's learners hand in work here."
    elif submission is not None and submission.grade is not None:
        block.reason = graded_message(submission.grade.graded_at, tz)
    elif not access.can_submit:
        ended = f" on {format_local(access.ended_at, tz)}" if access.ended_at else ""
        block.reason = (f"This session ended{ended}. You can read your work and grades, "
                        "but nothing can be handed in any more.")
    else:
        block.form = form or HandInForm(
            prefix=f"a{assignment.id}", formdata=None,
            data={"answer": submission.answer if submission else ""},
        )
    return block


def _own_submissions(session_id: int, assignment_ids: list[int]) -> dict[int, Submission]:
    if not assignment_ids:
        return {}
    rows = db.session.scalars(
        select(Submission)
        .where(Submission.session_id == session_id, Submission.user_id == current_user.id,
               Submission.assignment_id.in_(assignment_ids))
        .options(selectinload(Submission.grade))
    )
    return {s.assignment_id: s for s in rows}


def _course_page(session_id: int, course_id: int, replaced: AssignmentBlock | None = None,
                 status: int = 200):
    access = g.access
    course = db.session.scalar(
        select(Course).where(Course.id == course_id).options(selectinload(Course.assignments))
    )
    coaches = db.session.scalars(
        select(SessionCourseCoach)
        .where(SessionCourseCoach.session_id == session_id,
               SessionCourseCoach.course_id == course_id)
        .options(selectinload(SessionCourseCoach.user))
    ).all()
    submissions = _own_submissions(session_id, [a.id for a in course.assignments])
    blocks = [
        replaced if replaced is not None and replaced.assignment.id == a.id
        else _block(a, submissions.get(a.id), access)
        for a in course.assignments
    ]
    tz = viewer_zone()
    return render_template(
        "learner/course.html",
        training_session=g.training_session,
        access=access,
        course=course,
        coaches=sorted((c.user.full_name for c in coaches), key=str.lower),
        blocks=blocks,
        file_hint=FILE_HINT,
        ended_at=format_local(access.ended_at, tz) if access.ended_at else None,
    ), status


@bp.route("/sessions/<int:session_id>/courses/<int:course_id>")
@session_gate(need="view")
def course_page(session_id: int, course_id: int):
    return _course_page(session_id, course_id)


@bp.route(
    "/sessions/<int:session_id>/courses/<int:course_id>/assignments/<int:assignment_id>/hand-in",
    methods=["POST"],
)
@session_gate(need="submit")
def hand_in_work(session_id: int, course_id: int, assignment_id: int):
    assignment = db.session.get(Assignment, assignment_id)
    if assignment is None or assignment.course_id != course_id:
        abort(404)
    now, tz = clock.now(), viewer_zone()
    form = HandInForm(prefix=f"a{assignment_id}")
    error = None
    status = 422
    if form.validate():
        data = form.attachment.data
        upload = Upload(data.filename, data.stream) if data and data.filename else None
        try:
            hand_in(db.session, session_id=session_id, assignment_id=assignment_id,
                    user_id=current_user.id, answer=form.answer.data or "", upload=upload,
                    folder=Path(current_app.config["UPLOAD_FOLDER"]), now=now, tz=tz)
        except HandInRefused as refused:
            if refused.field is not None:
                field = getattr(form, refused.field)
                field.errors = [*field.errors, refused.message]
            else:
                error, status = refused.message, 409
        else:
            if not wants_fragment():
                flash(f"Your work on “{assignment.title}” was handed in.", "info")
                url = url_for("learner.course_page", session_id=session_id, course_id=course_id)
                return redirect(f"{url}#assignment-{assignment_id}", 303)
            submission = _own_submissions(session_id, [assignment_id]).get(assignment_id)
            block = _block(assignment, submission, g.access,
                           message=f"Handed in on {format_local(now, tz)}.")
            return _assignment_fragment(block), 200
    submission = _own_submissions(session_id, [assignment_id]).get(assignment_id)
    keep_form = error is None and not (submission is not None and submission.grade is not None)
    block = _block(assignment, submission, g.access, form=form if keep_form else None,
                   error=error)
    if wants_fragment():
        return _assignment_fragment(block), status
    return _course_page(session_id, course_id, replaced=block, status=status)


def _assignment_fragment(block: AssignmentBlock) -> str:
    return render_template("learner/_assignment.html", block=block,
                           training_session=g.training_session, file_hint=FILE_HINT,
                           course_id=block.assignment.course_id)


@bp.route("/sessions/<int:session_id>/submissions/<int:submission_id>/file")
@session_gate(need="view")
def submission_file(session_id: int, submission_id: int):
    """The attached file, to its owner, the coaches who grade it and admins; 404 to anyone else.

    A course coach sees the files of their own course only; the session coach sees all.
    """
    submission = db.session.get(Submission, submission_id)
    if submission is None or submission.session_id != session_id or not submission.file_key:
        abort(404)
    access = g.access
    allowed = submission.user_id == current_user.id or access.is_admin
    if not allowed and access.as_coach is not Decision.NONE:
        allowed = g.training_session.coach_id == current_user.id or relation_for(
            db.session, current_user, g.training_session, submission.assignment.course_id
        ).is_coach
    if not allowed:
        abort(404)
    path = file_path(Path(current_app.config["UPLOAD_FOLDER"]), submission.file_key)
    if not path.is_file():
        abort(404)
    response = send_file(path, as_attachment=True, download_name=submission.file_name)
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _staff_window(session, access: Access) -> Window:
    """The window a coach (the coach window) or an admin (the access window) works in."""
    if access.as_coach is not Decision.NONE:
        return coach_window(SessionRules.of(session))
    return Window(session.access_start, session.access_end)


@bp.route("/sessions/<int:session_id>/calendar.ics")
@session_gate(need="card")
def session_calendar(session_id: int):
    """The viewer's window of the session as an .ics file; works before it opens too."""
    session, access = g.training_session, g.access
    now = clock.now()
    window: Window | None
    if access.as_learner is not Decision.NONE:
        facts = learner_facts(db.session, session_id, current_user.id)
        window = learner_state(session, facts, now, viewer_zone()).calendar
    else:
        window = _staff_window(session, access)
    if window is None or (window.start is None and window.end is None):
        abort(404)  # no date to put in a calendar (yet)
    entry = CalendarEntry(session.id, current_user.id, session.name, window,
                          url_for("learner.session_page", session_id=session.id, _external=True))
    return Response(
        build_calendar([entry], now, session.name),
        mimetype="text/calendar",
        headers={"Content-Disposition": f'attachment; filename="{file_name(session.name)}"'},
    )
