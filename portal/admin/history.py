"""History: the journal read as sentences, across the portal, in one session, and for
one learner in a session. No route edits or deletes an entry; an import's entry offers
its undo (a new change, journaled like any other)."""

from flask import Response, abort, g, render_template, request, url_for

from .. import clock
from ..domain.history import (
    ACTION_CHOICES,
    MAX_ID,
    WHAT_CHOICES,
    HistoryFilters,
    export_header,
    export_rows,
    history_entries,
    history_page,
    learner_story,
    session_history_page,
)
from ..domain.import_undo import (
    ENROLMENT_IMPORT,
    UndoPlan,
    UndoRefused,
    import_file_name,
    undo_import,
    undo_plan,
    undo_statuses,
)
from ..domain.language import _, current_code, ngettext, speaking
from ..domain.pagination import PER_PAGE_CHOICES
from ..extensions import db
from ..models import User
from ..web import wants_fragment
from ..web.actor import current_actor
from ..web.downloads import table_download
from ..web.gate import session_gate
from ..web.zone import viewer_zone
from . import bp
from .confirm import Confirmation


def _render(template: str, filters: HistoryFilters, page, **context):
    """The list page, or with htmx only its results; 422 when a filter was refused."""
    context.update(filters=filters, page=page, what_choices=WHAT_CHOICES,
                   action_choices=ACTION_CHOICES, per_page_choices=PER_PAGE_CHOICES,
                   undo=undo_statuses(db.session, page.items, clock.now()))
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


@bp.route("/history.<any(csv, xlsx):file_format>")
def history_export(file_format: str):
    """The entries matching the filters (all pages), as CSV or as an Excel workbook."""
    tz = viewer_zone()
    filters = HistoryFilters.from_args(request.args)
    if filters.errors:
        return Response(" ".join(filters.errors), 422, mimetype="text/plain")
    stamp = clock.now().astimezone(tz).strftime("%Y-%m-%d")
    rows = _worded_in(current_code(), export_rows(history_entries(db.session, filters, tz), tz))
    return table_download(file_format, f"history-{stamp}", export_header(), rows,
                          sheet_title=_("History"))


def _worded_in(code: str, rows):
    """``rows`` read (and so worded) in the language ``code``: a CSV download is streamed
    after the request has stopped speaking its reader's language."""
    rows = iter(rows)
    while True:
        with speaking(code):
            row = next(rows, None)
        if row is None:
            return
        yield row


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


# --- undo of an import -------------------------------------------------------------


def _undo_confirmation(head, plan: UndoPlan) -> Confirmation:
    """The question before an undo: how many changes go back, how many stay, and what
    happens to the learners' work and messages."""
    details = [ngettext("%(num)s change will be reverted.", "%(num)s changes will be reverted.",
                        plan.revert) if plan.exact
               else ngettext("Up to %(num)s change will be reverted (what changed since stays "
                             "as it is).",
                             "Up to %(num)s changes will be reverted (what changed since "
                             "stays as it is).", plan.revert)]
    if plan.keep:
        details.append(ngettext(
            "%(num)s change will stay as it is: changed since the import (the result lists "
            "them and why).",
            "%(num)s changes will stay as they are: changed since the import (the result "
            "lists them and why).", len(plan.keep)))
    if head.object_type == ENROLMENT_IMPORT:
        details += [
            _("Learners the import enrolled are unenrolled (one also in a linked class stays, "
              "through it); learners it unenrolled are enrolled again."),
            _("Hand-ins and grades are kept: a learner enrolled again finds them. Individual "
              "dates the import took away with an enrolment do not come back."),
            _("Learners get the usual messages: a cancelled or a new invitation.")]
    return Confirmation(
        id=f"undo-confirm-{head.id}",
        question=_("Undo the import of %(file)s?", file=import_file_name(head)),
        details=tuple(details), action=url_for("admin.history_undo", entry_id=head.id),
        button=_("Undo the import"), keep=url_for("admin.history") + f"#entry-{head.id}",
        section=f"#undo-{head.id}")


def _undo_answer(entry_id: int, status: int = 200, **context):
    """The result of an undo (or why none was done): the page, or for htmx the part of
    the History entry it replaces."""
    context.update(entry_id=entry_id, shown=20)
    if wants_fragment():
        return render_template("admin/history/_undo_result.html", **context), status
    return render_template("admin/history/undo_result.html", **context), status


@bp.route("/history/<int:entry_id>/undo")
def history_undo_confirm(entry_id: int):
    """Ask before undoing an import: a page, or for htmx a box under the entry."""
    if wants_fragment() and request.args.get("keep"):
        return ""
    try:
        head, plan = undo_plan(db.session, entry_id, now=clock.now(), tz=viewer_zone())
    except UndoRefused as refused:
        return _undo_answer(entry_id, 409, refused=str(refused))
    confirmation = _undo_confirmation(head, plan)
    if wants_fragment():
        return render_template("admin/session/_confirm.html", confirm=confirmation,
                               in_table=False, as_page=False)
    return render_template("admin/history/undo_confirm.html", confirm=confirmation,
                           in_table=False, as_page=True)


@bp.route("/history/<int:entry_id>/undo", methods=["POST"])
def history_undo(entry_id: int):
    """Undo an import: what is still as it left it goes back, the rest is listed."""
    try:
        result = undo_import(db.session, entry_id, by=current_actor(), now=clock.now(),
                             tz=viewer_zone())
    except UndoRefused as refused:
        db.session.rollback()
        return _undo_answer(entry_id, 409, refused=str(refused))
    db.session.commit()
    return _undo_answer(entry_id, result=result)
