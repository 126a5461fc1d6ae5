"""Log in and log out."""

from urllib.parse import urlsplit

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_user, logout_user
from sqlalchemy import or_, select

from .. import clock
from ..domain.passwords import hash_password, needs_rehash, verify_password
from ..extensions import db, limiter
from ..models import User
from . import bp
from .forms import LoginForm, LogoutForm

BAD_LOGIN = "Wrong username or password."


def safe_next(target: str | None) -> str | None:
    """``target`` if it is a path on this site, else None (no open redirects)."""
    if not target:
        return None
    target = target.strip().replace("\\", "/")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def _login_failed(response) -> bool:
    # Only failed attempts use up the limits; a successful login redirects.
    return response.status_code != 302


def _username_key() -> str:
    return "login-user:" + User.normalise_username(request.form.get("username", ""))


def _ip_limit() -> str:
    return current_app.config["LOGIN_LIMIT_PER_IP"]


def _username_limit() -> str:
    return current_app.config["LOGIN_LIMIT_PER_USERNAME"]


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_ip_limit, methods=["POST"], deduct_when=_login_failed)
@limiter.limit(_username_limit, key_func=_username_key, methods=["POST"],
               deduct_when=_login_failed)
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    if form.validate_on_submit():
        login_name = form.username.data.strip().lower()
        user = db.session.scalar(
            select(User).where(or_(User.username == login_name, User.email == login_name))
        )
        password_ok = verify_password(user.password_hash if user else None, form.password.data)
        if user is not None and password_ok and user.active:
            if needs_rehash(user.password_hash):
                user.password_hash = hash_password(form.password.data)
            user.last_login_at = clock.now()
            db.session.commit()
            login_user(user)
            return redirect(safe_next(form.next.data) or url_for("main.home"))
        form.password.errors.append(BAD_LOGIN)
        return render_template("auth/login.html", form=form), 401
    status = 422 if form.errors else 200
    return render_template("auth/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
def logout():
    form = LogoutForm()
    if form.validate_on_submit():
        logout_user()
        flash("You are logged out.", "info")
    return redirect(url_for("auth.login"))
