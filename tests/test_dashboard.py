"""The admin dashboard: the administration's home page."""

from datetime import timedelta

import pytest
from sqlalchemy import insert, select

from portal.domain.enrolment import apply_import, enrol_users
from portal.domain.journal import Actor
from portal.extensions import db
from portal.models import TrainingSession
from tests.helpers import NOW, add_course, make_session

DASHBOARD = "/admin/"
ROOT = Actor(None, "Root Admin")


@pytest.fixture
def admin(client, make_user, frozen_now):
    user = make_user("root", role="admin")
    client.login("root")
    return user


@pytest.fixture
def coach(make_user):
    return make_user("cora", role="teacher")


def section_names(page, section_id):
    return [a.text for a in page.select(f"#{section_id} li a")]


def session(coach, name, starts_in, ends_in, *, courses=1, **fields):
    made = make_session(coach, name, starts_in=starts_in, ends_in=ends_in, **fields)
    for number in range(courses):
        add_course(made, code=f"C{number}", title=f"Course {number}")
    return made


def test_admins_land_on_the_dashboard(client, admin):
    assert client.get("/").headers["Location"] == DASHBOARD
    page = client.get_page(DASHBOARD)
    assert page.select_one("h1").text == "Dashboard"
    current = page.select_one("aside.sidebar a[aria-current=page]")
    assert current.text == "Dashboard" and current["href"] == DASHBOARD
    assert client.get_page("/admin/sessions").select_one("h1").text == "Sessions"


def test_sessions_starting_and_ending_in_the_next_7_days(client, admin, coach):
    session(coach, "Starts tomorrow", 1, 20)
    session(coach, "Starts in 7 days", 7, 20)
    session(coach, "Starts in 9 days", 9, 20)
    session(coach, "Ends in 2 days", -10, 2)
    session(coach, "Ends in 6 days", -10, 6)
    session(coach, "Ended yesterday", -10, -1)
    session(coach, "Never ends", -10, None)
    session(coach, "Self-paced, shown from tomorrow", None, None, duration_days=30,
            display_start=NOW + timedelta(days=2))
    page = client.get_page(DASHBOARD)
    assert section_names(page, "starting") == [
        "Starts tomorrow", "Self-paced, shown from tomorrow", "Starts in 7 days"]
    assert section_names(page, "ending") == ["Ends in 2 days", "Ends in 6 days"]
    first = page.select_one("#starting li")
    assert " ".join(first.get_text(" ").split()) == "Starts tomorrow from 30 Nov 2026 at 13:00"
    assert "until 1 Dec 2026 at 13:00" in page.select_one("#ending li").get_text(" ")
    assert page.select_one("#starting h2").text == "Starting in the next 7 days (3)"


def test_each_list_shows_ten_and_links_to_the_list_filtered_alike(client, admin, coach):
    db.session.execute(insert(TrainingSession), [
        {"name": f"Soon {i:02d}", "coach_id": coach.id, "after_end_policy": "read_only",
         "version": 1, "description": "", "created_at": NOW, "updated_at": NOW,
         "access_start": NOW + timedelta(hours=i + 1), "access_end": NOW + timedelta(days=30)}
        for i in range(12)
    ])
    db.session.commit()
    page = client.get_page(DASHBOARD)
    assert section_names(page, "starting") == [f"Soon {i:02d}" for i in range(10)]
    see_all = page.select_one("#starting .see-all a")
    assert see_all.text == "See all 12"
    listed = client.get_page(see_all["href"])
    assert [a.text for a in listed.select("tbody td:first-child a")] == [
        f"Soon {i:02d}" for i in range(12)]
    # The sessions without courses cannot be filtered so in the list: counted instead.
    assert page.select_one("#without-courses .see-all").text == "10 of 12 shown"


def test_sessions_that_need_attention(client, admin, coach, make_user):
    gone = make_user("gone", role="teacher", active=False)
    ted = make_user("ted", role="teacher")
    orphan = session(gone, "Coach deactivated", -1, 10)
    session(gone, "Coach deactivated, past", -20, -10)
    helped = session(gone, "Coach deactivated, a course coach left", -1, 10, courses=0)
    add_course(helped, code="T1", coaches=[ted])
    session(coach, "No course yet", 2, 10, courses=0)
    session(coach, "No course, past", -20, -10, courses=0)
    session(coach, "Complete", -1, 10)
    page = client.get_page(DASHBOARD)
    assert section_names(page, "without-coach") == ["Coach deactivated"]
    assert section_names(page, "without-courses") == ["No course yet"]
    link = page.select_one("#without-coach li a")["href"]
    assert link == f"/admin/sessions/{orphan.id}"


def test_counts_by_status_link_to_the_filtered_list(client, admin, coach):
    session(coach, "Active one", -1, 10)
    session(coach, "Active two", -1, None)
    session(coach, "Upcoming", 2, 10)
    session(coach, "Past", -20, -10)
    session(coach, "Self-paced, hidden since yesterday", None, None, duration_days=5,
            display_end=NOW - timedelta(days=1))
    page = client.get_page(DASHBOARD)
    tiles = {" ".join(a.get_text(" ").split()): a["href"] for a in page.select(".status-counts a")}
    assert tiles == {"2 Active": "/admin/sessions?status=active",
                     "1 Upcoming": "/admin/sessions?status=upcoming",
                     "2 Past": "/admin/sessions?status=past",
                     "5 All sessions": "/admin/sessions"}
    past = client.get_page("/admin/sessions?status=past")
    assert len(past.select("tbody tr")) == 2


def test_recent_imports(client, admin, coach, make_user, frozen_now):
    target = session(coach, "Spring", -1, 10)
    learners = [make_user(f"l{i}") for i in range(3)]
    apply_import(db.session, "old.csv", [(target.id, learners[0].id)], [], by=ROOT,
                 now=NOW - timedelta(days=31))
    apply_import(db.session, "march.csv", [(target.id, u.id) for u in learners[1:]], [],
                 by=ROOT, now=NOW - timedelta(days=2))
    enrol_users(db.session, target.id, [make_user("solo").id], by=ROOT, now=NOW)
    db.session.commit()
    page = client.get_page(DASHBOARD)
    items = [" ".join(li.get_text(" ").split()) for li in page.select("#imports li")]
    assert items == ["Root Admin enrolled 2 learners in Spring by importing march.csv "
                     "27 Nov 2026 at 13:00"]
    history = page.select_one("#imports .see-all a")["href"]
    assert history == "/admin/history?what=enrolments&action=change"


def test_nothing_to_show(client, admin):
    page = client.get_page(DASHBOARD)
    assert [p.text for p in page.select(".dashboard-grid .none")] == [
        "No session starts in the next 7 days.", "No session ends in the next 7 days.",
        "Every current or upcoming session has an active coach.",
        "Every current or upcoming session has a course.",
        "No enrolments were imported in the last 30 days.",
        "Every message was delivered or is on its way."]


def test_failed_messages_are_counted_with_a_link_to_them(client, admin, coach):
    from portal.domain import outbox
    from portal.models import OutboxMessage

    outbox.queue(db.session, [outbox.NewMessage("welcome", f"welcome:{n}", "x@example.org",
                                                "Hi", "Hi") for n in range(3)], now=NOW)
    db.session.execute(OutboxMessage.__table__.update().where(
        OutboxMessage.idempotency_key != "welcome:0").values(status="failed"))
    db.session.commit()
    section = client.get_page(DASHBOARD).select_one("#failed-messages")
    assert "2 messages could not be delivered" in section.text
    assert section.find("a", string="See why, and send again")["href"] == (
        "/admin/outbox?status=failed")


def test_the_dashboard_costs_the_same_queries_for_few_and_many_sessions(
        client, admin, coach, make_user, count_queries):
    counts = []
    for total in (5, 300):
        db.session.execute(TrainingSession.__table__.delete())
        db.session.execute(insert(TrainingSession), [
            {"name": f"Bulk {total}-{i:04d}", "coach_id": coach.id,
             "after_end_policy": "read_only", "version": 1, "description": "",
             "created_at": NOW, "updated_at": NOW,
             "access_start": NOW + timedelta(days=i % 5 - 2),
             "access_end": NOW + timedelta(days=i % 5 + 1)}
            for i in range(total)
        ])
        first = db.session.scalar(select(TrainingSession.id).order_by(TrainingSession.id))
        apply_import(db.session, f"bulk-{total}.csv", [(first, make_user(f"u{total}").id)], [],
                     by=ROOT, now=NOW)
        db.session.commit()
        with count_queries() as counter:
            page = client.get_page(DASHBOARD)
        assert len(page.select("#starting li")) == min(10, total * 2 // 5)
        counts.append(counter.count)
    assert counts[0] == counts[1] <= 8  # the signed-in user, then seven for the page
