"""Home page and health check."""

from flask import redirect, render_template, url_for
from flask_login import current_user

from . import bp


@bp.route("/favicon.ico")
def favicon():
    return redirect(url_for("static", filename="favicon.svg"), 301)


@bp.route("/health")
def health():
    return {"status": "ok"}


@bp.route("/")
def home():
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    # Not yet a redirect to each person's area (admin.sessions / learner.my_sessions):
    # tests/conftest.py reads the CSRF token from this page without following redirects.
    return render_template("main/home.html")
