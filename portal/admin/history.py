"""History: the journal read as sentences, across the portal, in one session, and for
one learner in a session. Read only: no route edits or deletes an entry."""

from flask import Response, abort, g, render_template, request, stream_with_context

from .. import clock
from ..domain.csv_export import csv_lines
from ..domain.history import (
    ACTION_CHOICES,
    EXPORT_HEADER,
    MAX_ID,
    WHAT_CHOICES,
    HistoryFilters,
    export_rows,
    history_entries,
    history_page,
    learner_story,
    session_history_page,
)
from ..domain.pagination import PER_PAGE_CHOICES
from ..extensions import db
from ..models import User
from ..web import wants_fragment
from ..web.gate import session_gate
from ..web.zone import viewer_zone
from . import bp


def _render(template: str, filters: HistoryFilters, page, **context):
    """The list page, or with htmx only its results; 422 when a filter was refused."""
    context.update(filters=filters, page=page, what_choices=WHAT_CHOICES,
                   action_choices=ACTION_CHOICES, per_page_choices=PER_PAGE_CHOICES)
    status = 422 if filters.errors else 200
    if wants_fragment():
        return render_template("admin/history/_results.html", **context), status
    return render_template(template, **context), status


@bp.route("/history")
def history():
    filters = HistoryFilters.from_args(request.args)
    page = history_page(db.session, filters, viewer_zone())
    return _render("admin/history/page.html", filters, page,
                   list_endpoint="admin.history", list_args={})


@bp.route("/history.csv")
def history_export():
    tz = viewer_zone()
    filters = HistoryFilters.from_args(request.args)
    if filters.errors:
        return Response(" ".join(filters.errors), 422, mimetype="text/plain")
    stamp = clock.now().astimezone(tz).strftime("%Y-%m-%d")
    rows = export_rows(history_entries(db.session, filters, tz), tz)
    return Response(
        stream_with_context(csv_lines(EXPORT_HEADER, rows)),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="history-{stamp}.csv"'},
    )


@bp.route("/sessions/<int:session_id>/history")
@session_gate(need="view")
def session_history(session_id: int):
    filters = HistoryFilters.from_args(request.args, session_id=session_id)
    page = session_history_page(db.session, session_id, filters, viewer_zone())
    return _render("admin/session/history.html", filters, page,
                   training_session=g.training_session, session_tab="history",
                   list_endpoint="admin.session_history",
                   list_args={"session_id": session_id})


@bp.route("/sessions/<int:session_id>/learners/<int:user_id>/history")
@session_gate(need="view")
def session_learner_history(session_id: int, user_id: int):
    learner = db.session.get(User, user_id) if user_id <= MAX_ID else None
    if learner is None:
        abort(404)
    entries = learner_story(db.session, session_id, user_id, viewer_zone())
    return render_template("admin/session/learner_history.html",
                           training_session=g.training_session, session_tab="history",
                           learner=learner, entries=entries)
