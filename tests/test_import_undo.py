"""Undo of an enrolment import from the History: what goes back, what stays and why."""

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, insert, select

from portal import clock
from portal.domain import enrolment
from portal.domain.import_undo import (
    UndoRefused,
    undo_import,
    undo_plan,
    undo_status,
)
from portal.domain.journal import Actor, sentence
from portal.extensions import db
from portal.models import (
    ClassMembership,
    Enrolment,
    Grade,
    JournalEntry,
    SessionClass,
    Submission,
    User,
    UserClass,
)
from tests.helpers import NOW, add_course, hand_in, make_session

UTC = ZoneInfo("UTC")
ANNE = Actor(1, "Anne Admin")
BRUNO = Actor(2, "Bruno Boss")


@pytest.fixture
def world(make_user, frozen_now):
    """Python basics and Leadership; ann, bob, cid, dan; class Red team (ann)."""
    coach = make_user("cora", role="teacher")
    people = {name: make_user(name) for name in ("ann", "bob", "cid", "dan")}
    python = make_session(coach, "Python basics")
    leadership = make_session(coach, "Leadership")
    red = UserClass(name="Red team")
    db.session.add(red)
    db.session.flush()
    db.session.add(ClassMembership(class_id=red.id, user_id=people["ann"].id, added_at=NOW))
    db.session.commit()
    return {"python": python, "leadership": leadership, "red": red, **people}


def state() -> dict[tuple[str, str], tuple[str, bool]]:
    """Every enrolment: (session name, username) -> (source, direct)."""
    db.session.expire_all()
    from portal.models import TrainingSession
    rows = db.session.execute(
        select(TrainingSession.name, User.username, Enrolment.source, Enrolment.direct)
        .join(User, User.id == Enrolment.user_id)
        .join(TrainingSession, TrainingSession.id == Enrolment.session_id))
    return {(s, u): (source, direct) for s, u, source, direct in rows}


def do_import(w, adds=(), removes=(), *, file_name="spring.csv", by=ANNE, now=NOW) -> int:
    """Apply an import (pairs as (session key, username)); returns its journal head id."""
    def pairs(named):
        return {(w[s].id, w[u].id) for s, u in named}
    enrolment.apply_import(db.session, file_name, pairs(adds), pairs(removes), by=by, now=now)
    db.session.commit()
    return db.session.scalar(select(func.max(JournalEntry.id))
                             .where(JournalEntry.parent_id.is_(None)))


def undo(head_id, *, by=BRUNO, now=NOW + timedelta(days=1)):
    result = undo_import(db.session, head_id, by=by, now=now, tz=UTC)
    db.session.commit()
    return result


def test_undo_restores_the_enrolments_exactly(world):
    w = world
    enrolment.enrol_users(db.session, w["python"].id, [w["cid"].id], by=ANNE, now=NOW)
    enrolment.enrol_users(db.session, w["leadership"].id, [w["dan"].id], "import",
                          by=ANNE, now=NOW)
    db.session.commit()
    before = state()
    head = do_import(w, adds=[("python", "bob"), ("leadership", "bob")],
                     removes=[("python", "cid"), ("leadership", "dan")])
    assert state() != before
    result = undo(head)
    assert result.reverted == 4 and result.not_reverted == []
    assert state() == before  # dan is back as imported, cid as individually enrolled
    undo_head = db.session.get(JournalEntry, result.undo_entry_id)
    assert sentence(undo_head, UTC) == ("Bruno Boss undid the import of spring.csv "
                                        "(4 changes reverted, 0 left as they are)")
    assert undo_head.after["undoes"] == head and undo_head.object_id == head
    items = db.session.scalars(select(JournalEntry).where(
        JournalEntry.parent_id == undo_head.id).order_by(JournalEntry.id)).all()
    assert sorted(sentence(i, UTC) for i in items) == sorted([
        "Bruno Boss unenrolled Bob Tester from Python basics",
        "Bruno Boss unenrolled Bob Tester from Leadership",
        "Bruno Boss enrolled Cid Tester in Python basics by undoing the import of spring.csv",
        "Bruno Boss enrolled Dan Tester in Leadership by undoing the import of spring.csv",
    ])


def test_a_later_hand_change_is_left_alone_and_listed_with_why(world):
    w = world
    head = do_import(w, adds=[("python", "bob"), ("python", "cid")])
    later = NOW + timedelta(hours=2)
    enrolment.unenrol_user(db.session, w["python"].id, w["cid"].id,
                           by=Actor(3, "Anne Martin"), now=later)
    enrolment.enrol_users(db.session, w["python"].id, [w["cid"].id],
                          by=Actor(3, "Anne Martin"), now=later)
    db.session.commit()
    plan = undo_plan(db.session, head, now=NOW, tz=UTC)[1]
    assert plan.revert == 1 and len(plan.keep) == 1
    result = undo(head)
    assert result.reverted == 1
    [kept] = result.not_reverted
    assert kept.what == "Cid Tester in Python basics"
    assert kept.why == "enrolled individually by Anne Martin on 29 Nov 2026 at 14:00"
    assert state() == {("Python basics", "cid"): ("individual", True)}


def test_undo_twice_changes_nothing_and_says_when_and_by_whom(world):
    head = do_import(world, adds=[("python", "bob")])
    undo(head)
    count = db.session.scalar(select(func.count()).select_from(JournalEntry))
    with pytest.raises(UndoRefused, match="already undone on 30 Nov 2026 at 12:00 by Bruno Boss"):
        undo(head)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(JournalEntry)) == count
    status = undo_status(db.session, db.session.get(JournalEntry, head), NOW)
    assert status.state == "undone" and status.undone_by == "Bruno Boss"


def test_an_import_older_than_30_days_is_refused(world):
    head = do_import(world, adds=[("python", "bob")])
    entry = db.session.get(JournalEntry, head)
    assert undo_status(db.session, entry, NOW + timedelta(days=30)).state == "undoable"
    assert undo_status(db.session, entry, NOW + timedelta(days=31)).state == "too_old"
    with pytest.raises(UndoRefused, match="more than 30 days old"):
        undo(head, now=NOW + timedelta(days=31))
    db.session.rollback()
    assert ("Python basics", "bob") in state()


def test_only_import_heads_can_be_undone(world):
    enrolment.enrol_users(db.session, world["python"].id, [world["bob"].id, world["cid"].id],
                          by=ANNE, now=NOW)
    db.session.commit()
    head = db.session.scalar(select(func.max(JournalEntry.id))
                             .where(JournalEntry.parent_id.is_(None)))
    with pytest.raises(UndoRefused, match="not an import"):
        undo(head)
    with pytest.raises(UndoRefused, match="not an import"):
        undo(10**12)


def test_undo_of_a_removal_enrols_again_with_the_same_origin(world):
    w = world
    enrolment.enrol_users(db.session, w["python"].id, [w["bob"].id], by=ANNE, now=NOW)
    db.session.commit()
    head = do_import(w, removes=[("python", "bob")])
    assert state() == {}
    assert undo(head).reverted == 1
    assert state() == {("Python basics", "bob"): ("individual", True)}


def test_a_learner_also_in_a_linked_class_stays_enrolled_through_it(world):
    w = world
    enrolment.link_class(db.session, w["python"].id, w["red"].id, by=ANNE, now=NOW)
    db.session.commit()
    assert state() == {("Python basics", "ann"): ("class", False)}
    head = do_import(w, adds=[("python", "ann"), ("python", "bob")])
    assert state()[("Python basics", "ann")] == ("class", True)  # made direct
    assert undo(head).reverted == 2
    assert state() == {("Python basics", "ann"): ("class", False)}


def test_a_removal_kept_by_a_class_gets_its_direct_reason_back(world):
    w = world
    enrolment.enrol_users(db.session, w["python"].id, [w["ann"].id], by=ANNE, now=NOW)
    enrolment.link_class(db.session, w["python"].id, w["red"].id, by=ANNE, now=NOW)
    db.session.commit()
    head = do_import(w, removes=[("python", "ann")])
    assert state() == {("Python basics", "ann"): ("individual", False)}
    assert undo(head).reverted == 1
    assert state() == {("Python basics", "ann"): ("individual", True)}


def test_a_deleted_session_is_listed(world):
    from portal.domain.sessions import delete_session
    w = world
    head = do_import(w, adds=[("leadership", "bob"), ("python", "bob")])
    delete_session(db.session, w["leadership"], by=ANNE, now=NOW)
    db.session.commit()
    result = undo(head)
    assert result.reverted == 1
    assert [(k.what, k.why) for k in result.not_reverted] == [
        ("Bob Tester in Leadership", "the session was deleted")]


def test_hand_ins_and_grades_stay_after_an_undo(world):
    w = world
    head = do_import(w, adds=[("python", "bob")])
    course = add_course(w["python"])
    from portal.models import Assignment
    assignment = Assignment(course_id=course.id, title="Loops", max_score=10)
    db.session.add(assignment)
    db.session.commit()
    hand_in(w["python"], w["bob"], assignment, at=NOW, score=8)
    result = undo(head)
    assert result.reverted == 1  # a hand-in is not a journal entry of the enrolment
    assert state() == {}
    assert db.session.scalar(select(func.count()).select_from(Submission)) == 1
    assert db.session.scalar(select(func.count()).select_from(Grade)) == 1


def _bulk_import(w, n: int, tag: str) -> int:
    db.session.execute(insert(User), [
        {"username": f"{tag}{i}", "email": f"{tag}{i}@example.org", "first_name": "F",
         "last_name": f"L{i}", "role": "learner"} for i in range(n)])
    ids = list(db.session.scalars(select(User.id).where(User.username.like(f"{tag}%"))))
    # Half were enrolled individually before (the import removes them), half are new;
    # a few are in a linked class.
    team = UserClass(name=f"Team {tag}")
    db.session.add(team)
    db.session.flush()
    db.session.execute(insert(ClassMembership), [
        {"class_id": team.id, "user_id": uid, "added_at": NOW} for uid in ids[:3]])
    db.session.execute(insert(SessionClass), [
        {"class_id": team.id, "session_id": w["python"].id, "linked_at": NOW}])
    db.session.execute(insert(Enrolment), [
        {"session_id": w["leadership"].id, "user_id": uid, "source": "individual",
         "direct": True, "enrolled_at": NOW, "extension_days": 0} for uid in ids[n // 2:]])
    db.session.commit()
    enrolment.apply_import(db.session, f"{tag}.csv", {(w["python"].id, u) for u in ids},
                           {(w["leadership"].id, u) for u in ids[n // 2:]}, by=ANNE, now=NOW)
    db.session.commit()
    return db.session.scalar(select(func.max(JournalEntry.id))
                             .where(JournalEntry.parent_id.is_(None)))


def test_undo_costs_the_same_queries_for_20_and_300_rows(world, count_queries):
    observed = []
    for n, tag in ((20, "small"), (300, "large")):
        head = _bulk_import(world, n, tag)
        with count_queries() as counter:
            result = undo_import(db.session, head, by=BRUNO, now=NOW, tz=UTC)
        db.session.commit()
        assert result.reverted == n + n // 2 and not result.not_reverted
        observed.append(counter.count)
    assert observed[0] == observed[1], observed
    assert observed[0] <= 25, observed


# --- the History pages -------------------------------------------------------------------


@pytest.fixture
def admin_client(client, make_user, world):
    make_user("anne", role="admin", first_name="Anne", last_name="Admin")
    client.login("anne")
    return client


def _undo_url(head: int) -> str:
    return f"/admin/history/{head}/undo"


def test_the_page_flow_button_confirm_result(admin_client, world):
    w = world
    head = do_import(w, adds=[("python", "bob"), ("python", "cid")])
    enrolment.unenrol_user(db.session, w["python"].id, w["cid"].id,
                           by=Actor(3, "Anne Martin"), now=NOW + timedelta(hours=1))
    db.session.commit()
    page = admin_client.get_page("/admin/history")
    button = page.select_one(f"#entry-{head} a.undo-button")
    assert button is not None and button.text.strip() == "Undo this import"
    assert button["href"] == _undo_url(head)
    # Without JavaScript: a confirmation page; with htmx: the box alone.
    confirm = admin_client.get_page(_undo_url(head))
    assert confirm.select_one("h1").text == "Undo the import of spring.csv?"
    details = confirm.select_one(".confirm").text
    assert "1 change will be reverted" in details
    assert "1 change will stay as it is" in details
    assert "Hand-ins and grades are kept" in details
    box = admin_client.htmx_get(_undo_url(head))
    assert box.status_code == 200 and b"<h1" not in box.data and b"confirm" in box.data
    result = admin_client.post_page(_undo_url(head))
    assert "1 change reverted" in result.select_one(".undo-result").text
    kept = [li.text for li in result.select(".undo-result li")]
    # In the admin's zone (the portal's, Europe/Paris here).
    assert kept == ["Cid Tester in Python basics: unenrolled (was enrolled by import) by "
                    "Anne Martin on 29 Nov 2026 at 14:00"]
    link = result.select_one(".undo-result a.undo-entry")
    assert link["href"].endswith(f"#entry-{link['href'].rsplit('-', 1)[1]}")
    assert state() == {}
    # The History now says it was undone, with no button; a second POST is refused.
    page = admin_client.get_page("/admin/history")
    assert page.select_one(f"#entry-{head} a.undo-button") is None
    assert "Undone on" in page.select_one(f"#entry-{head}").text
    again = admin_client.post_page(_undo_url(head), status=409)
    assert "already undone" in again.text


def test_the_htmx_post_answers_the_result_fragment(admin_client, world):
    head = do_import(world, adds=[("python", "bob")])
    response = admin_client.post(_undo_url(head), htmx=True)
    assert response.status_code == 200
    assert b"<html" not in response.data and b"undo-result" in response.data
    assert f'id="undo-{head}"'.encode() in response.data


def test_an_old_import_shows_no_button_and_a_post_is_refused(admin_client, world):
    head = do_import(world, adds=[("python", "bob")])
    clock.set_now(NOW + timedelta(days=31))
    page = admin_client.get_page("/admin/history")
    assert page.select_one(f"#entry-{head} a.undo-button") is None
    refused = admin_client.post_page(_undo_url(head), status=409)
    assert "more than 30 days old" in refused.text
    assert ("Python basics", "bob") in state()


def test_the_undo_needs_csrf_and_an_admin(client, make_user, world):
    head = do_import(world, adds=[("python", "bob")])
    make_user("anne", role="admin")
    client.login("anne")
    raw = client.client.post(_undo_url(head), data={})
    assert raw.status_code == 400  # no CSRF token
    client.logout()
    make_user("tess", role="teacher")
    client.login("tess")
    assert client.post(_undo_url(head)).status_code == 404
    assert client.get(_undo_url(head)).status_code == 404
    assert ("Python basics", "bob") in state()


def test_the_session_history_tab_offers_the_undo_too(admin_client, world):
    head = do_import(world, adds=[("python", "bob"), ("leadership", "bob")])
    page = admin_client.get_page(f"/admin/sessions/{world['python'].id}/history")
    assert page.select_one(f"#entry-{head} a.undo-button") is not None


def test_asking_to_undo_what_is_not_an_import_says_so(admin_client, world):
    page = admin_client.get_page(_undo_url(99999), status=409)
    assert "not an import" in page.select_one(".undo-result").text
    admin_client.get_page("/admin/history/99999999999999999999/undo", status=404)
