"""The session portal: create_app() builds the Flask application."""

import os
from pathlib import Path
from urllib.parse import urlsplit

from flask import Flask, flash, redirect, render_template, request, url_for
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import CSRFError
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from . import config as portal_config
from .domain import passwords
from .extensions import csrf, db, limiter, login_manager, migrate

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class SessionCookies(SecureCookieSessionInterface):
    """Marks the session cookie Secure whenever the request came over HTTPS."""

    def get_cookie_secure(self, app):
        return app.config["SESSION_COOKIE_SECURE"] or request.is_secure


class DatabaseId(IntegerConverter):
    """``<int:...>`` in a URL: a number larger than any database id matches no route (a
    404), rather than reaching SQLite, which cannot bind it (a 500)."""

    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("max", 2**63 - 1)
        super().__init__(url_map, *args, **kwargs)


def create_app(config: dict | None = None) -> Flask:
    """Build the app: defaults, then the environment, then ``config`` (tests)."""
    app = Flask(
        __name__,
        instance_path=os.environ.get("PORTAL_INSTANCE_PATH") or str(PROJECT_ROOT / "instance"),
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    app.url_map.converters["int"] = DatabaseId  # before any route is added
    instance = Path(app.instance_path)
    app.config.from_object(portal_config.Defaults)
    app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{instance / 'portal.sqlite3'}"
    app.config["UPLOAD_FOLDER"] = str(instance / "uploads")
    app.config.update(portal_config.from_environment(os.environ))
    app.config.update(config or {})
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = portal_config.engine_options(
        app.config["SQLALCHEMY_DATABASE_URI"], app.config["SQLALCHEMY_ENGINE_OPTIONS"])
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = portal_config.load_secret_key(instance)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///"):
        instance.mkdir(parents=True, exist_ok=True)
    if app.config["PROXY_COUNT"]:
        count = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count)
    app.session_interface = SessionCookies()

    passwords.use_profile(app.config["PASSWORD_HASH_PROFILE"])
    db.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"))
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please log in to see this page."
    login_manager.login_message_category = "info"

    from . import sqlite_pragmas

    sqlite_pragmas.install(app)

    from .web import register_web

    register_web(app)

    from .admin import bp as admin_bp
    from .auth import bp as auth_bp
    from .coach import bp as coach_bp
    from .learner import bp as learner_bp
    from .main import bp as main_bp

    app.register_blueprint(auth_bp)
    app.register_blueprint(main_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(learner_bp)
    app.register_blueprint(coach_bp)

    from .tools.cli import register_cli

    register_cli(app)

    @app.errorhandler(CSRFError)
    def csrf_failed(error):
        return _error_page(400, "Your form expired", error.description +
                           " Reload the page and try again; if you were logged out, log in again.",
                           login_url=_login_url())

    @login_manager.unauthorized_handler
    def unauthorized():
        if request.headers.get("HX-Request") == "true":
            return _error_page(401, "You are logged out",
                               "Your login has ended (you logged out, maybe in another tab). "
                               "Log in again to continue; nothing was changed.",
                               login_url=_login_url())
        flash(login_manager.login_message, login_manager.login_message_category)
        return redirect(_login_url())

    for code, title, text in (
        (403, "Not allowed", "You cannot do this here."),
        (404, "Not found", "There is nothing at this address."),
        (413, "Too large", "The file you sent is too large: a hand-in file or a CSV import "
                           "may be at most 10 MB."),
        (429, "Too many attempts", "Too many attempts. Wait a few minutes and try again."),
    ):
        app.register_error_handler(code, _error_handler(code, title, text))
    return app


def _error_page(code: int, title: str, text: str, **context):
    """A full error page, or for htmx an alert put in the page's message area: the
    fragment the request meant to replace is left as it was."""
    if request.headers.get("HX-Request") == "true":
        html = render_template("errors/_error.html", code=code, title=title, text=text,
                               **context)
        return html, code, {"HX-Retarget": "#messages", "HX-Reswap": "innerHTML"}
    return render_template("errors/page.html", code=code, title=title, text=text,
                           **context), code


def _login_url() -> str:
    """The login page, coming back afterwards to the page the person was on."""
    if request.headers.get("HX-Request") == "true":
        back = urlsplit(request.headers.get("HX-Current-URL", ""))
        here = back.path + (f"?{back.query}" if back.query else "")
    else:
        here = request.full_path.rstrip("?") if request.method == "GET" else None
    return url_for("auth.login", next=here or None)


def _error_handler(code, title, text):
    def handle(error):
        return _error_page(code, title, text)

    return handle
