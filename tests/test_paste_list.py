"""Paste a list of usernames or e-mails on a session's import page: the same preview and
apply as a file."""

import pytest
from bs4 import BeautifulSoup

from portal.domain.csv_import import MAX_PASTE_CHARS, MAX_PASTE_ENTRIES, FileProblem, pasted_csv
from tests import test_csv_import
from tests.test_csv_import import apply_page, counts, enrolments, error_rows, preview_page

# The CSV import's fixtures: its people and sessions, and the admin's logged-in client.
admin, world = test_csv_import.admin, test_csv_import.world


def urls(world):
    base = f"/admin/sessions/{world['leadership'].id}/import"
    return base, base + "/paste", base + "/apply"


def paste(client, world, text, status=200, htmx=False) -> BeautifulSoup:
    response = client.post(urls(world)[1], {"entries": text}, htmx=htmx)
    assert response.status_code == status, (response.status_code, response.data[:800])
    return BeautifulSoup(response.data, "html.parser")


ENTRIES = ["ann", "eve@example.org", "bob", "nobody", "cid", "ann"]


def test_pasted_list_previews_like_the_same_entries_in_a_file(client, world):
    base, _, _ = urls(world)
    pasted = paste(client, world, "ann\neve@example.org, bob;nobody\n\ncid ; ann")
    lines = "".join(f"{e},\n" if "@" not in e else f",{e}\n" for e in ENTRIES)
    from_file = preview_page(client, "username,email\n" + lines, url=base)
    assert counts(pasted) == counts(from_file)
    assert counts(pasted)["Will be enrolled"] == 2
    assert counts(pasted)["Already enrolled: no change"] == 1
    assert error_rows(pasted) == error_rows(from_file)
    assert [reason for _, _, reason in error_rows(pasted)] == [
        "Unknown user: no user has the username “nobody”.",
        "User cid is deactivated: reactivate the account or take the row out.",
        "Duplicate row: the same user, session and action (add) as line 2.",
    ]
    assert "Preview of pasted list" in pasted.select_one("h2").text


def test_applying_a_pasted_list_enrols_and_journals_it(client, world):
    base, _, apply_url = urls(world)
    page = paste(client, world, "ann;eve@example.org")
    result = apply_page(client, page, url=apply_url)
    assert result.select_one("#result-added").text == "2"
    assert "pasted list: the changes below are saved." in result.select_one("[role=status]").text
    assert {("Leadership", "ann", True, "import"), ("Leadership", "eve", True, "import")} <= \
        enrolments()
    history = client.get_page(f"/admin/sessions/{world['leadership'].id}/history")
    assert "by importing pasted list" in history.text


@pytest.mark.parametrize("text", ["ann,eve@example.org", "ann;eve@example.org",
                                  "ann\neve@example.org", " ann \r\n\r\n eve@example.org ,,;"])
def test_entries_split_on_newlines_commas_and_semicolons(client, world, text):
    page = paste(client, world, text)
    assert counts(page)["Will be enrolled"] == 2
    assert counts(page)["In error"] == 0


@pytest.mark.parametrize("text", ["", "   \n ", ",;\n;,"])
def test_an_empty_paste_is_a_field_error(client, world, text):
    page = paste(client, world, text, status=422, htmx=True)
    assert page.find(True)["id"] == "import-area"
    assert "Paste at least one username or e-mail." in page.text
    full = paste(client, world, text, status=422)
    assert full.select_one("h1") is not None


def test_too_many_entries_are_refused_clearly(client, world):
    page = paste(client, world, "\n".join(f"user{n}" for n in range(MAX_PASTE_ENTRIES + 1)),
                 status=422)
    assert f"more than {MAX_PASTE_ENTRIES:,} entries" in page.text


def test_too_long_a_paste_is_refused_clearly():
    problem = pasted_csv("x" * (MAX_PASTE_CHARS + 1))
    assert isinstance(problem, FileProblem) and "characters" in problem.message


def test_quotes_and_tabs_survive_the_conversion(client, world):
    page = paste(client, world, '"ann\tx')
    assert [reason for _, _, reason in error_rows(page)] == [
        "Unknown user: no user has the username “\"ann\tx”."]


def test_the_paste_needs_the_csrf_token(client, world):
    response = client.client.post(urls(world)[1], data={"entries": "ann"})
    assert response.status_code in (400, 403)
    assert enrolments() == {("Leadership", "bob", True, "individual"),
                            ("Onboarding", "dan", False, "class")}


def test_a_learner_cannot_paste(client, world):
    client.logout()
    client.login("ann")
    assert client.post(urls(world)[1], {"entries": "ann"}).status_code == 404


def test_the_import_page_has_the_paste_box_and_the_session_page_links_it(client, world):
    base, paste_url, _ = urls(world)
    page = client.get_page(base)
    form = page.select_one(f"form[action='{paste_url}']")
    assert form["data-hx-post"] == paste_url
    label = form.select_one("label[for=entries]")
    assert "Paste usernames or e-mails" in label.text
    assert "one per line, or separated by commas or semicolons" in form.text
    assert form.select_one("input[name=csrf_token]") is not None
    session_page = client.get_page(f"/admin/sessions/{world['leadership'].id}")
    link = session_page.select_one(f"#people a[href='{base}']")
    assert link is not None and "Paste a list" in link.text


def test_the_global_import_page_has_no_paste_box(client, world):
    assert client.get_page("/admin/import").select_one("textarea") is None
