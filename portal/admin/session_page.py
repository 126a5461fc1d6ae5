"""The admin's page of one session, and inline editing of its detail rows.

Every change works as a plain form post with a redirect; with htmx the same URLs
answer with the fragment to swap (the row, and out-of-band the timeline and badge).
"""

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.exc import StaleDataError

from .. import clock
from ..domain.access import Window, list_status
from ..domain.session_list import STATUS_LABELS
from ..domain.timeline import session_timeline
from ..extensions import db
from ..models import SessionCourse, SessionCourseCoach, TrainingSession
from ..web import wants_fragment
from ..web.gate import session_gate
from ..web.zone import viewer_zone
from . import bp
from .detail_forms import POLICY_LABELS, ROWS, form_for, validate_row
from .session_people import people_context

CONFLICT = ("This session was changed by someone else since you opened this form. "
            "Reload the page to see the current values, then make your change again.")


def load_session(session_id: int) -> TrainingSession:
    """The session with what its page shows (category, coach, courses and their
    coaches), in one query: a session has a handful of courses and coaches, so one
    joined row per course coach costs less than a round trip per relationship."""
    courses = joinedload(TrainingSession.courses)
    return db.session.execute(
        select(TrainingSession).where(TrainingSession.id == session_id)
        .options(
            courses.joinedload(SessionCourse.course),
            courses.joinedload(SessionCourse.coaches).joinedload(SessionCourseCoach.user),
            joinedload(TrainingSession.category),
            joinedload(TrainingSession.coach),
        )
        .execution_options(populate_existing=True)
    ).unique().scalar_one_or_none()


def page_context(session: TrainingSession) -> dict:
    now, tz = clock.now(), viewer_zone()
    return {
        "training_session": session,
        "rows": ROWS,
        "policy_labels": POLICY_LABELS,
        "timeline": session_timeline(session, now, tz),
        "status": list_status(Window(session.access_start, session.access_end), now),
        "status_labels": STATUS_LABELS,
        "zone": tz.key,
    }


@bp.route("/sessions/<int:session_id>")
@session_gate(need="view")
def session_page(session_id: int):
    session = load_session(session_id)
    editing = request.args.get("edit")
    forms = {}
    if editing in ROWS:
        forms[editing] = form_for(ROWS[editing], session, viewer_zone(), db.session)
    return render_template("admin/session/page.html", forms=forms,
                           **page_context(session), **people_context(session))


@bp.route("/sessions/<int:session_id>/details/<row_key>", methods=["GET", "POST"])
@session_gate(need="view")
def session_detail(session_id: int, row_key: str):
    """GET: the row in read mode (Cancel). POST: save the row."""
    row = ROWS.get(row_key) or abort(404)
    session = load_session(session_id)
    tz = viewer_zone()
    if request.method == "GET":
        if not wants_fragment():
            return redirect(url_for("admin.session_page", session_id=session_id))
        return render_template("admin/session/_detail_row.html", row=row,
                               **page_context(session))
    form = form_for(row, session, tz, db.session, formdata=request.form)
    if form.version.data != str(session.version):
        return _row_with_form(row, session, form, status=409, conflict=CONFLICT)
    changes, warning = validate_row(row, form, session, tz, db.session)
    if any(field.errors for field in form):
        return _row_with_form(row, session, form, status=422)
    if warning and request.form.get("confirm") != "1":
        return _row_with_form(row, session, form, status=422, warning=warning)
    for name, value in changes.items():
        setattr(session, name, value)
    session.updated_at = clock.now()
    try:
        db.session.commit()
    except StaleDataError:  # another save landed between our read and our write
        db.session.rollback()
        session = load_session(session_id)
        return _row_with_form(row, session, form, status=409, conflict=CONFLICT)
    session = load_session(session_id)
    if not wants_fragment():
        flash(f"{row.label} saved.", "success")
        return redirect(url_for("admin.session_page", session_id=session_id) + f"#detail-{row.key}",
                        303)
    return render_template("admin/session/_detail_saved.html", row=row, **page_context(session))


@bp.route("/sessions/<int:session_id>/details/<row_key>/edit")
@session_gate(need="view")
def session_detail_edit(session_id: int, row_key: str):
    row = ROWS.get(row_key) or abort(404)
    if not wants_fragment():
        return redirect(url_for("admin.session_page", session_id=session_id, edit=row_key)
                        + f"#detail-{row_key}")
    session = load_session(session_id)
    form = form_for(row, session, viewer_zone(), db.session)
    return render_template("admin/session/_detail_row.html", row=row, form=form,
                           **page_context(session))


def _row_with_form(row, session, form, *, status, warning=None, conflict=None):
    context = page_context(session)
    if wants_fragment():
        return render_template("admin/session/_detail_row.html", row=row, form=form,
                               warning=warning, conflict=conflict, **context), status
    return render_template("admin/session/page.html", forms={row.key: form},
                           warning=warning, conflict=conflict, **context,
                           **people_context(session)), status

