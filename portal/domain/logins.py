"""Logins: each one a ``LoginSession`` row that the server can end, and their journal
entries (who logged in or out, failed attempts, logins ended), with the address they came
from. The password is never recorded, not even a wrong one.

A row rather than a per-user session version: the profile lists each login and ends
one of them alone, which a single number per user cannot do.
"""

import hashlib
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update

from ..models import JournalEntry, LoginSession, User
from ..models.login_session import ADDRESS_MAX, USER_AGENT_MAX
from . import journal
from .language import _, ngettext
from .text_search import clean_search

TYPED_NAME_MAX = 100  # characters of a typed username kept in a failed attempt
FAILED_ACTOR = "Someone"
TOKEN_BYTES = 32  # 256 random bits
# last_seen_at is written at most this often: not one write per request.
SEEN_EVERY = timedelta(minutes=1)


@dataclass(frozen=True)
class LoginLimits:
    """How long a login lasts: ``idle`` without a request, ``max_age`` at most."""

    idle: timedelta
    max_age: timedelta

    @classmethod
    def from_settings(cls, settings: Mapping) -> "LoginLimits":
        """From the app's LOGIN_IDLE_TIMEOUT and LOGIN_MAX_AGE (seconds)."""
        return cls(timedelta(seconds=settings["LOGIN_IDLE_TIMEOUT"]),
                   timedelta(seconds=settings["LOGIN_MAX_AGE"]))


# Each unit's words, for any count (plural rules differ between languages).
_UNITS = (
    (86400, lambda n: ngettext("%(num)s day", "%(num)s days", n)),
    (3600, lambda n: ngettext("%(num)s hour", "%(num)s hours", n)),
    (60, lambda n: ngettext("%(num)s minute", "%(num)s minutes", n)),
    (1, lambda n: ngettext("%(num)s second", "%(num)s seconds", n)),
)


def duration_words(length: timedelta) -> str:
    """A limit in words, in its largest whole unit: "8 hours", "14 days", "90 minutes"."""
    seconds = int(length.total_seconds())
    size, words = next((size, words) for size, words in _UNITS if seconds % size == 0)
    return words(seconds // size)


def token_hash(token: str) -> str:
    """What is stored of a login token: its SHA-256, in hex."""
    return hashlib.sha256(token.encode()).hexdigest()


def is_current(login: LoginSession, limits: LoginLimits, now: datetime) -> bool:
    """The login still lets its holder in: not ended, not idle too long, not too old."""
    return (login.ended_at is None and now - login.last_seen_at < limits.idle
            and now - login.created_at < limits.max_age)


def _actor(user: User | None, request_id: str | None, address: str | None) -> journal.Actor:
    address = (address or "")[:ADDRESS_MAX] or None
    if user is None:
        return journal.Actor(None, FAILED_ACTOR, request_id, address)
    return journal.Actor(user.id, user.full_name, request_id, address)


def record_login(db, user: User | None, *, ok: bool, typed_name: str, address: str | None,
                 request_id: str | None, now: datetime) -> JournalEntry:
    """Record a login attempt in the caller's transaction and return its entry.

    ``ok``: the user is let in (``start_login`` records it); else a failed attempt by
    "Someone", labelled with the name typed (cleaned, cut) and, when it names an
    account, that account as the user it concerns.
    """
    if ok:
        return journal.record(db, _actor(user, request_id, address), now, "login", "success",
                              object_id=user.id, object_label=user.username)
    typed = clean_search(typed_name, TYPED_NAME_MAX)
    concerns = {"object_id": user.id, "learner_id": user.id,
                "learner_label": user.full_name} if user is not None else {}
    return journal.record(db, _actor(None, request_id, address), now, "login", "failure",
                          object_label=typed, **concerns)


def start_login(db, user: User, *, user_agent: str | None, address: str | None,
                request_id: str | None, now: datetime) -> tuple[LoginSession, str]:
    """Let ``user`` in: a new login row, their login time, the journal entry, in the
    caller's transaction. Returns the row and its token (for the cookie; only its hash
    is stored)."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    agent = "".join(ch for ch in (user_agent or "") if ch.isprintable())[:USER_AGENT_MAX]
    login = LoginSession(user_id=user.id, token_hash=token_hash(token), created_at=now,
                         last_seen_at=now, user_agent=agent,
                         address=(address or "")[:ADDRESS_MAX] or None)
    db.add(login)
    user.last_login_at = now
    record_login(db, user, ok=True, typed_name=user.username, address=address,
                 request_id=request_id, now=now)
    db.flush()
    return login, token


def end_login(db, user: User, login_id: int, *, by: journal.Actor, now: datetime,
              logout: bool = False) -> LoginSession | None:
    """End one login of ``user``: ``logout`` when it is the one ``by`` is using (the
    logout button), else one they end from their profile. Returns the ended row, or None
    (nothing written) when ``user`` has no such login still open."""
    login = db.scalar(select(LoginSession).where(
        LoginSession.id == login_id, LoginSession.user_id == user.id,
        LoginSession.ended_at.is_(None)))
    if login is None:
        return None
    login.ended_at = now
    if logout:
        journal.record(db, by, now, "login", "logout", object_id=user.id,
                       object_label=user.username)
    else:
        _record_ended(db, user, [login], "one", by=by, now=now)
    return login


def end_other_logins(db, user: User, keep_id: int | None, *, by: journal.Actor,
                     now: datetime) -> list[LoginSession]:
    """End every open login of ``user`` but ``keep_id`` (the one changing the password);
    returns the rows ended, journaled when there are any."""
    return _end_logins(db, user, keep_id, "others", by=by, now=now)


def end_all_logins(db, user: User, *, by: journal.Actor, now: datetime) -> list[LoginSession]:
    """Log ``user`` out everywhere (an admin's button); returns the rows ended."""
    return _end_logins(db, user, None, "all", by=by, now=now)


def _end_logins(db, user: User, keep_id: int | None, scope: str, *, by: journal.Actor,
                now: datetime) -> list[LoginSession]:
    # Expired logins are closed too: a longer timeout set later must not revive them.
    query = select(LoginSession).where(LoginSession.user_id == user.id,
                                       LoginSession.ended_at.is_(None))
    if keep_id is not None:
        query = query.where(LoginSession.id != keep_id)
    ended = list(db.scalars(query.order_by(LoginSession.id)))
    for login in ended:
        login.ended_at = now
    if ended:
        _record_ended(db, user, ended, scope, by=by, now=now)
    return ended


def _record_ended(db, user: User, ended: list[LoginSession], scope: str, *,
                  by: journal.Actor, now: datetime) -> None:
    journal.record(db, by, now, "login", "logout", object_id=user.id,
                   object_label=user.username, learner_id=user.id,
                   learner_label=user.full_name, after={"ended": len(ended), "scope": scope})


def active_logins(db, user_id: int, limits: LoginLimits, now: datetime
                  ) -> list[LoginSession]:
    """The logins that still let ``user_id`` in, the most recently seen first."""
    return list(db.scalars(
        select(LoginSession)
        .where(LoginSession.user_id == user_id, LoginSession.ended_at.is_(None),
               LoginSession.last_seen_at > now - limits.idle,
               LoginSession.created_at > now - limits.max_age)
        .order_by(LoginSession.last_seen_at.desc(), LoginSession.id.desc())))


def mark_seen_due(login: LoginSession, now: datetime) -> bool:
    """Whether the login's ``last_seen_at`` is a minute old or more, so worth writing."""
    return now - login.last_seen_at >= SEEN_EVERY


def mark_seen(connection, login: LoginSession, now: datetime) -> bool:
    """Move the login's ``last_seen_at`` (the idle timeout counts from it) to ``now`` if
    no other request did in the last minute; True if written. ``connection``'s own
    transaction, so that a page that writes nothing still keeps its login alive."""
    result = connection.execute(
        update(LoginSession)
        .where(LoginSession.id == login.id, LoginSession.last_seen_at <= now - SEEN_EVERY)
        .values(last_seen_at=now))
    return result.rowcount > 0


# (pattern in the User-Agent header, name shown), first match wins: Edge and Opera also
# say Chrome, Chrome also says Safari, Android also says Linux.
_BROWSERS = (
    (r"Edg(e|A|iOS)?/", "Edge"), (r"OPR/|Opera", "Opera"), (r"SamsungBrowser/", "Samsung Internet"),
    (r"Firefox/|FxiOS/", "Firefox"), (r"Chrome/|Chromium/|CriOS/", "Chrome"),
    (r"Safari/", "Safari"), (r"curl/", "curl"), (r"python-requests|python-httpx", "Python"),
)
_SYSTEMS = (
    (r"Windows", "Windows"), (r"iPhone|iPad|iPod", "iOS"), (r"Android", "Android"),
    (r"CrOS", "ChromeOS"), (r"Mac OS X|Macintosh", "macOS"), (r"Linux|X11", "Linux"),
)


def describe_agent(user_agent: str) -> str:
    """The browser and system a User-Agent names, in plain words ("Firefox on Windows");
    "An unknown browser" when it names none we know."""
    browser = next((name for pattern, name in _BROWSERS if re.search(pattern, user_agent)),
                   None)
    system = next((name for pattern, name in _SYSTEMS if re.search(pattern, user_agent)), None)
    if browser and system:
        return _("%(browser)s on %(system)s", browser=browser, system=system)
    if browser or system:
        return browser or _("A browser on %(system)s", system=system)
    return _("An unknown browser")
