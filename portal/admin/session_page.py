"""The admin's page of one session, and inline editing of its detail rows.

Every change works as a plain form post with a redirect; with htmx the same URLs
answer with the fragment to swap (the row, and out of band the page header with the
name, status and category, the timeline, and the browser's title).
"""

from flask import abort, flash, redirect, render_template, request, url_for

from .. import clock
from ..domain.language import gettext as _
from ..domain.language import lazy_gettext as _l
from ..domain.outbox_list import STATUS_LABELS as STATUS_NAMES
from ..domain.outbox_list import session_counts
from ..domain.session_form import validate_session_values
from ..domain.session_list import STATUS_LABELS, row_status
from ..domain.sessions import VersionConflict, ensure_version, load_session, update_session
from ..domain.timeline import session_timeline
from ..extensions import db
from ..models import TrainingSession
from ..web import current_actor, wants_fragment
from ..web.gate import session_gate
from ..web.zone import viewer_zone
from . import bp
from .detail_forms import ROWS, form_for, posted_version, shown_values
from .session_people import people_context

CONFLICT = _l("This session was changed by someone else since you opened this form. "
              "Reload the page to see the current values, then make your change again.")


def page_context(session: TrainingSession) -> dict:
    now, tz = clock.now(), viewer_zone()
    return {
        "training_session": session,
        "rows": ROWS,
        "shown": shown_values(session, tz),
        "timeline": session_timeline(session, now, tz),
        "status": row_status(session, now),  # as the session list shows it
        "status_labels": STATUS_LABELS,
        "zone": tz.key,
        "message_counts": session_counts(db.session, session.id),
        "message_labels": STATUS_NAMES,
    }


@bp.route("/sessions/<int:session_id>")
@session_gate(need="view")
def session_page(session_id: int):
    session = load_session(db.session, session_id)
    editing = request.args.get("edit")
    forms = {}
    if editing in ROWS:
        forms[editing] = form_for(ROWS[editing], session, viewer_zone(), db.session)
    return render_template("admin/session/page.html", forms=forms,
                           **page_context(session), **people_context(session))


@bp.route("/sessions/<int:session_id>/details/<row_key>", methods=["GET", "POST"])
@session_gate(need="view")
def session_detail(session_id: int, row_key: str):
    """GET: the row in read mode (Cancel). POST: save the row (422 with the messages,
    or the warning to confirm; 409 when the form was opened at an older version)."""
    row = ROWS.get(row_key) or abort(404)
    session = load_session(db.session, session_id)
    if request.method == "GET":
        return _read_row(row, session)
    form = form_for(row, session, viewer_zone(), db.session, formdata=request.form)
    checked = validate_session_values(db.session, form.raw(), tz=viewer_zone(), session=session)
    try:
        if checked.errors or (checked.warning and request.form.get("confirm") != "1"):
            ensure_version(session, posted_version(form))  # a stale form is a conflict first
            form.show_errors(checked.errors)
            return _row_with_form(row, session, form, status=422, warning=checked.warning)
        update_session(db.session, session, checked.values, expected_version=posted_version(form),
                       by=current_actor(), now=clock.now())
    except VersionConflict:
        db.session.rollback()
        return _row_with_form(row, load_session(db.session, session_id), form, status=409,
                              conflict=CONFLICT)
    db.session.commit()
    return _saved_row(row, session_id)


@bp.route("/sessions/<int:session_id>/details/<row_key>/edit")
@session_gate(need="view")
def session_detail_edit(session_id: int, row_key: str):
    row = ROWS.get(row_key) or abort(404)
    if not wants_fragment():
        return redirect(url_for("admin.session_page", session_id=session_id, edit=row_key)
                        + f"#detail-{row_key}")
    session = load_session(db.session, session_id)
    form = form_for(row, session, viewer_zone(), db.session)
    return render_template("admin/session/_detail_row.html", row=row, form=form,
                           **page_context(session))


def _read_row(row, session):
    """The row in read mode for htmx (Cancel); the page for a plain request."""
    if not wants_fragment():
        return redirect(url_for("admin.session_page", session_id=session.id))
    return render_template("admin/session/_detail_row.html", row=row, **page_context(session))


def _saved_row(row, session_id: int):
    """After a save: the row, page header, timeline and title for htmx; else the page."""
    if not wants_fragment():
        flash(_("%(row)s saved.", row=row.label), "success")
        return redirect(url_for("admin.session_page", session_id=session_id)
                        + f"#detail-{row.key}", 303)
    return render_template("admin/session/_detail_saved.html", row=row,
                           **page_context(load_session(db.session, session_id)))


def _row_with_form(row, session, form, *, status, warning=None, conflict=None):
    context = page_context(session)
    if wants_fragment():
        return render_template("admin/session/_detail_row.html", row=row, form=form,
                               warning=warning, conflict=conflict, **context), status
    return render_template("admin/session/page.html", forms={row.key: form},
                           warning=warning, conflict=conflict, **context,
                           **people_context(session)), status
