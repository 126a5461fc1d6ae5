"""Log in and log out."""

from urllib.parse import urlsplit

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_user, logout_user

from .. import clock
from ..domain.logins import record_login, record_logout
from ..domain.passwords import hash_password, needs_rehash, verify_password
from ..domain.text_search import find_user
from ..extensions import db, limiter
from ..models import User
from ..web.actor import request_id
from ..web.guards import public
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
@public
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
        user = _user_with_password(form.username.data, form.password.data)
        if user is not None:
            login_user(user)
            return redirect(safe_next(form.next.data) or url_for("main.home"))
        form.password.errors.append(BAD_LOGIN)
        return render_template("auth/login.html", form=form), 401
    status = 422 if form.errors else 200
    return render_template("auth/login.html", form=form), status


def _user_with_password(login_name: str, password: str) -> User | None:
    """The active user named ``login_name`` (username or e-mail) if ``password`` is
    theirs, their hash renewed if outdated and the login time saved; else None.

    The password is checked even when no user has that name, so that the answer
    takes as long whether the name exists or not.
    """
    user = find_user(db.session, login_name, active_only=False)
    password_ok = verify_password(user.password_hash if user else None, password)
    if user is None or not password_ok or not user.active:
        _record_attempt(user, ok=False, typed_name=login_name)
        db.session.commit()
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = clock.now()
    _record_attempt(user, ok=True, typed_name=login_name)
    db.session.commit()
    return user


def _record_attempt(user: User | None, *, ok: bool, typed_name: str) -> None:
    """The attempt in the journal, in the caller's transaction; never the password."""
    record_login(db.session, user, ok=ok, typed_name=typed_name, address=request.remote_addr,
                 request_id=request_id(), now=clock.now())


@bp.route("/logout", methods=["POST"])
@public  # logging out needs no login: an expired login may still press the button
def logout():
    form = LogoutForm()
    if form.validate_on_submit():
        if current_user.is_authenticated:
            record_logout(db.session, current_user, address=request.remote_addr,
                          request_id=request_id(), now=clock.now())
            db.session.commit()
        logout_user()
        flash("You are logged out.", "info")
    return redirect(url_for("auth.login"))
