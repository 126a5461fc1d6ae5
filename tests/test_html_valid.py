"""Valid HTML: the Nu HTML Checker (vnu, the W3C's validator) finds no error on any page or
fragment of the demo, for each role, and none on the pages the checks below render.

vnu comes from the npm package vnu-jar (`make tools`) and runs on Java. Without them the
test is skipped locally, with the reason; CI sets PORTAL_REQUIRE_VNU=1 so that a missing
checker fails instead. A fragment is checked inside a minimal document (table rows inside
a table), as the browser places it. htmx attributes are written in their valid data-hx-*
form, so the checker needs no exception.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.crawl import START_PAGES, crawl

pytestmark = pytest.mark.checker
ROOT = Path(__file__).resolve().parent.parent
VNU = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"


@pytest.fixture(scope="module")
def vnu():
    java = shutil.which("java")
    if not (java and VNU.exists()):
        if os.environ.get("PORTAL_REQUIRE_VNU"):
            pytest.fail(f"the HTML checker is required: java at {java}, {VNU} exists: "
                        f"{VNU.exists()} (run make tools)")
        pytest.skip("the Nu HTML Checker is not installed: run `make tools` (needs Java)")
    return java


def as_document(html: str) -> str:
    """A fragment inside the smallest valid document that holds it where htmx puts it."""
    if html.lstrip().lower().startswith("<!doctype"):
        return html
    body = html.strip()
    if re.match(r"<tr[\s>]", body):
        # A row replaces a row of the table: the others give its columns.
        columns = max([int(n) for n in re.findall(r'colspan="(\d+)"', body)] + [1])
        body = f"<table><tbody><tr>{'<td></td>' * columns}</tr>{body}</tbody></table>"
    elif re.match(r"<(option|optgroup)[\s>]", body):
        body = f"<datalist id=\"fragment\">{body}</datalist>"
    elif re.match(r"<li[\s>]", body):
        body = f"<ul>{body}</ul>"
    elif re.match(r"<div[^>]*>\s*<dt[\s>]", body):
        body = f"<dl>{body}</dl>"
    return ("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>fragment</title></head><body>{body}</body></html>")


def validate(java: str, documents: dict[str, str], folder: Path) -> list[str]:
    """vnu's errors for each of ``documents`` (name -> HTML), as "name:line: message"."""
    names = {}
    for index, (name, html) in enumerate(documents.items()):
        path = folder / f"{index:04}.html"
        path.write_text(as_document(html), encoding="utf-8")
        names[path.name] = name
    command = [java, "-jar", str(VNU), "--errors-only", "--format", "json",
               "--exit-zero-always", str(folder)]
    done = subprocess.run(command, capture_output=True, text=True, check=True,  # noqa: S603
                          timeout=600)
    messages = json.loads(done.stderr or done.stdout)["messages"]
    return [f"{names[m['url'].rsplit('/', 1)[-1]]}:{m.get('lastLine')}: {m['message']}"
            for m in messages if m["type"] == "error"]


def test_the_checker_reports_a_planted_error(vnu, tmp_path):
    errors = validate(vnu, {
        "planted": "<!DOCTYPE html><html lang=\"en\"><head><title>t</title></head><body>"
                   "<p>text <form action=\"/x\"></form></p><input id=\"a\"><input id=\"a\">"
                   "<textarea rows=\"None\"></textarea></body></html>",
        "fine": "<div data-hx-get=\"/x\" data-hx-target=\"this\">ok</div>"}, tmp_path)
    assert any(e.startswith("planted:") and "“a”" in e for e in errors)  # the duplicate id
    assert any(e.startswith("planted:") and "rows" in e for e in errors)
    assert not any(e.startswith("fine:") for e in errors)


@pytest.fixture
def demo(runner, frozen_now):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("role", sorted(START_PAGES))
def test_every_page_and_fragment_is_valid_html(vnu, demo, client, app, role, tmp_path):
    visits = crawl(client, app, role)
    assert len(visits) > 10
    documents = {f"{v.url}{' (htmx)' if v.fragment else ''}": v.html for v in visits}
    assert validate(vnu, documents, tmp_path) == []


def test_templates_write_htmx_attributes_in_their_valid_form():
    bare = re.compile(r'(?<=[\s"\'}])hx-[a-z-]+(?::[a-z]+)?=')
    found = {path.relative_to(ROOT).as_posix(): bare.findall(path.read_text())
             for path in (ROOT / "templates").rglob("*.html")}
    assert {name: hits for name, hits in found.items() if hits} == {}
