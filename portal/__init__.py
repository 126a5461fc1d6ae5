"""The session portal: create_app() builds the Flask application."""

import contextlib
import os
from pathlib import Path
from urllib.parse import urlsplit

from babel.support import LazyProxy
from flask import (
    Flask,
    Request,
    current_app,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.json.provider import DefaultJSONProvider
from flask.sessions import SecureCookieSessionInterface
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import InterfaceError, OperationalError, SQLAlchemyError
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from . import config as portal_config
from .domain import notify, passwords
from .domain.language import lazy_gettext as _l
from .domain.language import speaking
from .extensions import compress, csrf, db, limiter, login_manager, migrate
from .web.guards import guard_of
from .web.htmx import is_htmx, wants_fragment

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class SessionCookies(SecureCookieSessionInterface):
    """Marks the session cookie Secure whenever the request came over HTTPS."""

    def get_cookie_secure(self, app):
        return app.config["SESSION_COOKIE_SECURE"] or request.is_secure


class TextWithoutNul(ImmutableMultiDict):
    """Query and form arguments with every NUL character dropped from names and texts
    (uploaded files are left alone): PostgreSQL refuses NUL in text, and no one types it."""

    def __init__(self, mapping=None):
        super().__init__(mapping)
        for key, values in list(dict.items(self)):
            clean = [v.replace("\x00", "") if isinstance(v, str) else v for v in values]
            if isinstance(key, str) and "\x00" in key:
                dict.__delitem__(self, key)
                key = key.replace("\x00", "")
                clean = dict.get(self, key, []) + clean
            dict.__setitem__(self, key, clean)


class PortalRequest(Request):
    """The one place NUL is removed from what people send: ``request.args`` and
    ``request.form`` are built as TextWithoutNul, so every form (WTForms or read by hand),
    htmx post and query string is clean before any view reads it."""

    parameter_storage_class = TextWithoutNul


class DatabaseId(IntegerConverter):
    """``<int:...>`` in a URL: a number larger than any database id matches no route (a
    404), rather than reaching the database, which cannot bind it (a 500): ids are 32-bit
    on PostgreSQL (``::INTEGER``); SQLite stops at 2**63 - 1. A route on a BigId table
    (login sessions) has the same cap, which it reaches after two billion rows."""

    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("max", 2**31 - 1)
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
    app.request_class = PortalRequest
    app.json = PortalJSON(app)
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
    from .web.static_files import serve_static_files

    serve_static_files(app)
    compress.init_app(app)

    passwords.use_profile(app.config["PASSWORD_HASH_PROFILE"])
    notify.configure(base_url=app.config["PORTAL_URL"], mail_from=app.config["MAIL_FROM"],
                     default_zone=app.config["PORTAL_TIMEZONE"],
                     secret_key=app.config["SECRET_KEY"])
    db.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"))
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please log in to see this page.")
    login_manager.login_message_category = "info"

    from . import sqlite_pragmas

    sqlite_pragmas.install(app)

    from .web import register_web
    from .web.language import register_language

    register_web(app)
    register_language(app)

    from .admin import bp as admin_bp
    from .api import bp as api_bp
    from .api.docs import pages as api_pages
    from .auth import bp as auth_bp
    from .coach import bp as coach_bp
    from .learner import bp as learner_bp
    from .main import bp as main_bp

    app.register_blueprint(auth_bp)
    app.register_blueprint(main_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(learner_bp)
    app.register_blueprint(coach_bp)
    _register_api(app, api_bp)
    app.register_blueprint(api_pages)

    from .tools.cli import register_cli

    register_cli(app)

    @app.errorhandler(CSRFError)
    def csrf_failed(error):
        if _login_ended(app):
            # Logging out renews the CSRF secret: a page left open then sends a dead token.
            return login_manager.unauthorized()
        # Flask-WTF's reason (missing, expired, another page's token) is English and
        # technical: the person gets what happened and what to do, in their language.
        return _error_page(400, _l("Your form expired"),
                           _l("The form was open too long, or it came from another page, so it "
                              "was not sent. Reload the page and try again; if you were logged "
                              "out, log in again."),
                           login_url=_login_url())

    @login_manager.unauthorized_handler
    def unauthorized():
        if wants_fragment():
            return _error_page(401, _l("You are logged out"),
                               _l("Your login has ended (you logged out, maybe in another "
                                  "tab). Log in again to continue; nothing was changed."),
                               login_url=_login_url())
        flash(str(login_manager.login_message), login_manager.login_message_category)
        if is_htmx():  # a history restore: the browser goes to the login page itself
            return "", 200, {"HX-Redirect": _login_url()}
        return redirect(_login_url())

    for code, title, text in (
        (403, _l("Not allowed"), _l("You cannot do this here.")),
        (404, _l("Not found"), _l("There is nothing at this address.")),
        (413, _l("Too large"), _l("The file you sent is too large: a hand-in file or a CSV "
                                  "import may be at most 10 MB.")),
        (429, _l("Too many attempts"), _l("Too many attempts. Wait a few minutes and try "
                                          "again.")),
    ):
        app.register_error_handler(code, _error_handler(code, title, text))
    for lost_connection in (OperationalError, InterfaceError):
        app.register_error_handler(lost_connection, _database_unavailable)
    return app


def _register_api(app: Flask, api_bp) -> None:
    """The JSON API: tokens instead of cookies, so no CSRF token; rate limits per token;
    every error as problem details (portal/api/core.py)."""
    from .api.core import ApiError, problem

    app.register_blueprint(api_bp)

    @app.errorhandler(ApiError)
    def api_error(error):
        return problem(error.status, error.title, error.detail, errors=error.errors,
                       headers=error.headers)

    @app.errorhandler(HTTPException)
    def http_error(error):
        if isinstance(error, MethodNotAllowed) and not _any_method_matches(error):
            error = NotFound()  # e.g. an id beyond any database id, which no rule takes
        if not _is_api_request():
            return error if error.code != 404 else _error_page(
                404, _l("Not found"), _l("There is nothing at this address."))
        return problem(error.code or 500, error.name, error.description,
                       headers={"Allow": error.valid_methods and ", ".join(error.valid_methods)}
                       if getattr(error, "valid_methods", None) else None)


def _any_method_matches(error: MethodNotAllowed) -> bool:
    """Whether some other method would reach a view at this URL. Werkzeug answers 405
    when another method's rule matched the path before its converter refused the value
    (an id beyond the ``DatabaseId`` range): then no method reaches anything, a 404."""
    adapter = current_app.url_map.bind_to_environ(request.environ)
    for method in error.valid_methods or ():
        try:
            adapter.match(method=method)
        except HTTPException:
            continue
        return True
    return False


class PortalJSON(DefaultJSONProvider):
    """JSON bodies with every NUL character dropped from their texts, as PortalRequest does
    for forms and query strings (PostgreSQL refuses NUL in text)."""

    def loads(self, s, **kwargs):
        return _without_nul(super().loads(s, **kwargs))

    @staticmethod
    def default(o):
        # A form's messages are texts translated when read (lazy_gettext): read them now.
        if isinstance(o, LazyProxy):
            return str(o)
        return DefaultJSONProvider.default(o)


def _without_nul(value):
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, list):
        return [_without_nul(v) for v in value]
    if isinstance(value, dict):
        return {_without_nul(k): _without_nul(v) for k, v in value.items()}
    return value


def _is_api_request() -> bool:
    return request.path.startswith("/api/v1/") or request.path == "/api/v1"


def _error_page(code: int, title, text, **context):
    """A full error page, or for htmx an alert put in the page's message area: the
    fragment the request meant to replace is left as it was. A history restore (Back)
    replaces the whole page, so it gets the full page. The API answers problem details.
    ``title`` and ``text`` are lazy texts: read in the request's language for pages, in
    English for the API (which stays English)."""
    if _is_api_request():
        from .api.core import problem

        with speaking(None):
            return problem(code, str(title), str(text))
    if "language_token" not in g:
        # Refused before the request's language was set (the CSRF check and the rate
        # limits run first): the page speaks it all the same.
        from .web.language import request_language

        with speaking(request_language()):
            return _drawn_error_page(code, title, text, **context)
    return _drawn_error_page(code, title, text, **context)


def _drawn_error_page(code: int, title, text, **context):
    title, text = str(title), str(text)
    if wants_fragment():
        html = render_template("errors/_error.html", code=code, title=title, text=text,
                               **context)
        return html, code, {"HX-Retarget": "#messages", "HX-Reswap": "innerHTML"}
    return render_template("errors/page.html", code=code, title=title, text=text,
                           **context), code


def _login_ended(app: Flask) -> bool:
    """The request needs a login and comes without one that is current."""
    view = app.view_functions.get(request.endpoint or "")
    return view is not None and guard_of(view) != "public" and not current_user.is_authenticated


def _login_url() -> str:
    """The login page, coming back afterwards to the page the person was on."""
    if wants_fragment():
        back = urlsplit(request.headers.get("HX-Current-URL", ""))
        here = back.path + (f"?{back.query}" if back.query else "")
    else:
        here = request.full_path.rstrip("?") if request.method == "GET" else None
    return url_for("auth.login", next=here or None)


def _error_handler(code, title, text):
    def handle(error):
        return _error_page(code, title, text)

    return handle


def _database_unavailable(error):
    """The database cannot be reached (restarting, network): a 503 page asking to retry in
    a few seconds, never a traceback. The pool's pre-ping reconnects once it is back."""
    current_app.logger.warning("Database unavailable (503): %s", error.orig or error)
    with contextlib.suppress(SQLAlchemyError):
        db.session.rollback()
    # The page is drawn as for a visitor: the signed-in user (and the menu built for them)
    # would have to be read from the database again.
    g._login_user = login_manager.anonymous_user()
    # Nor is it a login attempt that failed: it is not counted, and the rate limits do not
    # replace its Retry-After with theirs.
    limiter.context.conditional_deductions.clear()
    limiter.context.view_rate_limit = None
    response = make_response(_error_page(
        503, _l("The portal is briefly unavailable"),
        _l("Its database is restarting or cannot be reached. Wait a few seconds and try "
           "again; if you had just sent a form, check afterwards that it was saved.")))
    response.headers["Retry-After"] = "5"
    return response
