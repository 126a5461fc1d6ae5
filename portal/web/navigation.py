"""The signed-in user and the areas of the navigation they may see."""

from typing import NamedTuple

from flask import current_app, g, request, session
from flask_login import current_user
from sqlalchemy import exists, or_, select

from .. import clock
from ..domain import logins
from ..domain.language import gettext as _
from ..domain.language import lazy_gettext as _l
from ..extensions import db, login_manager
from ..models import Enrolment, LoginSession, SessionCourseCoach, TrainingSession, User

_AREAS = "portal.areas"
# The key of the Flask session (the signed cookie) that carries the login's token.
LOGIN_TOKEN = "login_token"  # noqa: S105 - the name of a session key, not a secret


def _area_columns(uid):
    """EXISTS columns: is the user enrolled anywhere, and do they coach anything."""
    return (
        exists().where(Enrolment.user_id == uid).label("learner"),
        or_(
            exists().where(TrainingSession.coach_id == uid),
            exists().where(SessionCourseCoach.user_id == uid),
        ).label("coach"),
    )


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """The signed-in user if the login their session cookie names is still current (not
    ended, idle or too old; see portal.domain.logins). The same query reads that login and
    the areas navigation() shows them, so a page does not pay a round trip for either."""
    token = session.get(LOGIN_TOKEN)
    if not user_id.isdigit() or not isinstance(token, str):
        return None  # e.g. a remember-me cookie alone: every login goes through its record
    uid = int(user_id)
    row = db.session.execute(
        select(User, LoginSession, *_area_columns(uid))
        .join(LoginSession, LoginSession.user_id == User.id)
        .where(User.id == uid, LoginSession.token_hash == logins.token_hash(token))
    ).one_or_none()
    now = clock.now()
    limits = logins.LoginLimits.from_settings(current_app.config)
    if row is None or not row.User.active or not logins.is_current(row.LoginSession, limits, now):
        return None
    if logins.mark_seen_due(row.LoginSession, now):
        # Its own short transaction: the request's may never commit (a page that only reads).
        with db.engine.begin() as connection:
            logins.mark_seen(connection, row.LoginSession, now)
    g.portal_login = row.LoginSession
    request.environ[_AREAS] = {"learner": bool(row.learner), "coach": bool(row.coach)}
    return row.User


def current_login_id() -> int | None:
    """The id of the login the current request comes with (None: not logged in)."""
    login = g.get("portal_login")
    return login.id if login is not None else None


def navigation() -> dict:
    """Which areas the signed-in user may see, computed once per request."""
    cached = request.environ.get("portal.navigation")
    if cached is not None:
        return cached
    nav = {"admin": False, "learner": False, "coach": False}
    if current_user.is_authenticated:
        areas = request.environ.get(_AREAS)
        if areas is None:  # a user not loaded by load_user (a test's login_user)
            row = db.session.execute(select(*_area_columns(current_user.id))).one()
            areas = {"learner": bool(row.learner), "coach": bool(row.coach)}
        nav = {"admin": current_user.is_admin, **areas}
    request.environ["portal.navigation"] = nav
    return nav


# The sidebar: (endpoint, label, the navigation() key that shows it, the endpoints it covers).
# An entry is the current place when the page's endpoint is one it covers (the longest
# match wins: admin.sessions_export is under Sessions, admin.session_page too).
ADMIN_SECTIONS = (
    ("admin.dashboard", _l("Dashboard"), ("admin.dashboard",)),
    ("admin.sessions", _l("Sessions"), ("admin.session",)),
    ("admin.users", _l("Users"), ("admin.user",)),
    ("admin.courses", _l("Courses"), ("admin.course",)),
    ("admin.classes", _l("Classes"), ("admin.class",)),
    ("admin.categories", _l("Categories"), ("admin.categor",)),
    ("admin.import_enrolments", _l("Import enrolments"), ("admin.import",)),
    ("admin.history", _l("History"), ("admin.history",)),
    ("admin.outbox", _l("Outbox"), ("admin.outbox",)),
    ("admin.api_tokens", _l("API tokens"), ("admin.api_token",)),
)
NAV_AREAS = (
    ("learner.my_sessions", _l("My sessions"), "learner", ("learner.",)),
    ("coach.coaching", _l("Coaching"), "coach", ("coach.",)),
    ("learner.profile", _l("Profile"), None, ("learner.profile", "learner.login")),
)


class NavLink(NamedTuple):
    endpoint: str
    label: str
    current: bool


class NavGroup(NamedTuple):
    label: str | None  # None: links that stand alone
    links: list[NavLink]


def _current_endpoint(candidates: list[tuple[str, tuple[str, ...]]]) -> str | None:
    """The candidate covering the page's endpoint with the longest prefix."""
    endpoint = request.endpoint or ""
    matches = [(len(prefix), entry) for entry, prefixes in candidates for prefix in prefixes
               if endpoint.startswith(prefix)]
    return max(matches)[1] if matches else None


def sidebar() -> list[NavGroup]:
    """The groups of the sidebar the signed-in user may see, the current place marked."""
    nav = navigation()
    views = current_app.view_functions
    candidates = [(e, p) for e, _label, p in ADMIN_SECTIONS if nav["admin"] and e in views]
    candidates += [(e, p) for e, _label, key, p in NAV_AREAS
                   if (key is None or nav[key]) and e in views]
    current = _current_endpoint(candidates)
    groups = []
    admin = [NavLink(e, str(label), e == current) for e, label, _prefixes in ADMIN_SECTIONS
             if nav["admin"] and e in views]
    if admin:
        groups.append(NavGroup(_("Administration"), admin))
    groups.append(NavGroup(None, [NavLink(e, str(label), e == current)
                                  for e, label, key, _prefixes in NAV_AREAS
                                  if (key is None or nav[key]) and e in views]))
    return groups


def admin_home() -> str:
    """The administration's first page: the dashboard."""
    return "admin.dashboard"


def nav_items(nav: dict) -> list[tuple[str, str, bool]]:
    """The areas a person may reach (the home page lists them), each with whether to show it."""
    entries = [(admin_home(), _("Administration"), "admin"),
               *((e, label, key) for e, label, key, _prefixes in NAV_AREAS)]
    return [
        (endpoint, str(label), key is None or nav[key])
        for endpoint, label, key in entries
        if endpoint in current_app.view_functions
    ]
