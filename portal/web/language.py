"""The language of each request: the user's choice, else the browser's, else the portal's.

In order: the signed-in user's profile (``User.language``); the choice made on the
login page's switcher (a cookie, for people not signed in); the browser's
Accept-Language; ``PORTAL_LANGUAGE``. Flask-Babel is given the same answer (its
``get_locale``), and the domain's context variable (portal.domain.language) is set for
the request, so pages, domain messages and formats agree. Templates get ``_``,
``gettext`` and ``ngettext`` from portal.domain.language (Jinja's i18n extension).
"""

from flask import Flask, current_app, g, request
from flask_babel import Babel
from flask_login import current_user

from ..domain import language

COOKIE = "portal_language"
COOKIE_AGE = 365 * 24 * 3600


def request_language() -> str:
    """The code of the language this request is answered in."""
    chosen = None
    if current_user and current_user.is_authenticated:
        chosen = current_user.language
    if chosen not in language.LANGUAGES:
        chosen = request.cookies.get(COOKIE)
    if chosen not in language.LANGUAGES:
        chosen = language.best_of(
            [(tag, quality) for tag, quality in request.accept_languages])
    if chosen not in language.LANGUAGES:
        chosen = current_app.config["PORTAL_LANGUAGE"]
    return chosen if chosen in language.LANGUAGES else language.DEFAULT


def register_language(app: Flask) -> None:
    Babel(app, locale_selector=lambda: g.get("language_code") or request_language(),
          default_translation_directories=str(language.CATALOG_FOLDER))
    # One set of catalogs for templates and code: the domain's functions, which read the
    # request's language from the context variable.
    language.install_in(app.jinja_env)
    app.jinja_env.globals.update(languages=language.LANGUAGES)

    @app.before_request
    def speak_the_request_language():
        if request.endpoint == "static":  # a file speaks no language: no user to load
            return
        # The JSON API speaks English to the programs that call it, whoever holds the token
        # (its error bodies, and the journal sentences it returns).
        if request.blueprint == "api":
            g.language_code = language.DEFAULT
        else:  # the user is loaded here (the login cookie is read once, cached by Flask-Login)
            g.language_code = request_language()
        g.language_token = language.activate(g.language_code)

    @app.teardown_request
    def stop_speaking(_error=None):
        token = g.pop("language_token", None)
        if token is not None:
            language.deactivate(token)

    @app.context_processor
    def language_values():
        return {"language_code": language.current_code()}
