"""Logins in the journal: who logged in or out, and failed attempts, with the address
they came from. The password is never recorded, not even a wrong one."""

from datetime import datetime

from ..models import JournalEntry, User
from . import journal
from .text_search import clean_search

TYPED_NAME_MAX = 100  # characters of a typed username kept in a failed attempt
FAILED_ACTOR = "Someone"


def _actor(user: User | None, request_id: str | None, address: str | None) -> journal.Actor:
    address = (address or "")[:64] or None
    if user is None:
        return journal.Actor(None, FAILED_ACTOR, request_id, address)
    return journal.Actor(user.id, user.full_name, request_id, address)


def record_login(db, user: User | None, *, ok: bool, typed_name: str, address: str | None,
                 request_id: str | None, now: datetime) -> JournalEntry:
    """Record a login attempt in the caller's transaction and return its entry.

    ``ok``: the user is let in (the caller sets their ``last_login_at``); else a failed
    attempt by "Someone", labelled with the name typed (cleaned, cut) and, when it
    names an account, that account as the user it concerns.
    """
    if ok:
        return journal.record(db, _actor(user, request_id, address), now, "login", "success",
                              object_id=user.id, object_label=user.username)
    typed = clean_search(typed_name, TYPED_NAME_MAX)
    concerns = {"object_id": user.id, "learner_id": user.id,
                "learner_label": user.full_name} if user is not None else {}
    return journal.record(db, _actor(None, request_id, address), now, "login", "failure",
                          object_label=typed, **concerns)


def record_logout(db, user: User, *, address: str | None, request_id: str | None,
                  now: datetime) -> JournalEntry:
    """Record that ``user`` logged out, in the caller's transaction."""
    return journal.record(db, _actor(user, request_id, address), now, "login", "logout",
                          object_id=user.id, object_label=user.username)
