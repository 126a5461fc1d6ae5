"""Coaching: the sessions a user coaches, in tabs placed by the coach window."""

from datetime import timedelta

import pytest
from sqlalchemy import insert

from portal.domain import coached_sessions, my_sessions
from portal.extensions import db
from portal.models import Assignment, Submission, TrainingSession
from tests.helpers import NOW, add_course, enrol, make_session

# Who the `people` fixture creates (see conftest.CAST).
PEOPLE = ("coach", "ted", "lea", "sam")


@pytest.fixture
def sessions(people):
    coach = people["coach"]
    out = {
        # Learners' access ended 2 days ago; the coach window runs 12 more days: current.
        "grading": make_session(coach, "Grading time", starts_in=-20, ends_in=-2),
        # Learners start in 10 days, the coach window in 3: upcoming.
        "soon": make_session(coach, "Soon", starts_in=10, ends_in=30),
        # The coach window ended 6 days ago: past.
        "done": make_session(coach, "Done", starts_in=-60, ends_in=-20),
        "closed": make_session(coach, "Closed one", starts_in=-60, ends_in=-30,
                               policy="closed"),
        # No coach dates: the access window applies (current).
        "plain": make_session(coach, "Plain", starts_in=-1, ends_in=5, coach_before=0,
                              coach_after=0),
    }
    plain = out["plain"]
    plain.coach_start = plain.coach_end = None
    db.session.commit()
    course = add_course(out["grading"], "PY101", "Python basics", coaches=[people["ted"]])
    add_course(out["grading"], "SQL1", "SQL for analysts")
    assignment = Assignment(course_id=course.id, title="Variables", max_score=20)
    db.session.add(assignment)
    db.session.commit()
    enrol(out["grading"], people["lea"])
    db.session.add(Submission(session_id=out["grading"].id, assignment_id=assignment.id,
                              user_id=people["lea"].id, answer="x", submitted_at=NOW))
    db.session.commit()
    return out


def tab(client, name=None):
    return client.get_page("/coach/" + (f"?tab={name}" if name else ""))


def names(page):
    return [h.text.strip() for h in page.select(".coach-card h3")]


def test_tabs_are_placed_by_the_coach_window(client, sessions):
    client.login("cora")
    page = tab(client)
    assert names(page) == ["Plain", "Grading time"]  # soonest end first
    counts = [a.select_one(".tab-count").text for a in page.select(".tabs a")]
    assert counts == ["(2)", "(2)", "(1)"]
    assert names(tab(client, "past")) == ["Done", "Closed one"]  # most recent end first
    assert names(tab(client, "upcoming")) == ["Soon"]


def test_coaching_and_my_sessions_share_one_tab_bar_fed_by_the_tab_labels(client, sessions):
    bars = {}
    for user, address in (("cora", "/coach/"), ("lea", "/my-sessions")):
        client.login(user)
        page = client.get_page(address + "?tab=past")
        bars[address] = [(a.contents[0].strip(), a["href"], a.get("aria-current"))
                         for a in page.select("nav.tabs a")]
        client.logout()
    assert bars["/coach/"] == [(label, f"/coach/?tab={tab}", "page" if tab == "past" else None)
                               for tab, label in coached_sessions.TAB_LABELS.items()]
    assert bars["/my-sessions"] == [
        (label, f"/my-sessions?tab={tab}", "page" if tab == "past" else None)
        for tab, label in my_sessions.TAB_LABELS.items()]


def test_card_says_role_dates_state_and_work_to_grade(client, sessions):
    client.login("cora")
    card = tab(client).select_one(f"#session-{sessions['grading'].id}")
    assert card.select_one(".card-role").text == "Session coach"
    # Coach window: 2 Nov 12:00 to 11 Dec 12:00 UTC, shown in Paris.
    assert card.select_one(".card-coach-dates").text == "2 Nov at 13:00 – 11 Dec 2026 at 13:00"
    assert "Open for grading until 11 Dec 2026 at 13:00 (12 days left)" == (
        card.select_one(".card-state").text)
    assert card.select_one(".card-to-grade").text == "1 hand-in"
    links = [a.text for a in card.select(".card-actions a")]
    assert links == ["Grade: Python basics", "Grade: SQL for analysts",
                     "Tracking of Grading time"]


def test_course_coach_sees_their_courses_only(client, sessions):
    client.login("ted")
    page = tab(client)
    assert names(page) == ["Grading time"]
    card = page.select_one(".coach-card")
    assert card.select_one(".card-role").text == "Course coach of Python basics"
    assert [a.text for a in card.select(".card-actions a")][:-1] == ["Grade: Python basics"]


def test_past_cards_follow_the_after_end_policy(client, sessions):
    client.login("cora")
    page = tab(client, "past")
    done = page.select_one(f"#session-{sessions['done'].id}")
    assert done.select_one(".card-state").text.endswith("you can look, not grade")
    assert done.select_one(".card-actions a").text.startswith("Tracking")
    closed = page.select_one(f"#session-{sessions['closed'].id}")
    assert closed.select_one(".card-state").text.endswith("— closed")
    assert closed.select_one(".card-actions") is None
    upcoming = tab(client, "upcoming").select_one(".coach-card")
    assert "Coach access opens on" in upcoming.select_one(".card-state").text
    assert upcoming.select_one(".card-actions") is None


def test_tabs_swap_with_htmx_and_push_the_url(client, sessions):
    client.login("cora")
    page = tab(client)
    link = page.select(".tabs a")[1]
    assert link["data-hx-get"] == link["href"] == "/coach/?tab=past"
    assert link["data-hx-push-url"] == "true" and link["data-hx-target"] == "#coaching"
    response = client.htmx_get("/coach/?tab=past")
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in body and "Done" in body
    assert "HX-Request" in response.headers["Vary"]


def test_navigation_shows_coaching_to_coaches_only(client, sessions):
    client.login("ted")
    nav = [a.text for a in tab(client).select("aside.sidebar nav a")]
    assert "Coaching" in nav
    client.logout()
    client.login("sam")
    page = tab(client)  # the page itself answers, empty
    assert "Coaching" not in [a.text for a in page.select("aside.sidebar nav a")]
    assert names(page) == [] and page.select_one(".empty-tab")


def test_anonymous_is_sent_to_login(client):
    response = client.get("/coach/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_the_list_costs_the_same_queries_for_3_and_200_sessions(client, people, count_queries):
    coach = people["coach"]
    counts = []
    for total in (3, 200):
        db.session.execute(TrainingSession.__table__.delete())
        db.session.execute(insert(TrainingSession), [
            {"name": f"S{total}-{i:03}", "coach_id": coach.id, "after_end_policy": "read_only",
             "access_start": NOW - timedelta(days=1), "access_end": NOW + timedelta(days=i + 1),
             "version": 1} for i in range(total)])
        db.session.commit()
        client.login("cora")
        with count_queries() as counter:
            page = tab(client)
        counts.append(counter.count)
        assert len(page.select(".coach-card")) == min(total, 25)
    assert counts[0] == counts[1] <= 7, counts
