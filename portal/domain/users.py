"""Users as the administration manages them: the searchable list, where a user is
used, and the one write function for each change (create, update, deactivate, delete).

Every write records its journal entry (``("user", ...)``) in the caller's transaction
and returns what changed; the caller commits. A password is never recorded: the
entry says only that it changed.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import distinct, func, select
from sqlalchemy.sql import Select

from ..models import (
    Enrolment,
    PlatformRole,
    SessionCourseCoach,
    Submission,
    TrainingSession,
    User,
)
from . import journal, logins
from .journal import Actor
from .language import LANGUAGES, _l, ngettext
from .passwords import hash_password
from .text_search import user_matches

NAMES_SHOWN = 5  # coached sessions named when a delete is refused

# A platform role as pages name it (the role's value is for machines).
ROLE_LABELS = {PlatformRole.LEARNER.value: _l("Learner"),
               PlatformRole.TEACHER.value: _l("Teacher"),
               PlatformRole.ADMIN.value: _l("Admin")}

# The fields a person edits, as the journal records them.
FIELDS = ("username", "email", "first_name", "last_name", "role", "timezone", "active")

# What the journal keeps of a new password: that there is one, nothing of its value.
PASSWORD_CHANGED = "changed"  # noqa: S105 - a marker, not a password


def find_by_username(db, username: str) -> User | None:
    return db.scalar(select(User).where(User.username == User.normalise_username(username)))


def find_by_email(db, email: str) -> User | None:
    return db.scalar(select(User).where(User.email == User.normalise_email(email)))


def users_matching(q: str) -> Select:
    """All users, or those whose username, e-mail or name contains ``q``, by name."""
    stmt = select(User)
    if q:
        stmt = stmt.where(user_matches(q))
    return stmt.order_by(User.last_name, User.first_name, User.username)


@dataclass(frozen=True)
class UserUsage:
    """Where a user is referenced; any of it keeps the user from being deleted."""

    coached_names: list[str]  # the first NAMES_SHOWN, by name
    coached_total: int
    course_coach_sessions: int
    submissions: int
    enrolments: int

    @property
    def in_use(self) -> bool:
        return bool(self.coached_total or self.course_coach_sessions or self.submissions
                    or self.enrolments)


def user_usage(db, user_id: int) -> UserUsage:
    """Two queries: the counts together, then the first names of coached sessions."""
    counts = db.execute(select(
        select(func.count()).select_from(TrainingSession)
        .where(TrainingSession.coach_id == user_id).scalar_subquery(),
        select(func.count(distinct(SessionCourseCoach.session_id)))
        .where(SessionCourseCoach.user_id == user_id).scalar_subquery(),
        select(func.count()).select_from(Submission)
        .where(Submission.user_id == user_id).scalar_subquery(),
        select(func.count()).select_from(Enrolment)
        .where(Enrolment.user_id == user_id).scalar_subquery(),
    )).one()
    names = []
    if counts[0]:
        names = list(db.scalars(
            select(TrainingSession.name).where(TrainingSession.coach_id == user_id)
            .order_by(TrainingSession.name).limit(NAMES_SHOWN)
        ))
    return UserUsage(names, counts[0], counts[1], counts[2], counts[3])


def role_change_problem(db, user: User, role: str) -> str | None:
    """Why ``user`` cannot take ``role``, or None: a session or course coach keeps a role
    that can coach (teacher or administrator) until someone else coaches instead."""
    if role != PlatformRole.LEARNER.value or user.role == role:
        return None
    usage = user_usage(db, user.id)
    coached = usage.coached_total + usage.course_coach_sessions
    if not coached:
        return None
    return ngettext("%(username)s coaches %(num)s session; only a teacher or an administrator "
                    "can coach. Choose another coach there first.",
                    "%(username)s coaches %(num)s sessions; only a teacher or an administrator "
                    "can coach. Choose another coach there first.", coached,
                    username=user.username)


class UserInUse(Exception):
    """The user is referenced (``usage`` says where) and cannot be deleted."""

    def __init__(self, usage: UserUsage):
        super().__init__("user in use")
        self.usage = usage


@dataclass(frozen=True)
class UserValues:
    """What a form (or the command line) gives for a user. ``password``: a new
    password, or None / "" to keep the current one."""

    username: str
    email: str
    first_name: str = ""
    last_name: str = ""
    role: str = "learner"
    timezone: str | None = None
    active: bool = True
    password: str | None = None


def label(user: User) -> str:
    """How the journal names a user: 'Bob Builder (bob)', or 'bob' without a name."""
    return user.username if user.full_name == user.username \
        else f"{user.full_name} ({user.username})"


def _fields(user: User) -> dict:
    return {name: getattr(user, name) for name in FIELDS}


def _apply(user: User, values: UserValues) -> None:
    for name in FIELDS:
        setattr(user, name, getattr(values, name))
    if values.password:
        user.password_hash = hash_password(values.password)


def _about(user: User) -> dict:
    """The journal fields naming the user (as object and as the person concerned)."""
    name = label(user)
    return {"object_id": user.id, "object_label": name, "learner_id": user.id,
            "learner_label": name}


def create_user(db, values: UserValues, *, by: Actor, now: datetime) -> User:
    """Add the user (flushed: it has its id) and its ("user", "create") entry."""
    user = User()
    _apply(user, values)
    db.add(user)
    db.flush()
    journal.record(db, by, now, "user", "create", **_about(user), after=_fields(user))
    return user


def update_user(db, user: User, values: UserValues, *, by: Actor, now: datetime,
                keep_login_id: int | None = None) -> tuple[dict, dict]:
    """Save ``values`` on ``user``; returns the changed fields (before, after), with
    ``{"password": "changed"}`` when a new password was set, which also ends the user's
    logins but ``keep_login_id`` (the admin's own). Nothing changed: no entry."""
    before = _fields(user)
    _apply(user, values)
    after = _fields(user)
    if values.password:
        after["password"] = PASSWORD_CHANGED
        logins.end_other_logins(db, user, keep_login_id, by=by, now=now)
    return _record_update(db, user, before, after, by=by, now=now)


def deactivate_user(db, user: User, *, by: Actor, now: datetime) -> tuple[dict, dict]:
    """The user can no longer log in (an update of ``active``); returns (before, after)."""
    before = {"active": user.active}
    user.active = False
    return _record_update(db, user, before, {"active": False}, by=by, now=now)


def change_own_password(db, user: User, new_password: str, *, by: Actor, now: datetime,
                        keep_login_id: int | None = None) -> tuple[dict, dict]:
    """A user's new password from their profile, journaled as a change (never its value);
    it ends their other logins, all but ``keep_login_id`` (the one in use)."""
    user.password_hash = hash_password(new_password)
    logins.end_other_logins(db, user, keep_login_id, by=by, now=now)
    return _record_update(db, user, {}, {"password": PASSWORD_CHANGED}, by=by, now=now)


def change_own_timezone(db, user: User, timezone: str | None, *, by: Actor, now: datetime
                        ) -> tuple[dict, dict]:
    """The zone a user reads dates in (None: the portal's); returns (before, after)."""
    before = {"timezone": user.timezone}
    user.timezone = timezone or None
    return _record_update(db, user, before, {"timezone": user.timezone}, by=by, now=now)


def change_own_language(db, user: User, code: str | None, *, by: Actor, now: datetime
                        ) -> tuple[dict, dict]:
    """The language a user reads pages and e-mails in (None: their browser's, then the
    portal's); returns (before, after)."""
    if code and code not in LANGUAGES:
        raise ValueError(f"unknown language {code!r}")
    before = {"language": user.language}
    user.language = code or None
    return _record_update(db, user, before, {"language": user.language}, by=by, now=now)


def _record_update(db, user: User, before: dict, after: dict, *, by: Actor, now: datetime
                   ) -> tuple[dict, dict]:
    changed_before, changed_after = journal.changes(before, after)
    if changed_after:
        journal.record(db, by, now, "user", "update", **_about(user),
                       before=changed_before, after=changed_after)
    return changed_before, changed_after


def delete_user(db, user: User, *, by: Actor, now: datetime) -> dict:
    """Delete an unused user; returns the values it had.

    Raises UserInUse (nothing written) when the user coaches, hands in or is enrolled.
    """
    usage = user_usage(db, user.id)
    if usage.in_use:
        raise UserInUse(usage)
    values = _fields(user)
    journal.record(db, by, now, "user", "delete", **_about(user), before=values)
    db.delete(user)
    db.flush()
    return values
