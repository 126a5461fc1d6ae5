"""What every request shares: security headers, the user loader, template helpers."""

from flask import Flask, Response, has_request_context, redirect, request
from flask_login import current_user
from sqlalchemy import exists, or_, select

from . import clock
from .dates import date_range, format_local, viewer_zone
from .extensions import db, login_manager
from .markdown_text import render_markdown
from .models import Enrolment, SessionCourseCoach, TrainingSession, User

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


def wants_fragment() -> bool:
    """True for an htmx request that swaps part of a page.

    A history restore (Back after a pushed URL) asks for the whole page.
    """
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-History-Restore-Request") != "true"
    )


def htmx_redirect(url: str):
    """Send the browser to ``url``: a 303 for plain forms, HX-Redirect for htmx.

    htmx follows an ordinary redirect inside fetch and would swap the whole next
    page into the target; HX-Redirect makes it navigate instead.
    """
    if request.headers.get("HX-Request") == "true":
        return Response("", 200, {"HX-Redirect": url})
    return redirect(url, 303)


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
    from flask import current_app

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


def register_web(app: Flask) -> None:
    @app.after_request
    def security_headers(response):
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        if request.headers.get("HX-Request"):
            response.vary.add("HX-Request")
        return response

    @app.context_processor
    def template_helpers():
        tz = viewer_zone()
        return {
            "navigation": navigation,
            "nav_items": nav_items,
            "current_area": current_area,
            "viewer_zone_name": tz.key,
            "now": clock.now,
        }

    @app.template_global("date_range")
    def date_range_global(start, end):
        return date_range(start, end, viewer_zone())

    app.add_template_filter(render_markdown, "markdown")

    @app.template_filter("local")
    def local_filter(moment, with_time=True):
        return format_local(moment, viewer_zone(), with_time=with_time)
