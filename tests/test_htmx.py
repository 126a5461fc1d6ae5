"""htmx correctness: Back (a history restore) gets whole pages, and caches see ``Vary``.

htmx 4 restores a page on Back by fetching its URL with ``HX-Request: true`` and
``HX-History-Restore-Request: true`` and swapping the answer in place of the body: it must
be the full page, never the fragment an ordinary htmx request of that URL gets.
"""

import json

import pytest
from bs4 import BeautifulSoup

from tests.helpers import NOW, add_course, enrol, make_session

PEOPLE = ("admin", "coach", "learner")

HTMX = {"HX-Request": "true"}
RESTORE = {"HX-Request": "true", "HX-History-Restore-Request": "true"}


@pytest.fixture
def world(people):
    session = make_session(people["coach"], starts_in=-1, ends_in=10)
    course = add_course(session, coaches=[people["coach"]])
    enrol(session, people["learner"])
    return {"session": session.id, "course": course.id}


# (who, URL built from the world's ids): the pages whose filters, tabs or pages push a URL.
PAGES = [
    ("ada", "/admin/sessions?q=onb"),
    ("ada", "/admin/sessions/{session}"),
    ("ada", "/admin/history?q=onb"),
    ("lea", "/my-sessions?tab=current"),
    ("cora", "/coach/?tab=current"),
    ("cora", "/coach/sessions/{session}/courses/{course}/grading?q=lea"),
    ("cora", "/coach/sessions/{session}/tracking?q=lea"),
]


def _get(client, who, url, world, headers=None):
    client.login(who)
    response = client.get(url.format(**world), headers=headers or {})
    assert response.status_code == 200, (url, response.status_code, response.data[:300])
    return response


@pytest.mark.parametrize(("who", "url"), PAGES)
def test_a_history_restore_gets_the_full_page(client, world, who, url):
    response = _get(client, who, url, world, RESTORE)
    assert "<html" in response.get_data(as_text=True)
    assert "HX-Request" in response.headers.get("Vary", "")


@pytest.mark.parametrize(("who", "url"), PAGES)
def test_vary_is_on_the_full_page_variant_too(client, world, who, url):
    response = _get(client, who, url, world)
    assert "<html" in response.get_data(as_text=True)
    vary = {v.strip() for v in response.headers.get("Vary", "").split(",")}
    assert {"HX-Request", "HX-History-Restore-Request"} <= vary


@pytest.mark.parametrize(("who", "url"), [
    (who, url) for who, url in PAGES if url != "/admin/sessions/{session}"
] + [("ada", "/admin/sessions/{session}/learners?q=lea")])
def test_an_ordinary_htmx_request_gets_the_fragment(client, world, who, url):
    response = _get(client, who, url, world, HTMX)
    assert "<html" not in response.get_data(as_text=True)
    assert "HX-Request" in response.headers.get("Vary", "")


def test_restoring_the_learner_list_of_a_session_page_gives_the_page(client, world):
    client.login("ada")
    url = "/admin/sessions/{session}/learners?q=lea".format(**world)
    # The answer a plain link gets (the session page, which fetch follows), not the fragment.
    response = client.get(url, headers=RESTORE, follow_redirects=True)
    assert response.status_code == 200
    assert "<html" in response.get_data(as_text=True)


def _locked(client, people, frozen_now, headers):
    session = make_session(people["coach"], "Later", starts_in=3, ends_in=10)
    enrol(session, people["learner"])
    frozen_now(NOW)
    client.login("lea")
    return client.get(f"/sessions/{session.id}", headers=headers)


def test_the_locked_page_for_a_history_restore_is_the_full_page(client, people, frozen_now):
    response = _locked(client, people, frozen_now, RESTORE)
    assert response.status_code == 403
    body = response.get_data(as_text=True)
    assert "<html" in body and "This session opens on" in body
    assert "HX-Request" in response.headers["Vary"]


def test_the_locked_page_for_htmx_is_the_fragment(client, people, frozen_now):
    response = _locked(client, people, frozen_now, HTMX)
    body = response.get_data(as_text=True)
    assert response.status_code == 403
    assert "<html" not in body and "This session opens on" in body


def test_an_error_page_for_a_history_restore_is_the_full_page(client, people):
    client.login("ada")
    restored = client.get("/admin/sessions/999999", headers=RESTORE)
    swapped = client.get("/admin/sessions/999999", headers=HTMX)
    assert restored.status_code == swapped.status_code == 404
    assert "<html" in restored.get_data(as_text=True)
    assert "HX-Retarget" not in restored.headers
    # An ordinary htmx request keeps its fragment and puts the alert in #messages.
    assert swapped.headers["HX-Retarget"] == "#messages"
    assert "<html" not in swapped.get_data(as_text=True)


def test_a_logged_out_history_restore_goes_to_the_login_page(client, people):
    restored = client.get("/admin/sessions?q=onb", headers=RESTORE)
    assert restored.headers["HX-Redirect"].startswith("/login?next=")
    assert "q%3Donb" in restored.headers["HX-Redirect"]
    swapped = client.get("/admin/sessions?q=onb", headers=HTMX)
    assert swapped.status_code == 401 and swapped.headers["HX-Retarget"] == "#messages"


def test_htmx_is_configured_to_need_no_inline_style(client, people):
    """CSP allows no inline style; htmx must neither add its indicator <style> nor copy
    style attributes while settling a swap (the browser test shows the console stays clean)."""
    response = client.get("/login")
    meta = BeautifulSoup(response.data, "html.parser").select_one("meta[name=htmx-config]")
    config = json.loads(meta["content"])
    assert config["includeIndicatorCSS"] is False and config["defaultSettleDelay"] == 0
    policy = response.headers["Content-Security-Policy"]
    assert "style-src 'self';" in policy and "unsafe-inline" not in policy
