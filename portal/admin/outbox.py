"""The outbox, as admins see it: every message, why one failed, and sending it again."""

from flask import abort, flash, render_template, request, url_for

from .. import clock
from ..domain import outbox_list
from ..domain.history import MAX_ID
from ..domain.language import _
from ..extensions import db
from ..mailer import failure_text
from ..models import OutboxMessage
from ..web import current_actor, htmx_redirect, wants_fragment
from . import bp


def error_text(stored: str) -> str:
    """Why a message was not sent, in the reader's language: the worker's and the mailer's
    own words translated, a mail server's answer as it gave it."""
    return outbox_list.reason_text(stored) or failure_text(stored) or stored


@bp.route("/outbox")
def outbox():
    filters = outbox_list.OutboxFilters.from_args(request.args)
    page = outbox_list.outbox_page(db.session, filters)
    context = {"filters": filters, "page": page, "kinds": outbox_list.KIND_LABELS,
               "statuses": outbox_list.STATUS_LABELS, "error_text": error_text}
    if wants_fragment():
        return render_template("admin/outbox/_results.html", **context)
    return render_template("admin/outbox/page.html",
                           being_written=outbox_list.welcomes_being_written(db.session),
                           **context)


def _message(message_id: int) -> OutboxMessage:
    message = db.session.get(OutboxMessage, message_id) if message_id <= MAX_ID else None
    if message is None:
        abort(404)
    return message


@bp.route("/outbox/<int:message_id>")
def outbox_message(message_id: int):
    message = _message(message_id)
    return render_template("admin/outbox/message.html", message=message,
                           kinds=outbox_list.KIND_LABELS, statuses=outbox_list.STATUS_LABELS,
                           retryable=message.status in outbox_list.RETRYABLE,
                           error_text=error_text)


@bp.route("/outbox/<int:message_id>/retry", methods=["POST"])
def outbox_retry(message_id: int):
    message = _message(message_id)
    if outbox_list.send_again(db.session, message, by=current_actor(), now=clock.now()):
        db.session.commit()
        flash(_("The message is queued: the worker sends it within a minute."), "success")
    else:
        flash(_("Only a failed message, or one not sent, can be sent again."), "warning")
    return htmx_redirect(url_for("admin.outbox_message", message_id=message_id))
