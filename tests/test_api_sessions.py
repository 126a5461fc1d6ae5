"""Sessions through the API: the admin list's filters and sorts with cursors, the
create form's checks, If-Match on changes, problem details, and the journal's actor."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import JournalEntry, TrainingSession
from tests.helpers import NOW, make_session

pytest_plugins = ["tests.api_support"]

PROBLEM = "application/problem+json"


@pytest.fixture
def coach(make_user):
    return make_user("cora", role="teacher", first_name="Cora", last_name="Coach")


def test_list_pages_follow_the_cursor_in_the_admin_lists_order(api, coach):
    for number in range(7):
        make_session(coach, f"Session {number:02}", starts_in=number, ends_in=number + 10)
    seen, url = [], "/api/v1/sessions?limit=3&sort=starts&dir=desc"
    while url:
        response = api.get(url)
        assert response.status_code == 200, response.json
        page = response.json
        seen += [item["name"] for item in page["items"]]
        url = page["next"]
        if url and len(seen) == 3:  # a session created between two pages is not missed
            make_session(coach, "Session 99", starts_in=-5, ends_in=1)
    assert seen == [f"Session {n:02}" for n in range(6, -1, -1)] + ["Session 99"]


def test_list_filters_and_reports_bad_ones(api, coach):
    make_session(coach, "Python basics")
    make_session(coach, "Leadership", starts_in=5)
    response = api.get("/api/v1/sessions?status=upcoming")
    assert [s["name"] for s in response.json["items"]] == ["Leadership"]
    assert response.json["items"][0]["status"] == "upcoming"
    bad = api.get("/api/v1/sessions?from=2027-02-30")
    assert bad.status_code == 422 and bad.mimetype == PROBLEM
    assert bad.json["errors"][0]["field"] == "from"
    wrong_cursor = api.get("/api/v1/sessions?cursor=bm90LWEtY3Vyc29y")
    assert wrong_cursor.status_code == 422
    assert wrong_cursor.json["errors"] == [{"field": "cursor",
                                            "message": "Use the `next` link of the previous page."}]


def test_create_checks_like_the_form_and_journals_the_token(api, coach):
    body = {"name": "Python basics", "coach": "cora",
            "windows": {"access": {"start": "2027-03-01T08:00:00Z",
                                   "end": "2027-03-28T22:00:00Z"}}}
    created = api.post("/api/v1/sessions", json=body)
    assert created.status_code == 201, created.json
    session = created.json
    assert session["windows"]["access"] == {"start": "2027-03-01T08:00:00Z",
                                            "end": "2027-03-28T22:00:00Z"}
    assert created.headers["ETag"] == f'"v{session["version"]}"'
    assert created.headers["Location"].endswith(f"/api/v1/sessions/{session['id']}")
    entry = db.session.scalar(select(JournalEntry).where(JournalEntry.object_type == "session"))
    assert entry.actor_name == "Api Owner (API token “HR system”)"
    again = api.post("/api/v1/sessions", json={**body, "windows": {"access": {
        "start": "2027-03-01T08:00:00Z", "end": "2027-02-01T08:00:00Z"}}})
    assert again.status_code == 422
    assert {e["field"] for e in again.json["errors"]} == {"name", "windows.access.end"}


@pytest.mark.parametrize(("body", "field"), [
    ({"name": "", "coach": "cora"}, "name"),
    ({"name": "X", "coach": "nobody"}, "coach"),
    ({"name": "X", "coach": "cora", "duration_days": 0}, "duration_days"),
    ({"name": "X", "coach": "cora", "windows": {"access": {"start": "2027-03-01T08:00:00"}}},
     "windows.access.start"),
    ({"name": "X", "coach": "cora", "windows": {"access": {"start": "0001-01-01T00:00:00Z"}}},
     "windows.access.start"),
    ({"name": "X", "coach": "cora", "colour": "red"}, "colour"),
])
def test_bad_fields_are_named(api, coach, body, field):
    response = api.post("/api/v1/sessions", json=body)
    assert response.status_code == 422 and response.mimetype == PROBLEM
    assert field in {e["field"] for e in response.json["errors"]}
    assert db.session.scalar(select(TrainingSession.id)) is None


def test_update_needs_the_current_version(api, coach):
    session = make_session(coach, "Python basics")
    url = f"/api/v1/sessions/{session.id}"
    etag = api.get(url).headers["ETag"]
    assert api.patch(url, json={"name": "Python"}).status_code == 428
    changed = api.patch(url, json={"name": "Python", "windows": {"access": {"end": None}}},
                        headers={"If-Match": etag})
    assert changed.status_code == 200, changed.json
    assert changed.json["name"] == "Python" and changed.json["windows"]["access"]["end"] is None
    stale = api.patch(url, json={"name": "Python 2"}, headers={"If-Match": etag})
    assert stale.status_code == 412 and stale.mimetype == PROBLEM
    assert api.delete(url, headers={"If-Match": etag}).status_code == 412
    assert api.delete(url, headers={"If-Match": changed.headers["ETag"]}).status_code == 204
    assert api.get(url).status_code == 404


def test_unknown_objects_and_methods_answer_problems(api):
    assert api.get("/api/v1/sessions/999").json["status"] == 404
    assert api.get("/api/v1/nothing-here").mimetype == PROBLEM
    response = api.put("/api/v1/sessions/1", json={})
    assert response.status_code == 405 and response.mimetype == PROBLEM
    assert "GET" in response.headers["Allow"]


def test_a_browser_login_is_not_an_api_login(client, api_admin):
    client.login("apiadmin")
    response = client.client.get("/api/v1/sessions")
    assert response.status_code == 401 and response.mimetype == PROBLEM
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_the_specification_describes_the_endpoints(client):
    document = client.client.get("/api/v1/openapi.json").json
    assert document["openapi"] == "3.1.0"
    assert {"/api/v1/sessions", "/api/v1/sessions/{session_id}"} <= set(document["paths"])
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"


def test_expired_tokens_stop_working(app, api_admin, frozen_now):
    from tests.api_support import ApiClient, make_token

    later = ApiClient(app.test_client(), make_token(api_admin, days=1))
    assert later.get("/api/v1/sessions").status_code == 200
    frozen_now(NOW + timedelta(days=1))
    response = later.get("/api/v1/sessions")
    assert response.status_code == 401 and response.json["detail"] == "The token has expired."
