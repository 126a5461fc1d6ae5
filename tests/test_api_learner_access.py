"""A learner's individual dates, suspension and access through the API: the same write
path and journal as the session page, the same answer as the Access page."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import Enrolment, JournalEntry
from tests.helpers import NOW, enrol, make_session

pytest_plugins = ["tests.api_support"]  # the fixtures api and api_admin


@pytest.fixture
def world(make_user):
    coach = make_user("cora", role="teacher")
    lea = make_user("lea", first_name="Lea", last_name="Roux")
    session = make_session(coach, "Python basics")  # access NOW-1 day to NOW+10 days
    enrol(session, lea)
    return {"session": session, "lea": lea, "coach": coach}


def url(world, tail=""):
    return f"/api/v1/sessions/{world['session'].id}/enrolments/{world['lea'].id}{tail}"


def access(api, world, at):
    response = api.get(f"/api/v1/sessions/{world['session'].id}/access",
                       query_string={"user": "lea", "at": at.isoformat()})
    assert response.status_code == 200, response.json
    return {need["need"]: need for need in response.json["needs"]}


def test_an_extension_moves_the_access_check_and_is_journaled_as_the_token(api, world):
    after_end = NOW + timedelta(days=12)
    assert access(api, world, after_end)["submit"]["outcome"] == "locked"
    put = api.put(url(world, "/dates"), json={"extension_days": 5, "reason": "medical leave"})
    assert put.status_code == 200, put.json
    assert (put.json["extension_days"], put.json["reason"], put.json["changed"]) == (
        5, "medical leave", True)
    view = access(api, world, after_end)["submit"]
    assert view["outcome"] == "allowed" and view["window"]["kind"] == "extended"
    entry = db.session.scalar(select(JournalEntry).where(JournalEntry.action == "dates"))
    assert entry.actor_name == "Api Owner (API token “HR system”)"
    again = api.put(url(world, "/dates"), json={"extension_days": 5, "reason": "medical leave"})
    assert again.json["changed"] is False
    removed = api.delete(url(world, "/dates"))
    assert (removed.json["extension_days"], removed.json["reason"]) == (0, None)


def test_an_individual_window_and_a_suspension(api, world):
    start, end = NOW + timedelta(days=3), NOW + timedelta(days=30)
    put = api.put(url(world, "/dates"), json={"start": start.isoformat(),
                                               "end": end.isoformat(), "reason": "nights"})
    assert put.json["start"] == start.isoformat().replace("+00:00", "Z")
    assert access(api, world, NOW)["view"]["outcome"] == "locked"  # not yet, for Lea
    suspended = api.put(url(world, "/suspension"), json={"reason": "fee unpaid"})
    assert suspended.json["suspended"] and suspended.json["suspension_reason"] == "fee unpaid"
    view = access(api, world, start + timedelta(days=1))["view"]
    assert (view["outcome"], view["decision"]) == ("locked", "suspended")
    lifted = api.delete(url(world, "/suspension"))
    assert lifted.json["suspended"] is False
    db.session.expire_all()
    assert db.session.scalar(select(Enrolment.suspended_at)) is None


@pytest.mark.parametrize(("body", "field"), [
    ({"extension_days": 0, "reason": "x"}, "extension_days"),
    ({"extension_days": 3651, "reason": "x"}, "extension_days"),
    ({"extension_days": 5, "reason": ""}, "reason"),
    ({"extension_days": 5, "reason": "x" * 201}, "reason"),
    ({"reason": "x"}, "body"),
    ({"extension_days": 5, "end": "2027-01-01T00:00:00Z", "reason": "x"}, "body"),
    ({"start": "2027-02-01T00:00:00Z", "end": "2027-01-01T00:00:00Z", "reason": "x"}, "end"),
])
def test_bad_dates_name_their_field_and_write_nothing(api, world, body, field):
    response = api.put(url(world, "/dates"), json=body)
    assert response.status_code == 422, response.json
    assert field in {e["field"] for e in response.json["errors"]}
    db.session.expire_all()
    assert db.session.scalar(select(Enrolment.dates_reason)) is None


def test_unknown_learners_users_and_moments(api, world, make_user):
    stranger = make_user("sam")
    assert api.get(f"/api/v1/sessions/{world['session'].id}/enrolments/{stranger.id}/dates"
                   ).status_code == 404
    missing = api.get(f"/api/v1/sessions/{world['session'].id}/access?user=nobody")
    assert missing.status_code == 422 and missing.json["errors"][0]["field"] == "user"
    far = api.get(f"/api/v1/sessions/{world['session'].id}/access",
                  query_string={"user": "lea", "at": "0001-01-01T00:00:00Z"})
    assert far.status_code == 422
