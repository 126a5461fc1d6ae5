"""Enrolment rules: direct and class reasons, the live class link, exact removal."""

import pytest
from sqlalchemy import select

from portal.domain import classes, enrolment
from portal.domain.journal import SYSTEM
from portal.extensions import db
from portal.models import ClassMembership, Enrolment, UserClass
from tests.helpers import NOW, make_session

BY = {"by": SYSTEM, "now": NOW}  # who and when, for the journal


@pytest.fixture
def world(make_user):
    coach = make_user("cora", role="teacher")
    s1 = make_session(coach, name="S1")
    s2 = make_session(coach, name="S2")
    ann, bob, cid = make_user("ann"), make_user("bob"), make_user("cid")
    red = UserClass(name="Red")
    blue = UserClass(name="Blue")
    db.session.add_all([red, blue])
    db.session.flush()
    db.session.add_all([
        ClassMembership(class_id=red.id, user_id=ann.id),
        ClassMembership(class_id=red.id, user_id=bob.id),
        ClassMembership(class_id=blue.id, user_id=bob.id),
    ])
    db.session.commit()
    return {"s1": s1, "s2": s2, "ann": ann, "bob": bob, "cid": cid, "red": red, "blue": blue}


def enrolled(session):
    rows = db.session.execute(
        select(Enrolment.user_id, Enrolment.source, Enrolment.direct)
        .where(Enrolment.session_id == session.id)
    ).all()
    return {uid: (source, direct) for uid, source, direct in rows}


def test_individual_enrolment_is_idempotent(world):
    s1, ann = world["s1"], world["ann"]
    assert len(enrolment.enrol_users(db.session, s1.id, [ann.id], "individual", **BY).added) == 1
    assert len(enrolment.enrol_users(db.session, s1.id, [ann.id], "individual", **BY).added) == 0
    assert enrolled(s1) == {ann.id: ("individual", True)}


def test_linking_a_class_enrols_its_members(world):
    s1, red = world["s1"], world["red"]
    assert len(enrolment.link_class(db.session, s1.id, red.id, **BY).added) == 2
    assert enrolled(s1) == {world["ann"].id: ("class", False), world["bob"].id: ("class", False)}
    assert len(enrolment.link_class(db.session, s1.id, red.id, **BY).added) == 0


def test_unlinking_keeps_learners_with_another_reason(world):
    s1, red, blue = world["s1"], world["red"], world["blue"]
    ann, bob, cid = world["ann"], world["bob"], world["cid"]
    enrolment.enrol_users(db.session, s1.id, [cid.id], "individual", **BY)
    enrolment.link_class(db.session, s1.id, red.id, **BY)
    enrolment.link_class(db.session, s1.id, blue.id, **BY)
    # ann also direct now
    enrolment.enrol_users(db.session, s1.id, [ann.id], "import", **BY)
    assert len(enrolment.unlink_class(db.session, s1.id, red.id, **BY).removed) == 0
    assert set(enrolled(s1)) == {ann.id, bob.id, cid.id}  # bob stays through Blue
    assert len(enrolment.unlink_class(db.session, s1.id, blue.id, **BY).removed) == 1
    assert set(enrolled(s1)) == {ann.id, cid.id}


def test_removing_a_class_learner_individually_keeps_them_and_names_the_class(world):
    s1, red, ann = world["s1"], world["red"], world["ann"]
    enrolment.enrol_users(db.session, s1.id, [ann.id], "individual", **BY)
    enrolment.link_class(db.session, s1.id, red.id, **BY)
    removal = enrolment.unenrol_user(db.session, s1.id, ann.id, **BY)
    assert removal == enrolment.Removal(False, ("Red",))
    assert enrolled(s1)[ann.id] == ("individual", False)
    enrolment.unlink_class(db.session, s1.id, red.id, **BY)
    assert ann.id not in enrolled(s1)


def test_direct_removal_deletes(world):
    s1, cid = world["s1"], world["cid"]
    enrolment.enrol_users(db.session, s1.id, [cid.id], "individual", **BY)
    assert enrolment.unenrol_user(db.session, s1.id, cid.id, **BY).removed
    assert enrolled(s1) == {}


def test_live_link_follows_new_and_removed_members(world):
    s1, s2, red, blue = world["s1"], world["s2"], world["red"], world["blue"]
    cid, bob = world["cid"], world["bob"]
    enrolment.link_class(db.session, s1.id, red.id, **BY)
    enrolment.link_class(db.session, s2.id, red.id, **BY)
    enrolment.link_class(db.session, s2.id, blue.id, **BY)
    assert len(enrolment.add_class_member(db.session, red.id, cid.id, **BY).added) == 2
    assert cid.id in enrolled(s1) and cid.id in enrolled(s2)
    assert len(enrolment.remove_class_member(db.session, red.id, cid.id, **BY).removed) == 2
    assert cid.id not in enrolled(s1) and cid.id not in enrolled(s2)
    # bob leaves Red: unenrolled from S1, kept in S2 through Blue
    assert len(enrolment.remove_class_member(db.session, red.id, bob.id, **BY).removed) == 1
    assert bob.id not in enrolled(s1) and bob.id in enrolled(s2)


def test_deleting_a_class_unenrols_what_it_brought(world):
    s1, red, ann = world["s1"], world["red"], world["ann"]
    enrolment.link_class(db.session, s1.id, red.id, **BY)
    enrolment.enrol_users(db.session, s1.id, [ann.id], "individual", **BY)
    classes.delete_class(db.session, red, **BY)
    db.session.commit()
    assert set(enrolled(s1)) == {ann.id}


def test_the_unlink_question_counts_exactly_whom_unlinking_unenrols(world):
    s1, s2, red, blue = world["s1"], world["s2"], world["red"], world["blue"]
    ann, bob = world["ann"], world["bob"]
    enrolment.link_class(db.session, s1.id, red.id, **BY)
    enrolment.link_class(db.session, s1.id, blue.id, **BY)  # bob is in both classes
    enrolment.link_class(db.session, s2.id, red.id, **BY)
    enrolment.enrol_users(db.session, s2.id, [ann.id], "individual", **BY)  # ann herself too
    for session, expected in ((s1, {ann.id}), (s2, {bob.id})):
        asked = enrolment.unlink_impact(db.session, session.id, red.id)
        removed = enrolment.unlink_class(db.session, session.id, red.id, **BY).removed
        assert asked == len(removed) and {user for _, user in removed} == expected
    assert enrolment.unlink_impact(db.session, s1.id, blue.id) == 1  # bob, now only by blue
