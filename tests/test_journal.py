"""The journal: its vocabulary read as sentences, its values, append-only entries, logins."""

from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from portal.domain import journal
from portal.domain.logins import record_login
from portal.extensions import db
from portal.models import JournalEntry
from tests.conftest import TEST_PASSWORD

UTC_ZONE = ZoneInfo("UTC")
AT = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)
ANNE = journal.Actor(7, "Anne Admin", "req-12345678", "192.0.2.1")

# Values an entry of each kind typically records, so that every branch is read.
TYPICAL = {
    ("session", "update"): ({"access_end": "2027-07-16T00:00:00+00:00"},
                            {"access_end": "2027-07-21T00:00:00+00:00"}),
    ("session", "copy"): (None, {"source": "Onboarding 2026"}),
    ("session_course", "move"): (None, {"position": 1}),
    ("enrolments", "change"): (None, {"added": 3, "removed": 1, "changed": 2, "how": "import",
                                      "file": "enrolments.csv"}),
    ("enrolment", "add"): (None, {"how": "individual"}),
    ("enrolment", "remove"): ({"how": "class"}, None),
    ("enrolment", "change"): ({"how": "individual"}, {"how": "class"}),
    ("session_class", "add"): (None, {"added": 4}),
    ("session_class", "remove"): ({"removed": 4}, None),
    ("grade", "create"): (None, {"score": 8, "max_score": 10}),
    ("grade", "update"): ({"score": 8}, {"score": 9, "max_score": 10}),
    ("user", "update"): ({"first_name": "Bob", "password": "x"},
                         {"first_name": "Robert", "password": "y"}),
}


def entry(kind, action, *, full=True, **fields) -> JournalEntry:
    before, after = TYPICAL.get((kind, action), (None, None))
    values = {"at": AT, "actor_id": 7, "actor_name": "Anne Admin", "object_type": kind,
              "action": action, "object_label": "", "session_label": "", "learner_label": "",
              "address": None, "before": None, "after": None}
    if full:
        values.update(object_id=3, object_label="Python basics", session_id=5,
                      session_label="Onboarding", learner_id=9, learner_label="Bob Tester",
                      address="192.0.2.1", before=before, after=after)
    values.update(fields)
    return JournalEntry(**values)


@pytest.mark.parametrize("pair", sorted(journal.ACTIONS))
@pytest.mark.parametrize("full", [True, False], ids=["recorded", "bare"])
def test_every_pair_reads_as_a_sentence(pair, full):
    e = entry(*pair, full=full)
    for text in (journal.sentence(e, UTC_ZONE), journal.learner_sentence(e, UTC_ZONE)):
        assert text.strip() and "None" not in text and "  " not in text, text
        assert text == text.strip()
    assert journal.sentence(e, UTC_ZONE).startswith("Anne Admin ")


@pytest.mark.parametrize(("kind", "action", "fields", "expected"), [
    ("enrolments", "change",
     {"session_label": "", "after": {"added": 3, "how": "import", "file": "enrolments.csv"}},
     "Anne Admin enrolled 3 learners by importing enrolments.csv"),
    ("enrolments", "change",
     {"session_label": "", "after": {"added": 1, "sessions": 2, "how": "import"}},
     "Anne Admin enrolled 1 learner in 2 sessions by import"),
    ("session", "update", {"object_label": "Onboarding"},
     "Anne Admin changed the access end of Onboarding from 15 Jul 2027 to 20 Jul 2027"),
    ("session", "update",
     {"object_label": "Onboarding", "before": {"name": "Onboarding", "duration_days": None},
      "after": {"name": "Welcome", "duration_days": 30}},
     "Anne Admin changed Onboarding: the name from Onboarding to Welcome and the duration "
     "from (none) to 30 days"),
    ("session", "update",
     {"object_label": "Onboarding", "before": {"name": "Onboarding"}, "after": {"name": "Welcome"}},
     "Anne Admin renamed the session Onboarding to Welcome"),
    ("category", "update",
     {"object_label": "Spring", "before": {"name": "Spring"}, "after": {"name": "Autumn"}},
     "Anne Admin renamed the category Spring to Autumn"),
    ("enrolment", "add", {}, "Anne Admin enrolled Bob Tester in Onboarding individually"),
    ("session_class", "add", {"object_label": "Group A"},
     "Anne Admin linked class Group A to Onboarding (4 learners enrolled)"),
    ("user", "update", {"object_label": "bob"},
     "Anne Admin changed the user bob: the first name from Bob to Robert and the password"),
    ("grade", "create", {"object_label": "Essay"},
     "Anne Admin graded Bob Tester's hand-in for Essay in Onboarding: 8/10"),
    ("login", "failure", {"actor_name": "Someone", "object_label": "anne"},
     "Someone failed to log in as “anne” from 192.0.2.1"),
])
def test_sentences_read_as_people_write(kind, action, fields, expected):
    assert journal.sentence(entry(kind, action, **fields), UTC_ZONE) == expected


@pytest.mark.parametrize(("kind", "action", "fields", "expected"), [
    ("enrolment", "add", {}, "enrolled individually by Anne Admin on 3 Dec 2026 at 10:00"),
    ("enrolment", "add", {"after": {"how": "class", "class": "Group A"}},
     "enrolled through class Group A by Anne Admin on 3 Dec 2026 at 10:00"),
    ("enrolment", "add", {"after": {"how": "import", "file": "june.csv"}},
     "enrolled by importing june.csv by Anne Admin on 3 Dec 2026 at 10:00"),
    ("enrolment", "change", {"after": {"how": "class", "class": "Group A"}},
     "now enrolled through class Group A instead of individually by Anne Admin on "
     "3 Dec 2026 at 10:00"),
    ("enrolment", "remove", {},
     "unenrolled (was enrolled through a class) by Anne Admin on 3 Dec 2026 at 10:00"),
    ("submission", "create", {"actor_id": 9, "object_label": "Essay"},
     "handed in Essay on 3 Dec 2026 at 10:00"),
    ("grade", "create", {"actor_name": "Cora Coach", "object_label": "Essay"},
     "hand-in for Essay graded 8/10 by Cora Coach on 3 Dec 2026 at 10:00"),
    ("session", "create", {"object_label": "Onboarding"},
     "Anne Admin created the session Onboarding on 3 Dec 2026 at 10:00"),
])
def test_a_learners_story_is_told_about_them(kind, action, fields, expected):
    assert journal.learner_sentence(entry(kind, action, **fields), UTC_ZONE) == expected


def test_times_are_shown_in_the_viewers_zone():
    e = entry("session", "update", object_label="Onboarding",
              before={"access_start": "2027-07-14T22:00:00+00:00"},
              after={"access_start": "2027-07-15T07:30:00+00:00"})
    assert journal.sentence(e, ZoneInfo("Europe/Paris")).endswith(
        "from 15 Jul 2027 to 15 Jul 2027 at 09:30")
    assert journal.when_text(e, ZoneInfo("Europe/Paris")) == "3 Dec 2026 at 11:00"


def test_detail_rows_never_show_a_password():
    rows = journal.detail_rows({"password": "old-hash", "first_name": "Bob"},
                               {"password": "new-hash", "first_name": "Robert"}, UTC_ZONE)
    assert rows == [("password", "(not shown)", "(not shown)"),
                    ("first name", "Bob", "Robert")]


class Colour(Enum):
    RED = "red"


def test_jsonable_makes_values_json():
    value = {"at": datetime(2027, 7, 15, 8, 0, tzinfo=UTC), "day": date(2027, 7, 15),
             "score": Decimal("8.5"), "colour": Colour.RED, 3: ("a", {"b": {1, 2}})}
    got = journal.jsonable(value)
    assert got["at"] == "2027-07-15T08:00:00+00:00" and got["day"] == "2027-07-15"
    assert got["score"] == "8.5" and got["colour"] == "red"
    assert got["3"][0] == "a" and sorted(got["3"][1]["b"]) == [1, 2]


def test_changes_keeps_only_the_changed_fields():
    moment = datetime(2027, 7, 15, tzinfo=UTC)
    before = {"name": "A", "access_end": moment, "coach_id": 3}
    after = {"name": "B", "access_end": moment, "coach_id": 3}
    assert journal.changes(before, after) == ({"name": "A"}, {"name": "B"})
    assert journal.changes({}, {"access_end": moment}) == (
        {"access_end": None}, {"access_end": "2027-07-15T00:00:00+00:00"})


def test_record_refuses_unknown_pairs_and_fields(app):
    with pytest.raises(ValueError, match="unknown journal action"):
        journal.record(db.session, ANNE, AT, "session", "explode")
    with pytest.raises(TypeError, match="unknown journal field"):
        journal.record(db.session, ANNE, AT, "session", "create", colour="red")


def test_record_and_items_write_entries_with_labels_cut(app):
    head = journal.record(db.session, ANNE, AT, "enrolments", "change", session_id=5,
                          session_label="S" * 500, after={"added": 2, "how": "import"})
    count = journal.record_items(db.session, ANNE, AT, "enrolment", "add",
                                 [{"session_id": 5, "learner_id": n, "learner_label": f"L{n}"}
                                  for n in (1, 2)], parent_id=head.id)
    db.session.commit()
    assert count == 2
    rows = db.session.scalars(select(JournalEntry).order_by(JournalEntry.id)).all()
    assert [(r.object_type, r.parent_id) for r in rows] == [
        ("enrolments", None), ("enrolment", head.id), ("enrolment", head.id)]
    assert len(rows[0].session_label) == 200 and rows[0].request_id == "req-12345678"
    assert rows[1].address == "192.0.2.1" and rows[1].at == AT


def test_the_orm_refuses_to_edit_or_delete_an_entry(app):
    saved = journal.record(db.session, ANNE, AT, "session", "create", object_label="A")
    db.session.commit()
    saved.object_label = "B"
    with pytest.raises(RuntimeError, match="never edited"):
        db.session.flush()
    db.session.rollback()
    db.session.delete(db.session.get(JournalEntry, saved.id))
    with pytest.raises(RuntimeError, match="never deleted"):
        db.session.flush()
    db.session.rollback()
    assert db.session.get(JournalEntry, saved.id).object_label == "A"


# --- logins ---------------------------------------------------------------------------


def _login_entries():
    db.session.expire_all()
    return db.session.scalars(
        select(JournalEntry).where(JournalEntry.object_type == "login")
        .order_by(JournalEntry.id)).all()


def _stored_text(entries) -> str:
    return repr([(e.__dict__) for e in entries])


def test_login_logout_and_failures_are_recorded_without_passwords(client, make_user):
    ann = make_user("ann", first_name="Ann", last_name="Tester")
    client.post("/login", {"username": "ann", "password": "not her password"})
    client.post("/login", {"username": "nob\x00ody", "password": "guess"})
    client.login("ann")
    client.logout()
    entries = _login_entries()
    assert [(e.action, e.actor_id, e.actor_name, e.object_label) for e in entries] == [
        ("failure", None, "Someone", "ann"),
        ("failure", None, "Someone", "nobody"),
        ("success", ann.id, "Ann Tester", "ann"),
        ("logout", ann.id, "Ann Tester", "ann"),
    ]
    assert {e.address for e in entries} == {"127.0.0.1"}
    assert all(e.request_id for e in entries)
    assert entries[0].learner_id == ann.id and entries[1].learner_id is None
    stored = _stored_text(entries)
    for secret in ("not her password", "guess", TEST_PASSWORD):
        assert secret not in stored
    db.session.refresh(ann)
    assert ann.last_login_at is not None


def test_inactive_user_with_the_right_password_is_a_failure(client, make_user):
    make_user("gone", active=False)
    assert client.post("/login", {"username": "gone", "password": TEST_PASSWORD}
                       ).status_code == 401
    assert [e.action for e in _login_entries()] == ["failure"]


def test_a_long_typed_name_is_cut(app):
    saved = record_login(db.session, None, ok=False, typed_name="x" * 500 + "\x00",
                         address="2001:db8::1", request_id=None, now=AT)
    assert saved.object_label == "x" * 100 and saved.address == "2001:db8::1"
