"""One-click unsubscribe (RFC 8058): the link in every message turns its kind off for
its recipient without a login. Opening the link only asks (mail scanners open links);
the button, or a mail program's POST, turns it off."""

from flask import abort, g, render_template, request

from .. import clock
from ..domain import language, notify
from ..extensions import csrf, db
from ..models import User
from ..web.actor import request_id
from ..web.guards import public
from . import bp


def _token_or_404(token: str) -> tuple[int, str]:
    found = notify.read_unsubscribe_token(token) if len(token) <= 500 else None
    if found is None:
        abort(404)
    _speak_as(found[0])
    return found


def _speak_as(user_id: int) -> None:
    """Answer in the language of the link's person, as their message was written (no
    login here, so the request's language is only the browser's)."""
    user = db.session.get(User, user_id)
    if user is not None and user.language in language.LANGUAGES:
        g.language_code = user.language
        language.activate(user.language)


@bp.route("/unsubscribe/<token>", methods=["GET"])
@public
def unsubscribe(token: str):
    user_id, kind = _token_or_404(token)
    return render_template("main/unsubscribe.html", token=token, choice=notify.CHOICES[kind],
                           done=False)


# The signed token is what proves the request: a mail program's one-click POST carries no
# CSRF token, and turning a message off is all it can do.
@bp.route("/unsubscribe/<token>", methods=["POST"])
@public
@csrf.exempt
def unsubscribe_confirm(token: str):
    user_id, kind = _token_or_404(token)
    user = notify.turn_off(db.session, user_id, kind, request_id=request_id(),
                           address=request.remote_addr, now=clock.now())
    if user is None:
        abort(404)
    db.session.commit()
    return render_template("main/unsubscribe.html", token=token, choice=notify.CHOICES[kind],
                           done=True)
