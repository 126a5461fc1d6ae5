"""Set-password links: how a person whose account was made for them (from an enrolment
file) chooses their first password.

A link carries a signed token naming the account, the state of its password when the
link was made and when the link stops working. Setting a password changes that state, so
the link works once; a new password set any other way ends it too. Tokens are checked
against the portal's one clock, not the machine's.
"""

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from itsdangerous import BadSignature, URLSafeSerializer

from ..models import User
from . import users
from .dates import days_text
from .journal import Actor
from .language import _
from .passwords import password_problem

LIFETIME = timedelta(days=7)
_SALT = "set-password"


def _serializer(secret_key: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret_key, salt=_SALT)


def _password_state(user: User) -> str:
    """A short fingerprint of the account's password hash (never the hash itself)."""
    return hashlib.sha256((user.password_hash or "").encode()).hexdigest()[:16]


def make_token(user: User, *, secret_key: str, now: datetime) -> str:
    """A token for ``user``'s set-password link, valid for LIFETIME from ``now``."""
    expires = int((now + LIFETIME).timestamp())
    return _serializer(secret_key).dumps({"u": user.id, "s": _password_state(user),
                                          "e": expires})


def expires_at(now: datetime) -> datetime:
    return now + LIFETIME


def lifetime_text() -> str:
    """How long a link works, as the message and the pages say it ("7 days"), in the
    language in force."""
    return days_text(LIFETIME.days)


# Why a link does not work.
FORGED = "forged"  # not made by this portal, or altered
EXPIRED = "expired"
USED = "used"  # a password was set since (with this link or otherwise)
GONE = "gone"  # the account was deleted or deactivated


@dataclass(frozen=True)
class LinkCheck:
    """What a token gives: the account when it may set its password, else the problem."""

    user: User | None
    problem: str | None = None


def check_token(db, token: str, *, secret_key: str, now: datetime) -> LinkCheck:
    """The account ``token`` lets choose a password, or why it does not (FORGED, EXPIRED,
    USED, GONE). Any text is safe to pass: a bad one is FORGED, never an exception."""
    try:
        payload = _serializer(secret_key).loads(token)
        user_id, state, expires = int(payload["u"]), str(payload["s"]), int(payload["e"])
    except (BadSignature, KeyError, TypeError, ValueError):
        return LinkCheck(None, FORGED)
    user = db.get(User, user_id)
    if user is None or not user.active:
        return LinkCheck(None, GONE)
    if state != _password_state(user):
        return LinkCheck(None, USED)
    if now.timestamp() > expires:
        return LinkCheck(None, EXPIRED)
    return LinkCheck(user)


def user_inputs(user: User) -> tuple[str, ...]:
    """What a guesser knows of ``user``: a password built on it is weak."""
    return (user.username, user.email, user.first_name, user.last_name)


def new_password_problem(user: User, password: str, repeat: str) -> str | None:
    """Why ``password`` cannot be ``user``'s new password, or None."""
    if password != repeat:
        return _("The two passwords differ: type the same password twice.")
    return password_problem(password, user_inputs(user))


def set_password(db, user: User, password: str, *, by: Actor, now: datetime) -> None:
    """Give ``user`` the password chosen through their link (checked already), journaled
    as their own change; the link stops working. The caller commits."""
    users.change_own_password(db, user, password, by=by, now=now)
