"""Enrolments through the API: a session's learners in cursor pages, enrolling and
unenrolling one learner, and the bulk call sorted and applied like a CSV import (all or
nothing, idempotent, a dry run that writes nothing), journaled with the token as actor and
sending the welcome messages the pages send."""

from datetime import timedelta

import pytest
from sqlalchemy import func, insert, select

from portal import clock
from portal.domain import jobs
from portal.domain.csv_import import preview, read_csv
from portal.domain.enrolment import link_class
from portal.domain.journal import SYSTEM
from portal.extensions import db
from portal.models import (
    ClassMembership,
    Enrolment,
    JournalEntry,
    OutboxMessage,
    TrainingSession,
    User,
    UserClass,
)
from tests import api_support
from tests.api_support import ApiClient, make_token
from tests.helpers import NOW, enrol, make_session

# The fixtures, by assignment: imported, pytest would see them too, but ruff would read
# each test's parameter of the same name as redefining the import (F811).
api, api_admin = api_support.api, api_support.api_admin

PROBLEM = "application/problem+json"
TOKEN_ACTOR = "Api Owner (API token “HR system”)"
BULK = "/api/v1/enrolments/bulk"


@pytest.fixture
def world(make_user, api_admin):
    """Onboarding (welcome messages on): ann individually, bob by import, dan through the
    Red team class only, eve individually and through Red team, with dates and suspended.
    Leadership: empty. fay free; cid deactivated."""
    coach = make_user("cora", role="teacher", first_name="Cora", last_name="Coach")
    people = {name: make_user(name, first_name=name.capitalize(), last_name=last)
              for name, last in (("ann", "Archer"), ("bob", "Baker"), ("dan", "Dale"),
                                 ("eve", "Evans"), ("fay", "Fox"))}
    people["cid"] = make_user("cid", active=False)
    onboarding = make_session(coach, "Onboarding", welcome_message=True)
    leadership = make_session(coach, "Leadership")
    red = UserClass(name="Red team")
    db.session.add(red)
    db.session.flush()
    for name in ("dan", "eve"):
        db.session.add(ClassMembership(class_id=red.id, user_id=people[name].id, added_at=NOW))
    link_class(db.session, onboarding.id, red.id, by=SYSTEM, now=NOW)
    db.session.commit()
    enrol(onboarding, people["ann"])
    enrol(onboarding, people["bob"], source="import")
    db.session.execute(
        Enrolment.__table__.update()
        .where(Enrolment.session_id == onboarding.id, Enrolment.user_id == people["eve"].id)
        .values(direct=True, extension_days=5, dates_reason="Sick leave",
                suspended_at=NOW, suspension_reason="Unpaid invoice"))
    db.session.commit()
    return {"onboarding": onboarding, "leadership": leadership, "red": red, **people}


def enrolled() -> set[tuple[str, str, bool]]:
    return {tuple(row) for row in db.session.execute(
        select(TrainingSession.name, User.username, Enrolment.direct)
        .join(TrainingSession, TrainingSession.id == Enrolment.session_id)
        .join(User, User.id == Enrolment.user_id))}


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def learners_url(session) -> str:
    return f"/api/v1/sessions/{session.id}/enrolments"


# --- the list --------------------------------------------------------------------------------


def test_the_list_pages_by_name_with_how_each_is_enrolled_and_their_dates(api, world):
    seen, url = [], learners_url(world["onboarding"]) + "?limit=2"
    while url:
        response = api.get(url)
        assert response.status_code == 200, response.json
        seen += response.json["items"]
        url = response.json["next"]
    assert [item["username"] for item in seen] == ["ann", "bob", "dan", "eve"]
    ann, bob, dan, eve = seen
    assert ann["name"] == "Ann Archer" and ann["email"] == "ann@example.org"
    assert ann["how"] == {"direct": "individual", "classes": [], "label": "Individual"}
    assert bob["how"] == {"direct": "import", "classes": [], "label": "Import"}
    assert dan["how"] == {"direct": None, "classes": ["Red team"], "label": "Class Red team"}
    assert eve["how"]["label"] == "Individual · class Red team"
    assert (eve["extension_days"], eve["dates_reason"]) == (5, "Sick leave")
    assert eve["suspended"] is True and eve["suspension_reason"] == "Unpaid invoice"
    assert eve["suspended_at"] == "2026-11-29T12:00:00Z"
    assert ann["suspended"] is False and ann["own_end"] is None


def test_the_list_searches_and_refuses_what_is_not_its_own(api, world):
    found = api.get(learners_url(world["onboarding"]) + "?q=EVANS").json["items"]
    assert [item["username"] for item in found] == ["eve"]
    assert api.get(learners_url(world["leadership"])).json == {"items": [], "next": None}
    assert api.get("/api/v1/sessions/999/enrolments").status_code == 404
    assert api.get(f"/api/v1/sessions/{2**70}/enrolments").status_code == 404
    bad = api.get(learners_url(world["onboarding"]) + "?cursor=WzFd")
    assert bad.status_code == 422 and bad.json["errors"][0]["field"] == "cursor"
    assert api.get(learners_url(world["onboarding"]) + "?limit=0").status_code == 422


def test_the_list_runs_the_same_queries_for_few_and_many_learners(api, world, make_user,
                                                                   count_queries):
    session, url = world["onboarding"], learners_url(world["onboarding"])

    def queries() -> int:
        with count_queries() as counter:
            assert api.get(url).status_code == 200
        return counter.count

    api.get(url)  # the token's first use is noted (a write), then once a minute
    few = queries()
    for n in range(40):
        user = make_user(f"many{n:02}")
        enrol(session, user)
        db.session.add(ClassMembership(class_id=world["red"].id, user_id=user.id,
                                       added_at=NOW))
    db.session.commit()
    assert len(api.get(url).json["items"]) == 44
    assert queries() == few


# --- one learner -----------------------------------------------------------------------------


def test_enrolling_twice_creates_once_and_journals_the_token(api, world):
    session, fay = world["leadership"], world["fay"]
    url = f"{learners_url(session)}/{fay.id}"
    created = api.put(url)
    assert created.status_code == 201, created.json
    assert created.json["how"]["direct"] == "individual"
    assert created.headers["Location"].endswith(url)
    again = api.put(url)
    assert again.status_code == 200 and again.json["enrolled_at"] == created.json["enrolled_at"]
    entries = db.session.scalars(select(JournalEntry).where(
        JournalEntry.session_id == session.id)).all()
    assert [(e.action, e.learner_id, e.actor_name) for e in entries] == \
        [("add", fay.id, TOKEN_ACTOR)]
    assert api.get(url).json["username"] == "fay"


def test_enrolling_a_class_learner_makes_them_individual_too(api, world):
    url = f"{learners_url(world['onboarding'])}/{world['dan'].id}"
    response = api.put(url)
    assert response.status_code == 200
    assert response.json["how"]["label"] == "Individual · class Red team"


def test_unenrolling_is_idempotent_and_a_class_keeps_its_members(api, world):
    onboarding = world["onboarding"]
    ann = f"{learners_url(onboarding)}/{world['ann'].id}"
    assert api.delete(ann).status_code == 204
    assert api.delete(ann).status_code == 204
    assert api.get(ann).status_code == 404
    eve = f"{learners_url(onboarding)}/{world['eve'].id}"
    kept = api.delete(eve)
    assert kept.status_code == 409 and kept.mimetype == PROBLEM
    assert "stays enrolled through the class Red team" in kept.json["detail"]
    assert api.get(eve).json["how"]["label"] == "Class Red team"  # no longer individually
    assert api.delete(eve).status_code == 409


def test_one_learner_calls_answer_404_and_422_without_writing(api, world):
    session = world["leadership"]
    assert api.put(f"{learners_url(session)}/999").status_code == 404
    assert api.put(f"/api/v1/sessions/999/enrolments/{world['fay'].id}").status_code == 404
    assert api.delete(f"{learners_url(session)}/999").status_code == 404
    assert api.get(f"{learners_url(session)}/{2**63}").status_code == 404
    refused = api.put(f"{learners_url(session)}/{world['cid'].id}")
    assert refused.status_code == 422 and refused.json["errors"][0]["field"] == "user_id"
    assert ("Leadership", "cid", True) not in enrolled()


def test_scopes_are_checked(app, world, api_admin):
    reader = ApiClient(app.test_client(), make_token(api_admin, ["enrolments:read"]))
    url = f"{learners_url(world['leadership'])}/{world['fay'].id}"
    assert reader.get(learners_url(world["leadership"])).status_code == 200
    assert reader.put(url).status_code == 403
    assert reader.post(BULK, json={"items": [{"user": "fay", "session": 1}]}).status_code == 403


# --- welcome messages ------------------------------------------------------------------------


def test_welcome_messages_are_queued_as_the_page_queues_them(api, world, client, make_user):
    make_user("root", role="admin")
    client.login("root")
    onboarding, fay = world["onboarding"], world["fay"]
    kim = make_user("kim")
    page = client.post(f"/admin/sessions/{onboarding.id}/learners", {"add_learner": "kim"})
    assert page.status_code in (200, 303)
    assert api.put(f"{learners_url(onboarding)}/{fay.id}").status_code == 201
    welcomes = db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.user_id.in_([kim.id, fay.id])).order_by(OutboxMessage.id)).all()
    assert [(m.kind, m.user_id, m.session_id) for m in welcomes] == [
        ("welcome", kim.id, onboarding.id), ("welcome", fay.id, onboarding.id)]
    lea = make_user("lea")
    bulk = api.post(BULK, json={"items": [{"user": "lea", "session": onboarding.id}]})
    assert bulk.status_code == 200, bulk.json
    assert db.session.scalar(select(OutboxMessage.kind).where(
        OutboxMessage.user_id == lea.id)) == "welcome"


# --- the bulk call ---------------------------------------------------------------------------


@pytest.fixture
def crowd(world):
    """1,000 learners bulk0000..bulk0999 and 10 sessions Bulk 0..9, nobody enrolled."""
    coach_id = world["onboarding"].coach_id
    db.session.execute(insert(User), [
        {"username": f"bulk{i:04}", "email": f"bulk{i:04}@example.org", "first_name": "",
         "last_name": "", "password_hash": "", "role": "learner", "active": True,
         "created_at": NOW} for i in range(1000)])
    db.session.execute(insert(TrainingSession), [
        {"name": f"Bulk {n}", "coach_id": coach_id, "after_end_policy": "read_only",
         "description": "", "version": 1, "created_at": NOW, "updated_at": NOW,
         "welcome_message": True} for n in range(10)])
    db.session.commit()
    return list(db.session.scalars(select(TrainingSession.id).where(
        TrainingSession.name.like("Bulk %")).order_by(TrainingSession.name)))


def ten_thousand(sessions) -> list[dict]:
    """Every learner of the crowd in every one of its sessions; one in ten by e-mail."""
    return [{"user": f"bulk{i:04}@example.org" if i % 10 == 3 else f"bulk{i:04}",
             "session": session_id, "action": "add"}
            for session_id in sessions for i in range(1000)]


def test_ten_thousand_pairs_with_one_bad_one_write_nothing(api, crowd):
    items = ten_thousand(crowd)
    items[4321]["user"] = "nobody"
    before = (count(Enrolment), count(JournalEntry), count(OutboxMessage))
    for dry_run in (False, True):
        response = api.post(BULK, json={"items": items, "dry_run": dry_run})
        assert response.status_code == 422 and response.mimetype == PROBLEM
        assert response.json["errors"] == [{
            "field": "items[4321].user",
            "message": "Unknown user: no user has the username “nobody”."}]
        assert response.json["detail"] == "1 of the 10,000 items are in error: nothing was " \
                                          "written."
    assert (count(Enrolment), count(JournalEntry), count(OutboxMessage)) == before


def test_ten_thousand_pairs_apply_once_and_the_same_call_again_changes_nothing(api, crowd):
    items, queued = ten_thousand(crowd), count(OutboxMessage)
    first = api.post(BULK, json={"items": items})
    assert first.status_code == 200, first.json
    assert first.json["applied"] == {"added": 10_000, "made_direct": 0, "removed": 0,
                                     "kept_by_class": 0, "unchanged": 0}
    assert first.json["preview"]["counts"] == {"add": 10_000, "already": 0, "remove": 0,
                                               "not_enrolled": 0}
    assert count(Enrolment) == 10_000 + 4  # and the world's
    # A welcome each, written by the worker's job queued with the change (over 1,000).
    assert count(OutboxMessage) == queued
    assert jobs.run_due(db.session, now=clock.now()) is not None
    assert count(OutboxMessage) == queued + 10_000
    head = db.session.scalar(select(JournalEntry).where(JournalEntry.object_type ==
                                                        "enrolments"))
    assert head.actor_name == TOKEN_ACTOR
    assert head.after == {"added": 10_000, "removed": 0, "changed": 0, "sessions": 10,
                          "how": "import", "file": "API bulk call"}
    journaled = count(JournalEntry)
    second = api.post(BULK, json={"items": items})
    assert second.status_code == 200
    assert second.json["applied"] == {"added": 0, "made_direct": 0, "removed": 0,
                                      "kept_by_class": 0, "unchanged": 10_000}
    assert second.json["preview"]["counts"]["already"] == 10_000
    assert (count(Enrolment), count(JournalEntry), count(OutboxMessage)) == \
        (10_004, journaled, queued + 10_000)


def test_removals_follow_the_class_rule_and_repeat_as_no_change(api, world):
    onboarding = world["onboarding"].id
    items = [{"user": "ann", "session": onboarding, "action": "remove"},
             {"user": "eve@example.org", "session": onboarding, "action": "remove"},
             {"user": "dan", "session": onboarding, "action": "remove"}]
    first = api.post(BULK, json={"items": items}).json
    assert first["applied"] == {"added": 0, "made_direct": 0, "removed": 1, "kept_by_class": 1,
                                "unchanged": 1}
    assert [(i["kind"], i["message"]) for i in first["preview"]["items"]] == [
        ("remove", ""),
        ("remove", "Stays enrolled through a class; no longer individually."),
        ("not_enrolled", "Enrolled only through a class: take them out of the class or "
                         "unlink the class to unenrol them.")]
    again = api.post(BULK, json={"items": items}).json
    assert again["applied"]["removed"] == again["applied"]["kept_by_class"] == 0
    assert again["preview"]["counts"]["not_enrolled"] == 3


def test_a_dry_run_writes_nothing_and_previews_as_the_csv_import(api, world):
    onboarding, leadership = world["onboarding"], world["leadership"]
    pairs = [("fay", leadership, "add"), ("ann", onboarding, "add"),
             ("dan", onboarding, "add"), ("eve", onboarding, "remove"),
             ("bob", leadership, "remove")]
    before = (enrolled(), count(JournalEntry), count(OutboxMessage))
    response = api.post(BULK, json={"dry_run": True, "items": [
        {"user": user, "session": session.id, "action": action}
        for user, session, action in pairs]})
    assert response.status_code == 200, response.json
    assert response.json["applied"] is None
    assert (enrolled(), count(JournalEntry), count(OutboxMessage)) == before
    csv = "username,session,action\n" + "".join(
        f"{user},{session.name},{action}\n" for user, session, action in pairs)
    expected = preview(db.session, read_csv(csv.encode(), session_required=True))
    got = response.json["preview"]
    assert got["counts"] == {kind: expected.counts[kind] for kind in got["counts"]}
    assert got["counts"] == {"add": 2, "already": 1, "remove": 1, "not_enrolled": 1}
    assert got["kept_by_class"] == expected.kept_by_class == 1
    assert [(item["kind"], item["message"]) for item in got["items"]] == \
        [(row.kind.value, row.message) for row in expected.rows]


def test_bad_items_are_named_each_with_its_reason(api, world):
    onboarding = world["onboarding"].id
    response = api.post(BULK, json={"items": [
        {"user": "ann", "session": onboarding, "action": "add"},
        {"user": "cid", "session": onboarding},
        {"user": "fay", "session": 999},
        {"user": "ann", "session": onboarding, "action": "remove"},
        {"user": "ghost@example.org", "session": onboarding},
        {"user": "   ", "session": onboarding},
    ]})
    assert response.status_code == 422
    assert {e["field"]: e["message"] for e in response.json["errors"]} == {
        "items[0].action": "Conflicting row: items[3] removes the same user in the same "
                           "session. Keep one of the two.",
        "items[1].user": "User cid is deactivated: reactivate the account or take the row out.",
        "items[2].session": "Unknown session: no session has the id 999.",
        "items[3].action": "Conflicting row: items[0] adds the same user in the same "
                           "session. Keep one of the two.",
        "items[4].user": "Unknown user: no user has the e-mail “ghost@example.org”.",
        "items[5].user": "Empty value: give the learner's username or e-mail.",
    }


@pytest.mark.parametrize("body", [
    {"items": []},
    {"items": [{"user": "ann", "session": 1}] * 10_001},
    {"items": [{"user": "ann", "session": 0}]},
    {"items": [{"user": "ann", "session": 2**40}]},
    {"items": [{"user": "ann", "session": 1, "action": "drop"}]},
    {"items": [{"user": "ann", "session": 1, "colour": "red"}]},
    {"items": "ann"},
])
def test_malformed_calls_are_refused_before_any_lookup(api, world, body):
    response = api.post(BULK, json=body)
    assert response.status_code == 422 and response.mimetype == PROBLEM
    assert all(e["field"].startswith("items") for e in response.json["errors"])


def test_a_token_that_expired_cannot_call(app, world, api_admin, frozen_now):
    later = ApiClient(app.test_client(), make_token(api_admin, days=1))
    frozen_now(NOW + timedelta(days=2))
    assert later.post(BULK, json={"items": [{"user": "fay", "session": 1}]}).status_code == 401
