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
    url_for,
)
from flask_login import current_user

from .. import clock
from ..domain.access import (
    Access,
    Decision,
    SessionRules,
    Window,
    coach_window,
    may_download_hand_in,
)
from ..domain.calendar import CalendarEntry, build_calendar, ensure_token, file_name
from ..domain.dates import date_range, format_bound
from ..domain.due_dates import LearnerDue, course_due_views
from ..domain.hand_in import (
    ALLOWED_EXTENSIONS,
    MAX_FILE_BYTES,
    HandInRefused,
    Upload,
    assignment_in_course,
    graded_message,
    hand_in,
    own_submission,
    own_submissions,
    session_submission,
)
from ..domain.language import gettext as _
from ..domain.language import lazy_gettext as _l
from ..domain.language import ngettext, number_text
from ..domain.my_sessions import (
    TAB_LABELS,
    LearnerState,
    course_coach_names,
    course_progress,
    course_with_assignments,
    learner_facts,
    learner_state,
    session_courses,
    tab_page,
)
from ..domain.pagination import read_page_args
from ..extensions import db
from ..models import Assignment, Submission, TrainingSession
from ..web import current_actor, wants_fragment
from ..web.files import send_upload
from ..web.gate import records_visit, session_gate
from ..web.guards import login_required
from ..web.zone import viewer_zone
from . import bp
from .forms import HandInForm

FILE_HINT = _l("At most %(size)s MB; %(types)s. A new file replaces the one handed in before.",
               size=MAX_FILE_BYTES // (1024 * 1024), types=", ".join(ALLOWED_EXTENSIONS))


@bp.route("/my-sessions")
@login_required
def my_sessions():
    if ensure_token(current_user):
        db.session.commit()
    page, _per_page = read_page_args(request.args)
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
@records_visit
def session_page(session_id: int):
    session, access = g.training_session, g.access
    tz = viewer_zone()
    state, calendar = _viewer_window(session, access, visiting=True)
    return render_template(
        "learner/session.html",
        training_session=session,
        access=access,
        courses=session_courses(db.session, session_id),
        state=state,
        progress=course_progress(db.session, session_id, current_user.id) if state else None,
        access_dates=_access_dates(session),
        has_calendar=calendar is not None and (calendar.start or calendar.end) is not None,
        ended_at=format_bound(access.ended_at, tz, is_end=True) if access.ended_at else None,
    )


def _access_dates(session) -> str:
    if session.duration_days:
        return ngettext("%(num)s day from each learner's first visit",
                        "%(num)s days from each learner's first visit", session.duration_days)
    return date_range(session.access_start, session.access_end, viewer_zone())


def _viewer_window(session: TrainingSession, access: Access, *, visiting: bool = False
                   ) -> tuple[LearnerState | None, Window | None]:
    """A learner's own state and window; for staff, no state and the window they work
    in (the coach window for a coach, the access window for an admin)."""
    if access.as_learner is not Decision.NONE:
        facts = learner_facts(db.session, session.id, current_user.id)
        state = learner_state(session, facts, clock.now(), viewer_zone(), visiting=visiting)
        return state, state.calendar
    if access.as_coach is not Decision.NONE:
        return None, coach_window(SessionRules.of(session))
    return None, Window(session.access_start, session.access_end)


# --- a course and its assignments -------------------------------------------


@dataclass
class AssignmentBlock:
    """One assignment as the viewer sees it: their work, and the form or why there is none."""

    assignment: Assignment
    submission: Submission | None
    form: HandInForm | None = None
    reason: str | None = None  # why this assignment has no hand-in form
    # No form for a reason the page states once above the assignments (session ended,
    # viewer not a learner), so each block does not repeat it.
    shut: bool = False
    message: str | None = None  # "Your work was handed in." after an htmx hand-in
    error: str | None = None  # a refusal that belongs to no field
    due: LearnerDue | None = None  # its due date, for this viewer (None: no due date)

    @property
    def file_size(self) -> str:
        size = (self.submission.file_size or 0) if self.submission else 0
        if size >= 1024 * 1024:
            return _("%(size)s MB", size=number_text(round(size / (1024 * 1024), 1)))
        return _("%(size)s KB", size=number_text(max(1, round(size / 1024))))


def _dues(course_id: int, submissions: dict[int, Submission | None]) -> dict[int, LearnerDue]:
    """assignment id -> its due date as the viewer reads it (for ``submissions``' keys)."""
    return course_due_views(
        db.session, g.training_session, course_id, current_user.id,
        as_learner=g.access.as_learner is not Decision.NONE,
        submitted={aid: s.submitted_at if s else None for aid, s in submissions.items()},
        now=clock.now(), tz=viewer_zone())


def _block(assignment: Assignment, submission: Submission | None, access: Access,
           form: HandInForm | None = None, **extra) -> AssignmentBlock:
    tz = viewer_zone()
    if "due" not in extra:
        extra["due"] = _dues(assignment.course_id, {assignment.id: submission}).get(
            assignment.id)
    block = AssignmentBlock(assignment, submission, **extra)
    if access.as_learner is Decision.NONE or not access.can_submit:
        block.shut = True
    elif submission is not None and submission.grade is not None:
        block.reason = graded_message(submission.grade.graded_at, tz)
    else:
        block.form = form or HandInForm(
            prefix=f"a{assignment.id}", formdata=None,
            data={"answer": submission.answer if submission else ""},
        )
    return block


def _course_page(session_id: int, course_id: int, replaced: AssignmentBlock | None = None,
                 status: int = 200):
    access = g.access
    course = course_with_assignments(db.session, course_id)
    submissions = own_submissions(db.session, session_id, current_user.id,
                                  [a.id for a in course.assignments])
    dues = _dues(course_id, {a.id: submissions.get(a.id) for a in course.assignments})
    blocks = [
        replaced if replaced is not None and replaced.assignment.id == a.id
        else _block(a, submissions.get(a.id), access, due=dues.get(a.id))
        for a in course.assignments
    ]
    tz = viewer_zone()
    return render_template(
        "learner/course.html",
        training_session=g.training_session,
        access=access,
        course=course,
        coaches=course_coach_names(db.session, session_id, course_id),
        blocks=blocks,
        file_hint=FILE_HINT,
        ended_at=format_bound(access.ended_at, tz, is_end=True) if access.ended_at else None,
    ), status


@bp.route("/sessions/<int:session_id>/courses/<int:course_id>")
@session_gate(need="view")
@records_visit
def course_page(session_id: int, course_id: int):
    return _course_page(session_id, course_id)


@bp.route(
    "/sessions/<int:session_id>/courses/<int:course_id>/assignments/<int:assignment_id>/hand-in",
    methods=["POST"],
)
@session_gate(need="submit")
def hand_in_work(session_id: int, course_id: int, assignment_id: int):
    assignment = assignment_in_course(db.session, course_id, assignment_id)
    if assignment is None:
        abort(404)
    form = HandInForm(prefix=f"a{assignment_id}")
    error, status = None, 422
    if form.validate():
        try:
            handed_in = _hand_in(form, assignment)
        except HandInRefused as refused:
            error, status = _refusal(form, refused)
        else:
            return _handed_in(assignment, handed_in.submission)
    submission = own_submission(db.session, session_id, assignment_id, current_user.id)
    keep_form = error is None and not (submission is not None and submission.grade is not None)
    block = _block(assignment, submission, g.access, form=form if keep_form else None,
                   error=error)
    if wants_fragment():
        return _assignment_fragment(block), status
    return _course_page(session_id, course_id, replaced=block, status=status)


def _hand_in(form: HandInForm, assignment: Assignment):
    """Hand in what the form holds (portal.domain.hand_in.hand_in, which commits)."""
    data = form.attachment.data
    upload = Upload(data.filename, data.stream) if data and data.filename else None
    return hand_in(db.session, session=g.training_session, assignment=assignment,
                   user=current_user, answer=form.answer.data or "", upload=upload,
                   folder=Path(current_app.config["UPLOAD_FOLDER"]), by=current_actor(),
                   now=clock.now(), tz=viewer_zone())


def _refusal(form: HandInForm, refused: HandInRefused) -> tuple[str | None, int]:
    """Put a refusal under its field (422), or return it to show above the form (409)."""
    if refused.field is None:
        return refused.message, 409
    field = getattr(form, refused.field)
    field.errors = [*field.errors, refused.message]
    return None, 422


def _handed_in(assignment: Assignment, submission: Submission):
    """After a hand-in: back to the course page, or (htmx) the assignment's block."""
    session_id = g.training_session.id
    if not wants_fragment():
        flash(_("Your work on “%(title)s” was handed in.", title=assignment.title), "info")
        url = url_for("learner.course_page", session_id=session_id,
                      course_id=assignment.course_id)
        return redirect(f"{url}#assignment-{assignment.id}", 303)
    # The block shows "Handed in on …" itself, the message does not repeat the date.
    block = _block(assignment, submission, g.access, message=_("Your work was handed in."))
    return _assignment_fragment(block), 200


def _assignment_fragment(block: AssignmentBlock) -> str:
    return render_template("learner/_assignment.html", block=block,
                           training_session=g.training_session, file_hint=FILE_HINT,
                           course_id=block.assignment.course_id)


@bp.route("/sessions/<int:session_id>/submissions/<int:submission_id>/file")
@session_gate(need="view")
@records_visit
def submission_file(session_id: int, submission_id: int):
    """The attached file, to its owner, the coaches who grade it and admins; 404 to anyone else.

    A course coach sees the files of their own course only; the session coach sees all.
    """
    submission = session_submission(db.session, session_id, submission_id)
    if submission is None or not may_download_hand_in(
            db.session, current_user, g.training_session, g.access, submission):
        abort(404)
    return send_upload(submission.file_key, submission.file_name)


@bp.route("/sessions/<int:session_id>/calendar.ics")
@session_gate(need="card")
def session_calendar(session_id: int):
    """The viewer's window of the session as an .ics file; works before it opens too."""
    session = g.training_session
    _state, window = _viewer_window(session, g.access)
    if window is None or (window.start is None and window.end is None):
        abort(404)  # no date to put in a calendar (yet)
    entry = CalendarEntry(session.id, current_user.id, session.name, window,
                          url_for("learner.session_page", session_id=session.id, _external=True))
    return Response(
        build_calendar([entry], clock.now(), session.name, viewer_zone()),
        mimetype="text/calendar",
        headers={"Content-Disposition": f'attachment; filename="{file_name(session.name)}"'},
    )
