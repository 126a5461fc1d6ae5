"""The signed-in user and the areas of the navigation they may see."""

from flask import current_app, has_request_context, request
from flask_login import current_user
from sqlalchemy import exists, or_, select

from ..extensions import db, login_manager
from ..models import Enrolment, SessionCourseCoach, TrainingSession, User

_AREAS = "portal.areas"


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
    """The signed-in user; the same query reads the areas navigation() shows them, so a
    page does not pay a round trip for its menu."""
    if not user_id.isdigit():
        return None
    uid = int(user_id)
    row = db.session.execute(
        select(User, *_area_columns(uid)).where(User.id == uid)
    ).one_or_none()
    if row is None or not row.User.active:
        return None
    if has_request_context():
        request.environ[_AREAS] = {"learner": bool(row.learner), "coach": bool(row.coach)}
    return row.User


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


# Main navigation: (endpoint, label, the navigation() key that shows it).
NAV_AREAS = (
    ("admin.sessions", "Admin", "admin"),
    ("learner.my_sessions", "My sessions", "learner"),
    ("coach.coaching", "Coaching", "coach"),
    ("learner.profile", "Profile", None),
)


def nav_items(nav: dict) -> list[tuple[str, str, bool]]:
    """The areas of NAV_AREAS that exist in this app, each with whether to show it."""
    return [
        (endpoint, label, key is None or nav[key])
        for endpoint, label, key in NAV_AREAS
        if endpoint in current_app.view_functions
    ]


def current_area() -> str | None:
    """The navigation entry the current page belongs to: itself, else its blueprint's entry."""
    endpoint = request.endpoint or ""
    entries = [e for e, _, _ in NAV_AREAS]
    if endpoint in entries:
        return endpoint
    blueprint = endpoint.partition(".")[0]
    return next((e for e in entries if e.partition(".")[0] == blueprint), None)
