"""Log in and log out, and choose a first password through a set-password link."""

from urllib.parse import urlsplit

from flask import current_app, flash, g, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user

from .. import clock
from ..domain import password_links
from ..domain.journal import Actor
from ..domain.language import LANGUAGES
from ..domain.language import gettext as _
from ..domain.language import lazy_gettext as _l
from ..domain.logins import end_login, record_login, start_login
from ..domain.passwords import hash_password, needs_rehash, verify_password
from ..domain.text_search import find_user
from ..extensions import db, limiter
from ..models import User
from ..web import current_actor
from ..web.actor import request_id
from ..web.guards import public
from ..web.language import COOKIE as LANGUAGE_COOKIE
from ..web.language import COOKIE_AGE as LANGUAGE_COOKIE_AGE
from ..web.navigation import LOGIN_TOKEN, current_login_id
from . import bp
from .forms import LoginForm, LogoutForm, SetPasswordForm

BAD_LOGIN = _l("Wrong username or password.")


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
            _start_login(user)
            return redirect(safe_next(form.next.data) or url_for("main.home"))
        form.password.errors.append(str(BAD_LOGIN))
        return render_template("auth/login.html", form=form), 401
    status = 422 if form.errors else 200
    return render_template("auth/login.html", form=form), status


def _user_with_password(login_name: str, password: str) -> User | None:
    """The active user named ``login_name`` (username or e-mail) if ``password`` is
    theirs, their hash renewed if outdated (``_start_login`` commits it); else None, the
    failed attempt journaled.

    The password is checked even when no user has that name, so that the answer
    takes as long whether the name exists or not.
    """
    user = find_user(db.session, login_name, active_only=False)
    password_ok = verify_password(user.password_hash if user else None, password)
    if user is None or not password_ok or not user.active:
        _record_failure(user, typed_name=login_name)
        db.session.commit()
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def _start_login(user: User) -> None:
    """Let ``user`` in with a new login record and a new Flask session, hence a new CSRF
    secret: nothing from before the login (a planted session) carries over."""
    _login, token = start_login(db.session, user, user_agent=request.user_agent.string,
                                address=request.remote_addr, request_id=request_id(),
                                now=clock.now())
    db.session.commit()
    _fresh_session()
    login_user(user)
    session[LOGIN_TOKEN] = token


def _fresh_session() -> None:
    """Empty the Flask session, CSRF secret included; Flask-WTF also keeps this
    request's token in ``g``, so the next form gets one made from the new secret."""
    session.clear()
    g.pop(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), None)


def _record_failure(user: User | None, *, typed_name: str) -> None:
    """The failed attempt in the journal, in the caller's transaction; never the password."""
    record_login(db.session, user, ok=False, typed_name=typed_name, address=request.remote_addr,
                 request_id=request_id(), now=clock.now())


@bp.route("/logout", methods=["POST"])
@public  # logging out needs no login: an expired login may still press the button
def logout():
    """End this login on the server (every copy of its cookie stops working) and empty
    the Flask session."""
    form = LogoutForm()
    if form.validate_on_submit():
        if current_user.is_authenticated:
            end_login(db.session, current_user, current_login_id(), by=current_actor(),
                      now=clock.now(), logout=True)
            db.session.commit()
        _fresh_session()
        logout_user()
        flash(_("You are logged out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/language/<code>")
@public  # a language for the pages, chosen before logging in (the login page's links)
def choose_language(code: str):
    """Remember ``code`` in a cookie and go back; an unknown code changes nothing."""
    response = redirect(safe_next(request.args.get("next")) or url_for("auth.login"))
    if code in LANGUAGES:
        response.set_cookie(LANGUAGE_COOKIE, code, max_age=LANGUAGE_COOKIE_AGE,
                            samesite="Lax", httponly=True, secure=request.is_secure)
    return response


# What a person reads when their link no longer works, by reason (an expired link's text
# names the lifetime: link_problem).
LINK_PROBLEMS = {
    password_links.FORGED: _l("This link is not complete or not one the portal made: copy the "
                              "whole link from the message, or ask an administrator for a new "
                              "one."),
    password_links.USED: _l("This link was used already: a password was set since. Log in with "
                            "it, or ask an administrator for a new link if you do not know it."),
    password_links.GONE: _l("This account is no longer active. Ask an administrator of the "
                            "portal if you think it should be."),
}


def link_problem(problem: str) -> str:
    """Why the link does not work, in the reader's language."""
    if problem == password_links.EXPIRED:
        return _("This link has expired: links work for %(lifetime)s. Ask an administrator of "
                 "the portal for a new one.", lifetime=password_links.lifetime_text())
    return str(LINK_PROBLEMS[problem])


def _link_failed(response) -> bool:
    return response.status_code != 303


@bp.route("/set-password/<token>", methods=["GET", "POST"])
@public
@limiter.limit(_ip_limit, methods=["POST"], deduct_when=_link_failed)
def set_password(token: str):
    """Choose a first password through the link an account's owner was sent; once set,
    they are logged in (the link then stops working)."""
    check = password_links.check_token(db.session, token,
                                       secret_key=current_app.config["SECRET_KEY"],
                                       now=clock.now())
    if check.user is None:
        return render_template("auth/set_password_invalid.html",
                               message=link_problem(check.problem)), 410
    form = SetPasswordForm()
    if form.validate_on_submit():
        problem = password_links.new_password_problem(check.user, form.password.data,
                                                      form.repeat.data)
        if problem is None:
            user = check.user
            password_links.set_password(db.session, user, form.password.data, by=Actor(
                user.id, user.full_name, request_id(), request.remote_addr), now=clock.now())
            _start_login(user)  # commits the password with the login
            flash(_("Your password is set: you are logged in."), "info")
            return redirect(url_for("main.home"), 303)
        form.password.errors = [problem]
    status = 422 if form.is_submitted() else 200
    return render_template("auth/set_password.html", form=form, user=check.user), status
