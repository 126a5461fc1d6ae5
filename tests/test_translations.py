"""The catalogs: up to date with the code, complete in French and Spanish, and every
visible text of the templates marked for translation.

- The texts marked in the code and templates (extracted here as `make translations`
  does) are exactly those of messages.pot: a text marked without `make translations`
  fails.
- Each language's catalog holds every one of them, translated, none fuzzy, with the
  plural forms the language needs and the same %(placeholders)s as the English text.
- Templates: any text between tags, and any visible attribute (title, placeholder,
  aria-label, alt), written in English outside a translation call is a failure, except in
  the one template kept in English on purpose (ENGLISH_ON_PURPOSE: the API's reference).
- tests/test_pseudo_locale.py checks what the templates cannot show: every page of every
  role rendered, texts from Python included.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from portal.domain.language import CATALOG_FOLDER, LANGUAGES

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "templates"
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "pgettext": ((1, "c"), 2),
            "lazy_gettext": None, "_l": None}
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")

# Templates in English whatever the reader's language, on purpose: the API's reference is
# Swagger UI's page, in English like the API's field names, error bodies and specification
# (its <html lang="en"> says so). Nothing else may join this set.
ENGLISH_ON_PURPOSE = {
    "api/docs.html",
}


def _extracted() -> set[tuple[str | None, str]]:
    with open(ROOT / "babel.cfg") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    found = set()
    keywords = {**KEYWORDS}
    for _file, _line, message, _comments, context in extract_from_dir(
            str(ROOT), method_map, options_map, keywords=keywords):
        msgid = message[0] if isinstance(message, tuple) else message
        found.add((context, msgid))
    return found


def _catalog(path: Path):
    with open(path, "rb") as f:
        return read_po(f)


def test_the_template_catalog_holds_every_marked_text():
    pot = _catalog(CATALOG_FOLDER / "messages.pot")
    in_pot = {(m.context, m.id[0] if isinstance(m.id, tuple) else m.id) for m in pot if m.id}
    extracted = _extracted()
    assert extracted - in_pot == set(), "marked but not in messages.pot: run make translations"
    assert in_pot - extracted == set(), "no longer marked: run make translations"


@pytest.mark.parametrize("code", [code for code in LANGUAGES if code != "en"])
def test_each_catalog_translates_every_text(code):
    pot = _catalog(CATALOG_FOLDER / "messages.pot")
    catalog = _catalog(CATALOG_FOLDER / code / "LC_MESSAGES" / "messages.po")
    forms = catalog.num_plurals
    problems = []
    for template in pot:
        if not template.id:
            continue
        message = catalog.get(template.id, context=template.context)
        label = template.id[0] if isinstance(template.id, tuple) else template.id
        if message is None:
            problems.append(f"missing: {label!r}")
            continue
        if "fuzzy" in message.flags:
            problems.append(f"fuzzy: {label!r}")
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if isinstance(template.id, tuple) and len(strings) != forms:
            problems.append(f"{len(strings)} plural forms instead of {forms}: {label!r}")
        if not all(strings):
            problems.append(f"not translated: {label!r}")
            continue
        wanted = set(PLACEHOLDER.findall(" ".join(
            template.id if isinstance(template.id, tuple) else (template.id,))))
        for text in strings:
            if set(PLACEHOLDER.findall(text)) - wanted:
                problems.append(f"unknown placeholder in {text!r} for {label!r}")
            if not isinstance(template.id, tuple) and set(PLACEHOLDER.findall(text)) != wanted:
                problems.append(f"placeholders differ in {text!r} for {label!r}")
    assert problems == []
    # And it compiles (what `make compile-translations` does).
    import io
    write_mo(io.BytesIO(), catalog)


# --- visible English outside translation calls in templates ---------------------------

_JINJA = re.compile(r"{#.*?#}|{%-?\s*raw\s*-?%}.*?{%-?\s*endraw\s*-?%}|{{.*?}}|{%.*?%}", re.S)
_VISIBLE_ATTRIBUTES = {"title", "placeholder", "aria-label", "alt"}
_WORD = re.compile(r"[A-Za-z]{2,}")


class _Texts(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1
        for name, value in attrs:
            if name in _VISIBLE_ATTRIBUTES and value and _WORD.search(value):
                self.found.append(f'{name}="{value.strip()}"')

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip and _WORD.search(data):
            self.found.append(data.strip())


# A text literal inside a Jinja expression that reads as English ("Save", "Export CSV"):
# it starts with a capitalised word. Lower-case literals are CSS classes, endpoints, keys.
_LITERAL = re.compile(r"""(?P<call>\b(?:_|gettext|ngettext|pgettext)\(\s*(?:"[^"]*"\s*,\s*)?)?"""
                      r"""(?P<quote>["'])(?P<text>[A-Z][a-z]+\b[^"']*)(?P=quote)""")


def unmarked_texts(source: str) -> list[str]:
    """The English a template shows outside ``{{ _() }}`` and ``{% trans %}``: text
    literals in its Jinja constructs that are not a translation call's argument, then,
    with the constructs blanked out, the texts and visible attributes of the HTML."""
    source = re.sub(r"{%-?\s*trans\b.*?{%-?\s*endtrans\s*-?%}", " ", source, flags=re.S)
    found = [f'"{m.group("text")}"' for construct in _JINJA.findall(source)
             if not construct.startswith("{#")
             for m in _LITERAL.finditer(construct) if not m.group("call")]
    parser = _Texts()
    parser.feed(_JINJA.sub(" ", source))
    return found + parser.found


def test_templates_show_no_unmarked_english():
    offenders = {}
    for path in sorted(TEMPLATES.rglob("*.html")):
        name = path.relative_to(TEMPLATES).as_posix()
        found = unmarked_texts(path.read_text(encoding="utf-8"))
        if name in ENGLISH_ON_PURPOSE:
            if not found:
                offenders[name] = "no English left: take it out of ENGLISH_ON_PURPOSE"
        elif found:
            offenders[name] = found[:5]
    assert offenders == {}


def test_the_checker_sees_unmarked_text_and_accepts_marked_text():
    assert unmarked_texts('<p title="Open it">Hello {{ name }}</p>') == [
        'title="Open it"', "Hello"]
    assert unmarked_texts('<p title="{{ _(\'Open it\') }}">{{ _("Hello") }} '
                          '{{ name }}</p>{% trans %}Hi {{ x }}{% endtrans %}') == []
    assert unmarked_texts("<script>var a = 'text';</script><p>{{ n }} – 12</p>") == []
    assert unmarked_texts('{{ field(f, hint="Type a date") }}{% set t = "Sessions" %}'
                          '{{ "Save" if a else _("Edit") }}<a class="{{ \'btn x\' }}"></a>'
                          '{{ pgettext("verb", "Open") }}') == [
        '"Type a date"', '"Sessions"', '"Save"']
