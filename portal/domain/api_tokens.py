"""API tokens: created by admins in the browser, used as ``Authorization: Bearer <token>``.

A token is ``spt_`` followed by 43 URL-safe characters: 32 random bytes (256 bits) from
``secrets``. Only its SHA-256 is stored: the secret has full entropy, so a fast hash is
as safe as a slow one and lets every request find its token with one index lookup. The
secret is shown once, on creation. A token works while it is neither revoked nor expired
and its owner is an active administrator; it acts as that owner, the journal naming both.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import contains_eager

from ..models import ApiToken, User
from . import journal
from .journal import Actor
from .language import _, _l
from .pagination import Page, paginate

PREFIX = "spt_"
# How an integration sends a token (HTTP, for machines: never translated).
HEADER_EXAMPLE = "Authorization: Bearer <token>"
SECRET_BYTES = 32
HINT_LENGTH = 8  # characters of the secret shown in the list, to tell tokens apart
NAME_MAX = 100
MAX_DAYS = 366
DEFAULT_DAYS = 90
# Writing the last use on every request would make each API call a write: once a minute
# is enough for the list to say when a token was last used.
LAST_USE_PRECISION = timedelta(minutes=1)

# What a token may do, in the order the form offers them (the keys are for machines).
SCOPES = {
    "sessions:read": _l("Read sessions, their courses, coaches and access"),
    "sessions:write": _l("Create, change and delete sessions, their courses and coaches"),
    "enrolments:read": _l("Read enrolments and learners' individual dates"),
    "enrolments:write": _l("Enrol and unenrol learners, set their individual dates"),
    "users:read": _l("Search and read users"),
    "users:write": _l("Create and deactivate users"),
    "courses:read": _l("Read courses and assignments"),
    "courses:write": _l("Create and change courses and assignments"),
    "classes:read": _l("Read classes and their members"),
    "classes:write": _l("Create classes, add and remove members"),
    "categories:read": _l("Read categories"),
    "categories:write": _l("Create and change categories"),
    "journal:read": _l("Read the history of changes"),
}


class TokenError(ValueError):
    """Field name -> message, for the form."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(errors.values()))
        self.errors = errors


@dataclass(frozen=True)
class NewToken:
    token: ApiToken
    secret: str  # the whole bearer token: shown once, never stored


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def check_token_values(name: str | None, scopes, expires_on, today) -> tuple[str, list[str]]:
    """The name (stripped) and the scopes, in SCOPES order; TokenError per field."""
    errors = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = _("Give the token a name (the integration that will use it).")
    elif len(name) > NAME_MAX:
        errors["name"] = _("At most %(max)s characters.", max=NAME_MAX)
    chosen = [scope for scope in SCOPES if scope in set(scopes or ())]
    if not chosen:
        errors["scopes"] = _("Choose at least one thing the token may do.")
    if expires_on is None:
        errors["expires_on"] = _("Give the last day the token works, as 2027-03-31.")
    elif expires_on <= today:
        errors["expires_on"] = _("Choose a day after today.")
    elif expires_on > today + timedelta(days=MAX_DAYS):
        errors["expires_on"] = _("A token works for at most %(max)s days: choose an earlier day.",
                                 max=MAX_DAYS)
    if errors:
        raise TokenError(errors)
    return name, chosen


def create_token(db, owner: User, name: str, scopes: list[str], expires_at: datetime, *,
                 by: Actor, now: datetime) -> NewToken:
    """A new token for ``owner`` (checked values, see check_token_values), journaled."""
    random_part = secrets.token_urlsafe(SECRET_BYTES)
    secret = PREFIX + random_part
    token = ApiToken(name=name, owner_id=owner.id, scopes=scopes, secret_hash=_digest(secret),
                     hint=random_part[:HINT_LENGTH], created_at=now, expires_at=expires_at)
    db.add(token)
    db.flush()
    journal.record(db, by, now, "api_token", "create", object_id=token.id, object_label=name,
                   after={"scopes": scopes, "expires_at": expires_at, "owner": owner.full_name})
    return NewToken(token, secret)


def revoke_token(db, token: ApiToken, *, by: Actor, now: datetime) -> bool:
    """End ``token`` now; False when it was already revoked."""
    if token.revoked_at is not None:
        return False
    token.revoked_at = now
    db.flush()
    journal.record(db, by, now, "api_token", "revoke", object_id=token.id,
                   object_label=token.name)
    return True


UNKNOWN = "The token is not valid."
REVOKED = "The token was revoked."
EXPIRED = "The token has expired."
OWNER_GONE = "The token's owner is no longer an active administrator."


def authenticate(db, presented: str | None, now: datetime) -> tuple[ApiToken | None, str]:
    """The token of a bearer secret, or None and why not (one query: the token and its
    owner). Its last use is noted at most once a minute."""
    if not presented or not presented.startswith(PREFIX) or len(presented) > 200:
        return None, UNKNOWN
    digest = _digest(presented)
    row = db.execute(select(ApiToken, User).join(User, User.id == ApiToken.owner_id)
                     .where(ApiToken.secret_hash == digest)).one_or_none()
    # The index found the row by its hash; compare again in constant time all the same.
    if row is None or not hmac.compare_digest(row.ApiToken.secret_hash, digest):
        return None, UNKNOWN
    token, owner = row
    if token.revoked_at is not None:
        return None, REVOKED
    if token.expires_at <= now:
        return None, EXPIRED
    if not (owner.active and owner.is_admin):
        return None, OWNER_GONE
    if token.last_used_at is None or now - token.last_used_at >= LAST_USE_PRECISION:
        db.execute(update(ApiToken).where(ApiToken.id == token.id)
                   .values(last_used_at=now))
        token.last_used_at = now
    return token, ""


def token_actor(token: ApiToken, request_id: str | None, address: str | None) -> Actor:
    """Who the journal names for a change made with ``token``: its owner, through it."""
    owner = token.owner
    return Actor(owner.id, f"{owner.full_name} (API token “{token.name}”)"[:200], request_id,
                 address)


def token_state(token: ApiToken, now: datetime) -> str:
    if token.revoked_at is not None:
        return "revoked"
    return "expired" if token.expires_at <= now else "active"


def tokens_page(db, page: int, per_page: int) -> Page:
    """Every token, newest first, with its owner loaded (two queries)."""
    stmt = (select(ApiToken).join(User, User.id == ApiToken.owner_id)
            .options(contains_eager(ApiToken.owner))
            .order_by(ApiToken.created_at.desc(), ApiToken.id.desc()))
    return paginate(db, stmt, page, per_page)


def active_count(db, now: datetime) -> int:
    return db.scalar(select(func.count()).select_from(ApiToken).where(
        ApiToken.revoked_at.is_(None), ApiToken.expires_at > now))
