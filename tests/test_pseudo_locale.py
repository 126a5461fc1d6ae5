"""No visible English escapes translation: every page of every role, rendered in a
pseudo-language.

The pseudo-language wraps each translated text in ⟦ ⟧ (placeholders are filled inside
the brackets), so on a page rendered in it any word outside brackets came from
somewhere else: the data (names, titles, file names: every word stored in the
database is allowed), the locale's own dates (its month and day names), acronyms
(CSV, PDF), text set as code (``<code>``, ``<kbd>``, ``<samp>``: API scopes, column
names) — or a text nobody marked, in a template or in Python. The demo data is
loaded, every user speaks the pseudo-language, and each role's pages are crawled
from its menu by following the links and htmx requests the pages themselves hold.
The exports' headers are checked the same way.
"""

from __future__ import annotations

import re
from gettext import NullTranslations
from zoneinfo import available_timezones

import pytest
from babel import Locale
from bs4 import BeautifulSoup, Comment, Doctype
from sqlalchemy import String, Text, select

from portal.domain import language
from portal.domain.tabular import open_table
from portal.extensions import db
from portal.models import Base, User
from tests.crawl import PASSWORDS, START_PAGES, crawl

# A real locale the portal does not speak, so its dates and numbers are formatted by
# Babel and nothing cached for the real languages is reused.
PSEUDO = "de"
OPEN, CLOSE = "⟦", "⟧"
_INNERMOST = re.compile(f"{OPEN}[^{OPEN}{CLOSE}]*{CLOSE}")
_WORD = re.compile(r"[A-Za-z][A-Za-z’']{2,}")
_VISIBLE_ATTRIBUTES = ("title", "placeholder", "aria-label", "alt")
# Words that are the same in every language.
_UNIVERSAL = {"CSV", "XLSX", "PDF", "API", "ISO", "UTC", "URL", "HTML", "JSON", "SMTP", "OK",
              "ZIP", "iCalendar", "Markdown", "htmx", "ics", "csv", "xlsx", "Bearer", "Excel"}

class PseudoTranslations(NullTranslations):
    """English texts, each wrapped in brackets."""

    def gettext(self, message):
        return f"{OPEN}{message}{CLOSE}"

    def ngettext(self, singular, plural, n):
        return f"{OPEN}{singular if n == 1 else plural}{CLOSE}"

    def pgettext(self, context, message):
        return f"{OPEN}{message}{CLOSE}"


@pytest.fixture
def pseudo(monkeypatch, app):
    monkeypatch.setitem(language.LANGUAGES, PSEUDO, "Pseudo")
    real_catalog = language._catalog
    monkeypatch.setattr(language, "_catalog", lambda code: PseudoTranslations()
                        if code == PSEUDO else real_catalog(code))
    language.language.cache_clear()
    app.config["PORTAL_LANGUAGE"] = PSEUDO
    yield
    language.language.cache_clear()


@pytest.fixture
def demo_world(pseudo, runner, frozen_now):
    with language.speaking(PSEUDO):
        result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    for user in db.session.scalars(select(User)):
        user.language = PSEUDO
    db.session.commit()
    # The language switcher names each language in itself.
    own_names = {word for name in language.LANGUAGES.values() for word in _WORD.findall(name)}
    return _data_words() | _locale_words() | own_names | _UNIVERSAL


def _data_words() -> set[str]:
    """Every word stored in a text column: what the pages show as data."""
    words = set()
    for table in Base.metadata.sorted_tables:
        columns = [c for c in table.columns
                   if isinstance(c.type, String | Text) or c.type.__class__.__name__ == "JSON"]
        if not columns:
            continue
        for row in db.session.execute(select(*columns)):
            for value in row:
                if value is not None:
                    words.update(_WORD.findall(str(value)))
    return words


def _locale_words() -> set[str]:
    """The pseudo-locale's month, day, period and zone names (Babel's dates)."""
    locale = Locale.parse(PSEUDO)
    words = set()

    def collect(names):
        if isinstance(names, str):
            words.update(_WORD.findall(names))
        elif hasattr(names, "values"):
            for value in names.values():
                collect(value)

    for names in (locale.months, locale.days, locale.day_periods, locale.eras,
                  locale.time_zones, locale.meta_zones):
        collect(names)
    for zone in available_timezones():  # the zone picker's names
        collect(zone.replace("_", " "))
    return words


def outside_brackets(text: str) -> str:
    while True:
        reduced = _INNERMOST.sub(" ", text)
        if reduced == text:
            return reduced
        text = reduced


def _visible_texts(page: BeautifulSoup) -> list[str]:
    """The page's text in reading order, as one string (a translated sentence may hold
    elements), then its visible attributes one by one."""
    # Code, keyboard input and sample output are for machines (an API scope, a CSV header).
    for hidden in page(["script", "style", "template", "code", "kbd", "samp"]):
        hidden.decompose()
    strings = [str(s) for s in page.find_all(string=True)
               if not isinstance(s, Doctype | Comment)]
    texts = [" ".join(strings)]
    for element in page.find_all(True):
        texts += [element[name] for name in _VISIBLE_ATTRIBUTES if element.get(name)]
        if element.name == "input" and element.get("type") in ("submit", "button"):
            texts.append(element.get("value", ""))
    return texts


def untranslated_words(page: BeautifulSoup, allowed: set[str]) -> list[str]:
    found = []
    for text in _visible_texts(page):
        for word in _WORD.findall(outside_brackets(text)):
            if word not in allowed and word.strip("’'") not in allowed:
                found.append(word)
    return found


def test_the_checker_finds_english_outside_brackets():
    page = BeautifulSoup(f'<p title="Open it">{OPEN}Hello {OPEN}Ada{CLOSE}{CLOSE} Lovelace '
                         f'world</p><script>var words = "ignored";</script>', "html.parser")
    assert untranslated_words(page, {"Lovelace"}) == ["world", "Open"]


@pytest.mark.parametrize("role", sorted(START_PAGES))
def test_every_page_of_each_role_is_translated(demo_world, client, app, role):
    by_word = {}
    for visit in crawl(client, app, role):
        for word in sorted(set(untranslated_words(BeautifulSoup(visit.html, "html.parser"),
                                                  demo_world))):
            by_word.setdefault(word, []).append(visit.url)
    assert {word: pages[:2] for word, pages in sorted(by_word.items())} == {}


@pytest.mark.parametrize("url, role", [("/admin/sessions.csv", "admin"),
                                       ("/admin/history.csv", "admin")])
def test_export_headers_are_translated(demo_world, client, url, role):
    client.login(role, PASSWORDS[role])
    response = client.get(url)
    assert response.status_code == 200
    _number, header = next(open_table(response.data).records)
    assert [cell for cell in header if outside_brackets(cell).strip()] == []
