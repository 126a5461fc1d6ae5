"""Individual dates and suspensions through the enrolment write path: what is written,
what the journal says, and the admin list's status once every learner has own dates."""

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from portal.domain import enrolment, session_list
from portal.domain.access import LearnerFacts, SessionRules, Status
from portal.domain.journal import Actor, sentence
from portal.domain.learner_dates import (
    EXTEND,
    REMOVAL,
    REMOVE,
    WINDOW,
    DatesChange,
    LearnerDatesError,
    dates_change,
    dates_words,
    suspension_words,
)
from portal.domain.sessions import update_session
from portal.extensions import db
from portal.models import ClassMembership, Enrolment, JournalEntry, SessionClass, UserClass
from tests.helpers import NOW, enrol, make_session

UTC = ZoneInfo("UTC")
ANNE = Actor(1, "Anne Admin", "req-0001", "10.0.0.1")
BY = {"by": ANNE, "now": NOW}
DAY = timedelta(days=1)


@pytest.fixture
def world(make_user, frozen_now):
    """Python basics (access NOW-1 day to NOW+10 days) with ann, bob and cid enrolled;
    class Red team (ann, bob) linked."""
    coach = make_user("cora", role="teacher")
    people = {name: make_user(name) for name in ("ann", "bob", "cid", "dan")}
    python = make_session(coach, "Python basics")
    enrol(python, people["ann"], people["bob"], people["cid"])
    red = UserClass(name="Red team")
    db.session.add(red)
    db.session.flush()
    db.session.add_all([ClassMembership(class_id=red.id, user_id=people["ann"].id),
                        ClassMembership(class_id=red.id, user_id=people["bob"].id),
                        SessionClass(session_id=python.id, class_id=red.id)])
    db.session.commit()
    return {"python": python, "red": red, **people}


def row(session, user) -> Enrolment:
    db.session.expire_all()
    return db.session.scalar(select(Enrolment).where(Enrolment.session_id == session.id,
                                                     Enrolment.user_id == user.id))


def journal_sentences() -> list[str]:
    db.session.expire_all()
    return [sentence(e, UTC) for e in db.session.scalars(
        select(JournalEntry).order_by(JournalEntry.id))]


# --- what an admin may set ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "values", "field", "message"),
    [
        (EXTEND, {"days": None, "reason": "leave"}, "days", "number of days"),
        (EXTEND, {"days": 0, "reason": "leave"}, "days", "from 1 to 3650"),
        (EXTEND, {"days": -3, "reason": "leave"}, "days", "from 1 to 3650"),
        (EXTEND, {"days": 3651, "reason": "leave"}, "days", "from 1 to 3650"),
        (EXTEND, {"days": 5, "reason": "   "}, "reason", "Give a reason"),
        (EXTEND, {"days": 5, "reason": "x" * 201}, "reason", "200 characters"),
        (WINDOW, {"reason": "nights"}, "start", "a start, an end, or both"),
        (WINDOW, {"start": NOW, "end": NOW, "reason": "nights"}, "end", "after the start"),
        (WINDOW, {"start": NOW, "end": NOW - DAY, "reason": "nights"}, "end", "after the start"),
        ("later", {"days": 5, "reason": "leave"}, "kind", "Choose"),
    ],
)
def test_bad_dates_are_field_errors(kind, values, field, message):
    with pytest.raises(LearnerDatesError) as caught:
        dates_change(kind, **values)
    assert message in caught.value.errors[field]


def test_good_dates_and_removal():
    assert dates_change(EXTEND, days=5, reason=" medical leave ") == DatesChange(
        extension_days=5, reason="medical leave")
    assert dates_change(WINDOW, end=NOW, reason="nights") == DatesChange(own_end=NOW,
                                                                          reason="nights")
    assert dates_change(REMOVE, reason="") is REMOVAL


def test_dates_in_plain_words(world):
    rules = SessionRules.of(world["python"])  # access ends NOW + 10 days: 9 Dec 2026 12:00
    assert dates_words(rules, LearnerFacts(extension_days=5), "medical leave", NOW, UTC) == (
        "until 14 Dec 2026 at 12:00 — extended by 5 days: medical leave")
    own = LearnerFacts(own_start=NOW + DAY, own_end=NOW + 20 * DAY)
    assert dates_words(rules, own, "works nights", NOW, UTC) == (
        "from 30 Nov 2026 at 12:00 until 19 Dec 2026 at 12:00 — individual dates: works nights")
    assert dates_words(rules, LearnerFacts(), None, NOW, UTC) == ""
    duration = SessionRules(rules.access, None, "read_only", duration_days=30)
    assert dates_words(duration, LearnerFacts(extension_days=1), "ill", NOW, UTC) == (
        "31 days from the first visit — extended by 1 day: ill")
    assert suspension_words("unpaid fees") == "Suspended: unpaid fees"


# --- the writes -----------------------------------------------------------------------------


def test_extending_one_learner_writes_and_journals_it(world):
    python, ann = world["python"], world["ann"]
    change = dates_change(EXTEND, days=5, reason="medical leave")
    assert enrolment.change_learner_dates(db.session, python, [ann.id], change, **BY) == [ann.id]
    db.session.commit()
    written = row(python, ann)
    assert (written.extension_days, written.dates_reason) == (5, "medical leave")
    assert journal_sentences() == [
        "Anne Admin set the individual dates of Ann Tester in Python basics: the extension "
        "from 0 days to 5 days and the reason from (none) to medical leave"]
    # The same again changes nothing and journals nothing.
    assert enrolment.change_learner_dates(db.session, python, [ann.id], change, **BY) == []
    assert len(journal_sentences()) == 1


def test_a_window_replaces_an_extension_and_removal_clears_it(world):
    python, ann = world["python"], world["ann"]
    enrolment.change_learner_dates(db.session, python, [ann.id],
                                   dates_change(EXTEND, days=5, reason="leave"), **BY)
    enrolment.change_learner_dates(db.session, python, [ann.id],
                                   dates_change(WINDOW, end=NOW + 30 * DAY, reason="nights"),
                                   **BY)
    written = row(python, ann)
    assert (written.extension_days, written.own_start, written.own_end) == (
        0, None, NOW + 30 * DAY)
    enrolment.change_learner_dates(db.session, python, [ann.id], REMOVAL, **BY)
    db.session.commit()
    written = row(python, ann)
    assert (written.extension_days, written.own_end, written.dates_reason) == (0, None, None)
    assert journal_sentences()[-1] == (
        "Anne Admin removed the individual dates of Ann Tester in Python basics")


def test_several_learners_get_one_head_and_an_item_each(world):
    python = world["python"]
    ids = enrolment.class_learner_ids(db.session, python.id, world["red"].id)
    assert ids == sorted([world["ann"].id, world["bob"].id])
    outsider = world["dan"].id  # not a learner of the session: left out
    changed = enrolment.change_learner_dates(
        db.session, python, [*ids, outsider], dates_change(EXTEND, days=3, reason="strike"),
        **BY)
    db.session.commit()
    assert changed == ids
    head, *items = db.session.scalars(select(JournalEntry).order_by(JournalEntry.id)).all()
    assert sentence(head, UTC) == (
        "Anne Admin set the individual dates of 2 learners in Python basics")
    assert [item.parent_id for item in items] == [head.id, head.id]
    assert row(python, world["cid"]).extension_days == 0


def test_suspension_keeps_its_moment_when_its_reason_changes_and_can_be_lifted(world):
    python, ann, bob = world["python"], world["ann"], world["bob"]
    assert enrolment.change_suspension(db.session, python, [ann.id], "unpaid fees", **BY) == [
        ann.id]
    first = row(python, ann).suspended_at
    assert first is not None
    later = {"by": ANNE, "now": NOW + DAY}
    assert sorted(enrolment.change_suspension(db.session, python, [ann.id, bob.id], "audit",
                                              **later)) == sorted([ann.id, bob.id])
    assert (row(python, ann).suspended_at, row(python, ann).suspension_reason) == (first, "audit")
    assert row(python, bob).suspended_at == NOW + DAY
    assert sorted(enrolment.change_suspension(db.session, python, [ann.id, bob.id, world["cid"].id],
                                              None, **BY)) == sorted([ann.id, bob.id])
    db.session.commit()
    assert row(python, ann).suspended_at is None
    said = journal_sentences()
    assert said[0] == "Anne Admin suspended Ann Tester in Python basics: “unpaid fees”"
    assert "Anne Admin lifted the suspension of 2 learners in Python basics" in said


def test_extension_of_a_learner_in_a_session_that_sends_invitations_updates_theirs(world):
    from portal.models import OutboxMessage

    python = world["python"]
    python.welcome_message = True
    db.session.commit()
    enrolment.change_learner_dates(db.session, python, [world["ann"].id],
                                   dates_change(EXTEND, days=2, reason="leave"), **BY)
    db.session.commit()
    queued = db.session.scalars(select(OutboxMessage.user_id)
                                .where(OutboxMessage.kind == "dates-changed")).all()
    assert queued == [world["ann"].id]


# --- the admin list's status once every learner has own dates -----------------------------


def status_in_list(session, now) -> Status:
    db.session.expire_all()
    filters = session_list.SessionFilters.from_args({"q": session.name}, UTC)
    page = session_list.session_list_page(db.session, filters, now, UTC)
    (listed,) = page.items
    shown = session_list.row_status(listed, now)
    for status, name in ((Status.CURRENT, "active"), (Status.PAST, "past")):
        filtered = session_list.session_list_page(
            db.session, session_list.SessionFilters.from_args({"q": session.name,
                                                                "status": name}, UTC), now, UTC)
        assert (filtered.total == 1) is (shown is status)  # the filter agrees with the column
    return shown


def test_admin_list_status_follows_learners_dates_only_when_all_have_them(world):
    python = world["python"]
    after_end = NOW + 12 * DAY  # the session's access ended 2 days before
    everyone = [world["ann"].id, world["bob"].id, world["cid"].id]
    extend = dates_change(EXTEND, days=5, reason="strike")
    enrolment.change_learner_dates(db.session, python, everyone[:2], extend, **BY)
    db.session.commit()
    assert status_in_list(python, after_end) is Status.PAST  # cid has the session's dates
    enrolment.change_learner_dates(db.session, python, everyone[2:], extend, **BY)
    db.session.commit()
    assert status_in_list(python, after_end) is Status.CURRENT
    # The session's own end moves: the extended ends move with it.
    update_session(db.session, python, {"access_end": NOW + 3 * DAY},
                   expected_version=python.version, **BY)
    db.session.commit()
    assert status_in_list(python, NOW + 7 * DAY) is Status.CURRENT
    assert status_in_list(python, NOW + 8 * DAY) is Status.PAST
    # A new learner with the session's dates: the session's window again.
    enrolment.enrol_users(db.session, python.id, [world["dan"].id], **BY)
    db.session.commit()
    assert status_in_list(python, NOW + 7 * DAY) is Status.PAST
    enrolment.unenrol_user(db.session, python.id, world["dan"].id, **BY)
    db.session.commit()
    assert status_in_list(python, NOW + 7 * DAY) is Status.CURRENT


def test_setting_dates_does_not_bump_the_session_version(world):
    python = world["python"]
    version = python.version
    enrolment.change_learner_dates(db.session, python, [world["ann"].id, world["bob"].id,
                                                         world["cid"].id],
                                   dates_change(EXTEND, days=5, reason="strike"), **BY)
    db.session.commit()
    db.session.refresh(python)
    assert python.learners_span and python.version == version


def test_changing_only_the_reason_is_not_a_removal(world):
    python, ann = world["python"], world["ann"]
    for reason in ("leave", "medical leave"):
        enrolment.change_learner_dates(db.session, python, [ann.id],
                                       dates_change(EXTEND, days=5, reason=reason), **BY)
    db.session.commit()
    assert journal_sentences()[-1] == (
        "Anne Admin set the individual dates of Ann Tester in Python basics: the reason from "
        "leave to medical leave")
