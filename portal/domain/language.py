"""The language texts are written in: English, French or Spanish.

Every text a person reads is marked with ``gettext`` (imported as ``_``), ``ngettext``,
``pgettext`` or ``lazy_gettext`` (``_l``, for labels made at import time), the same names
in templates, and looked up in the Babel catalogs under
``portal/translations/``. The language in force is a context variable, not a Flask
global, so the domain speaks the reader's language without importing Flask: the web
layer sets it for each request (portal/web/language.py, from the user's profile, the
login page's choice, the browser's Accept-Language, then PORTAL_LANGUAGE), and the
worker sets it for each message's recipient (``speaking``).

Formatting of dates and numbers follows the same language (portal/domain/dates.py and
``number_text`` / ``percent_text`` here), through Babel's CLDR data.
"""

from __future__ import annotations

import contextlib
import functools
import io
from contextvars import ContextVar
from dataclasses import dataclass
from decimal import Decimal
from gettext import NullTranslations
from pathlib import Path

from babel import Locale
from babel.numbers import format_decimal, format_percent
from babel.support import LazyProxy, Translations

# The languages the portal speaks, in their own names (the switcher shows these).
LANGUAGES = {"en": "English", "fr": "Français", "es": "Español"}
DEFAULT = "en"
CATALOG_FOLDER = Path(__file__).resolve().parent.parent / "translations"
DOMAIN = "messages"


@dataclass(frozen=True)
class Language:
    code: str
    locale: Locale
    translations: NullTranslations


@functools.cache
def language(code: str) -> Language:
    """The language ``code`` (one of LANGUAGES; anything else gives the default), its
    catalog loaded once per process."""
    if code not in LANGUAGES:
        code = DEFAULT
    translations = NullTranslations() if code == DEFAULT else _catalog(code)
    return Language(code, Locale.parse(code), translations)


def _catalog(code: str) -> Translations:
    """The compiled catalog (``make compile-translations``) when it is at least as new as
    its .po file; otherwise the .po compiled in memory, so a checkout run without make
    (a test run, a server started by hand) never shows stale or missing texts."""
    po = CATALOG_FOLDER / code / "LC_MESSAGES" / f"{DOMAIN}.po"
    mo = po.with_suffix(".mo")
    if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
        with open(mo, "rb") as compiled:
            return Translations(compiled, DOMAIN)
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with open(po, "rb") as source:
        catalog = read_po(source, locale=code)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)  # fuzzy texts are left out, as pybabel compile does
    compiled.seek(0)
    return Translations(compiled, DOMAIN)


_current: ContextVar[Language] = ContextVar("portal_language")


def current() -> Language:
    return _current.get(None) or language(DEFAULT)


def current_code() -> str:
    return current().code


def activate(code: str):
    """Speak ``code`` in this context from now on; returns the token for ``deactivate``."""
    return _current.set(language(code))


def deactivate(token) -> None:
    _current.reset(token)


@contextlib.contextmanager
def speaking(code: str | None):
    """Within the block, texts and formats are in ``code`` (the default when None)."""
    token = activate(code or DEFAULT)
    try:
        yield current()
    finally:
        deactivate(token)


def best_of(accepted: list[tuple[str, float]] | None) -> str | None:
    """The first of a browser's accepted languages (code, quality; best first) that the
    portal speaks: "fr-CA" gives "fr"."""
    for tag, _quality in accepted or ():
        code = tag.replace("_", "-").split("-")[0].lower()
        if code in LANGUAGES:
            return code
    return None


# --- marking and translating texts ---------------------------------------------------


def gettext(message: str, **values) -> str:
    """``message`` in the current language; ``%(name)s`` placeholders filled from
    ``values`` after translation, so a translator may move them."""
    text = current().translations.gettext(message)
    return text % values if values else text


def ngettext(singular: str, plural: str, count: int, **values) -> str:
    """The singular or plural form for ``count`` by the language's own plural rules
    (``%(num)s`` is the count, formatted for the language)."""
    text = current().translations.ngettext(singular, plural, count)
    return text % {"num": number_text(count), **values}


def pgettext(context: str, message: str, **values) -> str:
    """``message`` in a named context, for a word that two places translate apart."""
    text = current().translations.pgettext(context, message)
    return text % values if values else text


def lazy_gettext(message: str, **values) -> LazyProxy:
    """A text translated when it is read, for labels defined at import time (forms,
    module constants)."""
    return LazyProxy(gettext, message, enable_cache=False, **values)


_ = gettext
_l = lazy_gettext


# Jinja's i18n extension (newstyle) fills the placeholders itself, escaping the values,
# and gives ``num`` to ngettext: templates get the bare lookups.
def _template_gettext(message: str) -> str:
    return current().translations.gettext(message)


def _template_ngettext(singular: str, plural: str, count: int) -> str:
    return current().translations.ngettext(singular, plural, count)


def _template_pgettext(context: str, message: str) -> str:
    return current().translations.pgettext(context, message)


def install_in(environment) -> None:
    """Give a Jinja environment (pages, e-mails) the portal's texts: ``_``, ``gettext``,
    ``ngettext`` and ``pgettext``, in the language of the context they render in."""
    environment.add_extension("jinja2.ext.i18n")
    environment.install_gettext_callables(_template_gettext, _template_ngettext,
                                          newstyle=True, pgettext=_template_pgettext)
    # {{ count | number }}, {{ share | percent }}: in the same language.
    environment.filters["number"] = number_text
    environment.filters["percent"] = percent_text


# --- numbers ------------------------------------------------------------------------


def number_text(value: int | float | Decimal) -> str:
    """A count or a measure in the current language: "1,234.5", "1 234,5"."""
    return format_decimal(value, locale=current().locale)


def percent_text(fraction: float | Decimal, *, decimals: int = 0) -> str:
    """A share (0.825) as a percentage in the current language: "82.5%", "82,5 %"."""
    locale = current().locale
    pattern = locale.percent_formats[None].pattern  # "#,##0%", "#,##0\u00a0%", ...
    if decimals:
        last = pattern.rindex("0")
        pattern = pattern[:last + 1] + "." + "0" * decimals + pattern[last + 1:]
    return format_percent(fraction, pattern, locale=locale)
