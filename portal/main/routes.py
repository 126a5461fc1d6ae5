"""Home page and health check."""

from flask import current_app, redirect, render_template, url_for
from flask_login import current_user

from ..web import navigation
from ..web.guards import public
from ..web.navigation import admin_home
from . import bp


@bp.route("/favicon.ico")
@public
def favicon():
    # Not permanent: the icon's address changes with its content.
    return redirect(url_for("static", filename="favicon.svg"))


@bp.route("/health")
@public
def health():
    return {"status": "ok"}


@bp.route("/")
@public  # visitors are sent to the login page, without the "please log in" message
def home():
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    # Each person lands in their area: admins in the panel, learners in My sessions,
    # coaches in Coaching; anyone else gets the welcome page.
    nav = navigation()
    for area, endpoint in (("admin", admin_home()), ("learner", "learner.my_sessions"),
                           ("coach", "coach.coaching")):
        if nav[area] and endpoint in current_app.view_functions:
            return redirect(url_for(endpoint))
    return render_template("main/home.html")
