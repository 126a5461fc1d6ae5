"""The journal through the API: the History page's filters, newest first a cursor page at a
time, each entry with its sentence in UTC and the token as the actor of API changes."""

from datetime import timedelta

from portal.domain.categories import create_category
from portal.domain.journal import SYSTEM
from portal.extensions import db
from tests.helpers import NOW, add_course, make_session

pytest_plugins = ["tests.api_support"]  # the fixtures api and api_admin
PEOPLE = ["coach", "ted", "lea"]
PROBLEM = "application/problem+json"


def fields_of(response) -> set[str]:
    assert response.status_code == 422 and response.mimetype == PROBLEM, response.json
    return {error["field"] for error in response.json["errors"]}


def test_entries_come_newest_first_with_sentence_actor_and_values(api, api_admin, people):
    for name in ("Alpha", "Beta", "Gamma"):
        create_category(db.session, name, by=SYSTEM, now=NOW)
    db.session.commit()
    api.patch(f"/api/v1/categories/{api.get('/api/v1/categories?q=gamma').json['items'][0]['id']}",
              json={"name": "Delta"})
    seen, url = [], "/api/v1/journal?what=category&limit=2"
    while url:
        page = api.get(url)
        assert page.status_code == 200, page.json
        seen += page.json["items"]
        url = page.json["next"]
    assert [(e["action"], e["object"]["label"]) for e in seen] == [
        ("update", "Delta"), ("create", "Gamma"), ("create", "Beta"), ("create", "Alpha")]
    newest = seen[0]
    assert newest["actor"] == {"id": api_admin.id, "name": "Api Owner (API token “HR system”)"}
    assert newest["before"] == {"name": "Gamma"} and newest["after"] == {"name": "Delta"}
    assert newest["at"] == "2026-11-29T12:00:00Z"
    assert newest["sentence"].startswith("Api Owner (API token “HR system”) ")
    assert seen[-1]["actor"] == {"id": None, "name": "The portal"}
    assert newest["session"] is None and newest["object"]["type"] == "category"


def test_the_history_pages_filters(api, api_admin, people, frozen_now):
    session = make_session(people["coach"], "Python basics")
    course = add_course(session, "PY101")
    create_category(db.session, "Old", by=SYSTEM, now=NOW - timedelta(days=3))
    db.session.commit()
    api.put(f"/api/v1/sessions/{session.id}/courses/{course.id}/coaches/{people['ted'].id}")

    def kinds(query: str) -> list[str]:
        response = api.get("/api/v1/journal?" + query)
        assert response.status_code == 200, response.json
        return [f"{e['object']['type']}.{e['action']}" for e in response.json["items"]]

    assert kinds(f"who={api_admin.id}") == ["course_coach.add"]
    assert kinds("who=api owner") == ["course_coach.add"]
    assert kinds("learner=ted") == ["course_coach.add"]
    assert kinds(f"session={session.id}") == ["course_coach.add"]
    assert kinds("session=python") == ["course_coach.add"]
    assert kinds("action=create") == ["category.create", "api_token.create"]
    assert kinds("to=2026-11-27") == ["category.create"]
    assert kinds("from=2026-11-29T11:00:00Z&what=category") == []
    assert kinds("from=2026-11-29") == ["course_coach.add", "api_token.create"]


def test_bad_filters_are_named(api):
    assert fields_of(api.get("/api/v1/journal?from=2026-02-30")) == {"from"}
    assert fields_of(api.get("/api/v1/journal?from=0000-01-01")) == {"from"}
    assert fields_of(api.get("/api/v1/journal?from=2027-01-02&to=2027-01-01")) == {"to"}
    assert fields_of(api.get("/api/v1/journal?what=weather")) == {"what"}
    assert fields_of(api.get("/api/v1/journal?action=explode")) == {"action"}
    assert fields_of(api.get("/api/v1/journal?cursor=bm9wZQ")) == {"cursor"}
    assert fields_of(api.get("/api/v1/journal?limit=0")) == {"limit"}


def test_reading_the_journal_needs_its_scope(app, api_admin):
    from tests.api_support import ApiClient, make_token

    reader = ApiClient(app.test_client(), make_token(api_admin, ["users:read"]))
    response = reader.get("/api/v1/journal")
    assert response.status_code == 403 and response.mimetype == PROBLEM


def test_the_api_speaks_english_to_an_owner_who_reads_french(api, api_admin):
    api_admin.language = "fr"
    db.session.commit()
    response = api.get("/api/v1/journal?from=2026-02-30")
    assert fields_of(response) == {"from"}
    assert response.json["errors"][0]["message"].startswith("“From”: Write a date as 2026-03-31")
    assert api.get("/api/v1/sessions/999").json["title"] == "Not found"
