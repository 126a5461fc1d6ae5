"""The one enrolment write path: the pairs each change returns and the journal it writes."""

import io
from zoneinfo import ZoneInfo

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import func, insert, select

from portal.domain import classes, enrolment
from portal.domain.csv_import import apply, preview, read_csv
from portal.domain.enrolment import EnrolmentRequest, How, change_enrolments
from portal.domain.journal import Actor, sentence
from portal.domain.people import learner_history
from portal.extensions import db
from portal.models import ClassMembership, Enrolment, JournalEntry, User, UserClass
from tests.helpers import NOW, make_session

UTC = ZoneInfo("UTC")
ANNE = Actor(1, "Anne Admin", "req-0001", "10.0.0.1")
BY = {"by": ANNE, "now": NOW}


@pytest.fixture
def world(make_user, frozen_now):
    """Python basics and Leadership; ann, bob, cid, dan; class Red team (ann, bob) and
    Blue team (bob)."""
    coach = make_user("cora", role="teacher")
    people = {name: make_user(name) for name in ("ann", "bob", "cid", "dan")}
    python = make_session(coach, "Python basics")
    leadership = make_session(coach, "Leadership")
    red, blue = UserClass(name="Red team"), UserClass(name="Blue team")
    db.session.add_all([red, blue])
    db.session.flush()
    db.session.add_all([ClassMembership(class_id=red.id, user_id=people["ann"].id),
                        ClassMembership(class_id=red.id, user_id=people["bob"].id),
                        ClassMembership(class_id=blue.id, user_id=people["bob"].id)])
    db.session.commit()
    return {"python": python, "leadership": leadership, "red": red, "blue": blue, **people}


def entries() -> list[JournalEntry]:
    """The journal without the logins of the test client."""
    db.session.expire_all()
    return list(db.session.scalars(select(JournalEntry).where(JournalEntry.object_type != "login")
                                   .order_by(JournalEntry.id)))


def sentences(rows=None) -> list[str]:
    return [sentence(e, UTC) for e in (entries() if rows is None else rows)]


def enrolled(session) -> dict[str, bool]:
    rows = db.session.execute(select(User.username, Enrolment.direct)
                              .join(User, User.id == Enrolment.user_id)
                              .where(Enrolment.session_id == session.id))
    return dict(rows.all())


# --- individual -------------------------------------------------------------------------


def test_one_individual_add_and_remove_write_one_item_each(world):
    python, ann = world["python"], world["ann"]
    changes = enrolment.enrol_users(db.session, python.id, [ann.id], **BY)
    assert changes.added == [(python.id, ann.id)] and not changes.removed + changes.changed
    removal = enrolment.unenrol_user(db.session, python.id, ann.id, **BY)
    assert removal.removed and removal.changes.removed == [(python.id, ann.id)]
    db.session.commit()
    assert sentences() == ["Anne Admin enrolled Ann Tester in Python basics individually",
                           "Anne Admin unenrolled Ann Tester from Python basics"]
    first = entries()[0]
    assert (first.parent_id, first.session_id, first.learner_id, first.after) == (
        None, python.id, ann.id, {"how": "individual"})
    assert (first.actor_id, first.request_id, first.address) == (1, "req-0001", "10.0.0.1")
    assert entries()[1].before == {"how": "individual"}


def test_several_learners_get_a_head_with_the_counts(world):
    python = world["python"]
    ids = [world[name].id for name in ("ann", "bob", "cid")]
    changes = enrolment.enrol_users(db.session, python.id, ids, **BY)
    assert sorted(changes.added) == sorted((python.id, uid) for uid in ids)
    db.session.commit()
    head, *items = entries()
    assert sentence(head, UTC) == "Anne Admin enrolled 3 learners in Python basics individually"
    assert head.after == {"added": 3, "removed": 0, "changed": 0, "how": "individual"}
    assert {e.parent_id for e in items} == {head.id}
    assert sorted(e.learner_label for e in items) == ["Ann Tester", "Bob Tester", "Cid Tester"]


def test_nothing_changed_writes_nothing(world):
    python, ann = world["python"], world["ann"]
    enrolment.enrol_users(db.session, python.id, [ann.id], **BY)
    db.session.commit()
    before = len(entries())
    assert not enrolment.enrol_users(db.session, python.id, [ann.id], **BY)
    assert not enrolment.unenrol_user(db.session, python.id, world["bob"].id, **BY).changes
    assert not enrolment.enrol_users(db.session, python.id, [], **BY)
    db.session.commit()
    assert len(entries()) == before


def test_direct_and_class_reasons_change_how_a_learner_is_enrolled(world):
    python, red, ann = world["python"], world["red"], world["ann"]
    enrolment.link_class(db.session, python.id, red.id, **BY)
    made_direct = enrolment.enrol_users(db.session, python.id, [ann.id], **BY)
    assert made_direct.changed == made_direct.made_direct == [(python.id, ann.id)]
    assert not made_direct.added
    kept = enrolment.unenrol_user(db.session, python.id, ann.id, **BY)
    assert kept == enrolment.Removal(False, ("Red team",))
    assert kept.changes.kept_by_class == [(python.id, ann.id)]
    db.session.commit()
    assert enrolled(python)["ann"] is False
    assert sentences()[-2:] == [
        "Anne Admin changed how Ann Tester is enrolled in Python basics: now individually, "
        "before through a class",
        "Anne Admin changed how Ann Tester is enrolled in Python basics: now through a class, "
        "before individually"]


# --- classes ------------------------------------------------------------------------------


def test_linking_and_unlinking_a_class(world):
    python, red, blue = world["python"], world["red"], world["blue"]
    linked = enrolment.link_class(db.session, python.id, red.id, **BY)
    assert sorted(linked.added) == [(python.id, world["ann"].id), (python.id, world["bob"].id)]
    assert linked.class_rows == 1
    enrolment.link_class(db.session, python.id, blue.id, **BY)  # bob: already enrolled
    unlinked = enrolment.unlink_class(db.session, python.id, red.id, **BY)
    assert unlinked.removed == [(python.id, world["ann"].id)]  # bob stays through Blue team
    db.session.commit()
    rows = entries()
    heads = [e for e in rows if e.parent_id is None]
    assert sentences(heads) == [
        "Anne Admin linked class Red team to Python basics (2 learners enrolled)",
        "Anne Admin linked class Blue team to Python basics (0 learners enrolled)",
        "Anne Admin unlinked class Red team from Python basics (1 learner unenrolled)"]
    items = [e for e in rows if e.parent_id == heads[0].id]
    assert sorted(sentences(items)) == [
        "Anne Admin enrolled Ann Tester in Python basics through class Red team",
        "Anne Admin enrolled Bob Tester in Python basics through class Red team"]
    assert sentences([e for e in rows if e.parent_id == heads[2].id]) == [
        "Anne Admin unenrolled Ann Tester from Python basics"]
    # Linking again changes nothing, and says nothing.
    assert not enrolment.link_class(db.session, python.id, blue.id, **BY)
    db.session.commit()
    assert len(entries()) == len(rows)


def test_class_members_follow_the_live_link(world):
    python, leadership, red, cid = world["python"], world["leadership"], world["red"], world["cid"]
    enrolment.link_class(db.session, python.id, red.id, **BY)
    enrolment.link_class(db.session, leadership.id, red.id, **BY)
    db.session.commit()
    start = len(entries())
    joined = enrolment.add_class_member(db.session, red.id, cid.id, **BY)
    assert sorted(joined.added) == [(python.id, cid.id), (leadership.id, cid.id)]
    left = enrolment.remove_class_member(db.session, red.id, cid.id, **BY)
    assert sorted(left.removed) == sorted(joined.added)
    db.session.commit()
    head, *items = entries()[start:start + 3]
    assert sentence(head, UTC) == "Anne Admin added Cid Tester to class Red team"
    assert sorted(sentences(items)) == [
        "Anne Admin enrolled Cid Tester in Leadership through class Red team",
        "Anne Admin enrolled Cid Tester in Python basics through class Red team"]
    assert {e.parent_id for e in items} == {head.id}
    assert sentences(entries()[start + 3:start + 4]) == [
        "Anne Admin removed Cid Tester from class Red team"]


def test_class_create_update_and_delete(world):
    python = world["python"]
    team = classes.create_class(db.session, "Night shift", "Works late", **BY)
    classes.update_class(db.session, team, "Night owls", "Works late", **BY)
    classes.update_class(db.session, team, "Night owls", "Works late", **BY)  # no change
    enrolment.add_class_member(db.session, team.id, world["dan"].id, **BY)
    enrolment.link_class(db.session, python.id, team.id, **BY)
    db.session.commit()
    start = len(entries())
    gone = classes.delete_class(db.session, team, **BY)
    assert gone.removed == [(python.id, world["dan"].id)]
    db.session.commit()
    assert "dan" not in enrolled(python)
    assert sentences()[:2] == [
        "Anne Admin created the class Night shift",
        "Anne Admin renamed the class Night shift to Night owls"]
    head, item = entries()[start:]
    assert sentence(head, UTC) == "Anne Admin deleted the class Night owls"
    assert (item.parent_id, sentence(item, UTC)) == (
        head.id, "Anne Admin unenrolled Dan Tester from Python basics")


# --- import -------------------------------------------------------------------------------


@pytest.fixture
def admin_client(client, make_user, world):
    make_user("anne", role="admin", first_name="Anne", last_name="Admin")
    client.login("anne")
    return client


def _import(client, url, text, name="enrolments.csv"):
    response = client.post(url, {"file": (io.BytesIO(text.encode()), name)})
    page = BeautifulSoup(response.data, "html.parser")
    token = page.select_one("input[name=token]")
    if token is None:
        return page
    form = {"token": token["value"],
            "signature": page.select_one("input[name=signature]")["value"]}
    response = client.post(url + "/apply", form)
    assert response.status_code == 200, response.data[:500]
    return BeautifulSoup(response.data, "html.parser")


def test_an_import_on_the_session_page_is_one_sentence(admin_client, world):
    url = f"/admin/sessions/{world['python'].id}/import"
    _import(admin_client, url, "username\nann\nbob\ncid\n")
    head, *items = entries()
    assert sentence(head, UTC) == ("Anne Admin enrolled 3 learners in Python basics by "
                                   "importing enrolments.csv")
    assert head.request_id and head.actor_name == "Anne Admin"
    assert sorted(sentences(items)) == [
        f"Anne Admin enrolled {name} Tester in Python basics by importing enrolments.csv"
        for name in ("Ann", "Bob", "Cid")]
    # The same file again: nothing to change, nothing journaled.
    again = _import(admin_client, url, "username\nann\nbob\ncid\n")
    assert "Nothing to apply" in again.text
    assert len(entries()) == 4


def test_an_import_across_sessions_counts_them(admin_client, world):
    enrolment.enrol_users(db.session, world["leadership"].id, [world["dan"].id], **BY)
    db.session.commit()
    start = len(entries())
    text = ("username,session,action\nann,Python basics,add\nbob,Leadership,add\n"
            "dan,Leadership,remove\n")
    _import(admin_client, "/admin/import", text, name="spring.csv")
    head = entries()[start]
    assert sentence(head, UTC) == ("Anne Admin enrolled 2 learners and unenrolled 1 learner "
                                   "in 2 sessions by importing spring.csv")
    assert head.after == {"added": 2, "removed": 1, "changed": 0, "sessions": 2,
                          "how": "import", "file": "spring.csv"}
    assert len(entries()) == start + 4


def test_import_pairs_and_journal_through_the_functions(world):
    python, red = world["python"], world["red"]
    enrolment.link_class(db.session, python.id, red.id, **BY)
    db.session.commit()
    parsed = read_csv(b"username\nann\ncid\n", session_required=False)
    outcome = apply(db.session, preview(db.session, parsed, python), file_name="a.csv",
                    valid_rows_only=False, **BY)
    assert (outcome.added, outcome.made_direct) == (2, 1)
    assert outcome.changes.added == [(python.id, world["cid"].id)]
    assert outcome.changes.made_direct == [(python.id, world["ann"].id)]
    db.session.commit()
    assert sentence(entries()[-3], UTC) == (
        "Anne Admin enrolled 1 learner and changed how 1 learner is enrolled in Python basics "
        "by importing a.csv")


# --- transactions and queries ------------------------------------------------------------


def test_a_rolled_back_change_leaves_no_journal_entry(world):
    enrolment.link_class(db.session, world["python"].id, world["red"].id, **BY)
    enrolment.enrol_users(db.session, world["python"].id, [world["cid"].id], **BY)
    db.session.rollback()
    assert entries() == []
    assert enrolled(world["python"]) == {}


def test_a_class_request_names_a_session_or_a_member():
    with pytest.raises(ValueError):
        enrolment.ClassChange(1, True)
    with pytest.raises(ValueError):
        enrolment.ClassChange(1, False, session_id=1, user_id=2)
    with pytest.raises(ValueError):
        change_enrolments(None, EnrolmentRequest(How("class"), enrol={(1, 2)}), **BY)


def _users(n: int, prefix: str) -> list[int]:
    db.session.execute(insert(User), [
        {"username": f"{prefix}{i}", "email": f"{prefix}{i}@example.org", "first_name": "F",
         "last_name": f"L{i}", "role": "learner"} for i in range(n)])
    return list(db.session.scalars(select(User.id).where(User.username.like(f"{prefix}%"))))


def _queries_of_each_change(count_queries, python, leadership, team, ids) -> list[int]:
    steps = [
        lambda: enrolment.enrol_users(db.session, python.id, ids, **BY),
        lambda: enrolment.link_class(db.session, python.id, team.id, **BY),
        lambda: enrolment.link_class(db.session, leadership.id, team.id, **BY),
        lambda: enrolment.unenrol_user(db.session, python.id, ids[0], **BY),
        lambda: enrolment.unlink_class(db.session, python.id, team.id, **BY),
        lambda: enrolment.remove_class_member(db.session, team.id, ids[1], **BY),
        lambda: enrolment.apply_import(db.session, "f.csv", {(leadership.id, u) for u in ids[2:]},
                                       {(python.id, u) for u in ids[2:]}, **BY),
        lambda: classes.delete_class(db.session, team, **BY),
    ]
    counts = []
    for step in steps:
        with count_queries() as counter:
            assert step()
        counts.append(counter.count)
    return counts


def test_each_kind_of_change_costs_the_same_queries_for_10_and_200_learners(
        world, count_queries):
    observed = []
    for n in (10, 200):
        ids = _users(n, f"n{n}_")
        team = classes.create_class(db.session, f"Team {n}", "", **BY)
        db.session.execute(insert(ClassMembership), [
            {"class_id": team.id, "user_id": uid, "added_at": NOW} for uid in ids])
        db.session.commit()
        observed.append(_queries_of_each_change(count_queries, world["python"],
                                                world["leadership"], team, ids))
        db.session.rollback()
    assert observed[0] == observed[1], observed
    assert max(observed[0]) <= 8, observed


# --- a learner's history in a session ---------------------------------------------------


def test_learner_history_tells_how_they_came_and_went(world):
    python, red, ann = world["python"], world["red"], world["ann"]
    enrolment.enrol_users(db.session, python.id, [ann.id], **BY)
    enrolment.link_class(db.session, python.id, red.id, **BY)
    enrolment.unenrol_user(db.session, python.id, ann.id, **BY)
    enrolment.remove_class_member(db.session, red.id, ann.id, **BY)
    enrolment.enrol_users(db.session, world["leadership"].id, [ann.id], **BY)  # elsewhere
    db.session.commit()
    history = learner_history(db.session, python.id, ann.id)
    assert [sentence(e, UTC) for e in history] == [
        "Anne Admin enrolled Ann Tester in Python basics individually",
        "Anne Admin changed how Ann Tester is enrolled in Python basics: now through a class, "
        "before individually",
        "Anne Admin unenrolled Ann Tester from Python basics"]


def test_learner_history_is_one_query(world, count_queries):
    session_id, user_id = world["python"].id, world["ann"].id
    enrolment.enrol_users(db.session, session_id, [user_id], **BY)
    enrolment.enrol_users(db.session, session_id, [world["bob"].id], **BY)
    db.session.commit()
    with count_queries() as counter:
        assert len(learner_history(db.session, session_id, user_id)) == 1
    assert counter.count == 1
    assert db.session.scalar(select(func.count()).select_from(JournalEntry)) == 2
