"""My sessions: tabs by the learner's window, display-window hiding, cards, order, queries."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert, select

from portal.extensions import db
from portal.models import (
    Assignment,
    Enrolment,
    SessionCategory,
    SessionCourse,
    Submission,
    TrainingSession,
    User,
)
from tests.helpers import NOW, add_course, enrol, make_session

SECOND = timedelta(seconds=1)


@pytest.fixture
def coach(make_user):
    return make_user("cora", role="teacher", first_name="Cora", last_name="Coach")


@pytest.fixture
def learner(client, make_user, frozen_now):
    user = make_user("lea")
    client.login("lea")
    return user


def tab(client, name="current"):
    return client.get_page(f"/my-sessions?tab={name}")


def card_names(page):
    return [h.text.strip() for h in page.select(".session-card h3")]


def tab_labels(page):
    return [a.text.strip() for a in page.select("nav.tabs a")]


def state_of(page, name):
    for card in page.select(".session-card"):
        if card.select_one("h3").text.strip() == name:
            return card.select_one(".card-state").text.strip()
    raise AssertionError(f"no card {name!r}")


def test_my_sessions_is_in_the_main_navigation_of_an_enrolled_learner(client, learner, coach):
    enrol(make_session(coach), learner)
    page = client.get_page("/", follow_redirects=True)
    links = {a.text.strip(): a["href"] for a in page.select("aside.sidebar nav a")}
    assert links["My sessions"] == "/my-sessions"
    assert links["Profile"] == "/profile"


def test_tabs_show_their_counts_and_the_chosen_tab(client, learner, coach):
    enrol(make_session(coach, "Now A"), learner)
    enrol(make_session(coach, "Now B", ends_in=3), learner)
    enrol(make_session(coach, "Later", starts_in=4, ends_in=9), learner)
    enrol(make_session(coach, "Before", starts_in=-20, ends_in=-2), learner)
    page = tab(client, "current")
    assert tab_labels(page) == ["Current sessions (2)", "Past sessions (1)",
                                "Upcoming sessions (1)"]
    current = page.select_one("nav.tabs a[aria-current=page]")
    assert current.text.strip() == "Current sessions (2)"
    assert page.select_one("h1").text == "My sessions"
    assert page.select_one("#tab-title").text == "Current sessions"
    assert sorted(card_names(page)) == ["Now A", "Now B"]
    assert card_names(tab(client, "past")) == ["Before"]
    assert card_names(tab(client, "upcoming")) == ["Later"]
    # No tab (or an unknown one) is the Current tab.
    assert sorted(card_names(client.get_page("/my-sessions?tab=nope"))) == ["Now A", "Now B"]


def test_each_tab_is_a_plain_link_and_an_htmx_swap_that_pushes_the_url(client, learner, coach):
    enrol(make_session(coach, "Before", starts_in=-20, ends_in=-2), learner)
    page = tab(client)
    links = page.select("nav.tabs a")
    assert [a["href"] for a in links] == [
        "/my-sessions?tab=current", "/my-sessions?tab=past", "/my-sessions?tab=upcoming"]
    for a in links:
        assert a["data-hx-get"] == a["href"]
        assert a["data-hx-target"] == "#my-sessions" and a["data-hx-push-url"] == "true"
    assert page.select_one("#my-sessions nav.tabs") is not None

    response = client.htmx_get("/my-sessions?tab=past")
    assert response.status_code == 200
    assert "HX-Request" in response.headers["Vary"]
    body = response.get_data(as_text=True)
    assert "<html" not in body and "<h1" not in body
    from bs4 import BeautifulSoup

    fragment = BeautifulSoup(body, "html.parser")
    assert fragment.select_one("nav.tabs a[aria-current=page]")["href"] == "/my-sessions?tab=past"
    assert card_names(fragment) == ["Before"]


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (NOW + timedelta(days=2) - SECOND, "upcoming"),
        (NOW + timedelta(days=2), "current"),  # the access start is inclusive
        (NOW + timedelta(days=6) - SECOND, "current"),
        (NOW + timedelta(days=6), "past"),  # the access end is exclusive
    ],
)
def test_a_session_moves_tab_at_its_exact_access_start_and_end(client, learner, coach,
                                                                 frozen_now, moment, expected):
    enrol(make_session(coach, "Edge", starts_in=2, ends_in=6), learner)
    frozen_now(moment)
    found = {name: card_names(tab(client, name)) for name in ("current", "past", "upcoming")}
    assert found == {name: (["Edge"] if name == expected else [])
                     for name in ("current", "past", "upcoming")}


@pytest.mark.parametrize(
    ("display", "shown"),
    [
        ((None, None), True),
        ((-5, 5), True),
        ((0, None), True),  # display start is inclusive
        ((1, None), False),  # not displayed yet
        ((None, 0), False),  # display end is exclusive
        ((-30, -1), False),  # no longer displayed
    ],
)
def test_only_sessions_inside_their_display_window_are_listed(client, learner, coach,
                                                              display, shown):
    start, end = (NOW + timedelta(days=d) if d is not None else None for d in display)
    enrol(make_session(coach, "Shown?", display_start=start, display_end=end), learner)
    page = tab(client)
    assert card_names(page) == (["Shown?"] if shown else [])
    assert tab_labels(page)[0] == f"Current sessions ({1 if shown else 0})"


def test_sessions_of_other_learners_are_not_listed(client, learner, coach, make_user):
    other = make_user("otto")
    enrol(make_session(coach, "Theirs"), other)
    enrol(make_session(coach, "Mine", ends_in=4), learner)
    assert card_names(tab(client)) == ["Mine"]


def test_card_shows_category_dates_coach_courses_and_progress(client, learner, coach):
    category = SessionCategory(name="Onboarding")
    db.session.add(category)
    db.session.commit()
    session = make_session(coach, "Autumn", starts_in=-1, ends_in=10, category_id=category.id)
    python = add_course(session, "PY101", "Python basics")
    add_course(session, "SQL1", "SQL")
    first, _ = (Assignment(course_id=python.id, title=t) for t in ("One", "Two"))
    db.session.add_all([first, _])
    db.session.commit()
    enrol(session, learner)
    db.session.add(Submission(session_id=session.id, assignment_id=first.id,
                              user_id=learner.id, answer="done"))
    db.session.commit()
    card = tab(client).select_one(".session-card")
    assert card.select_one("h3 a")["href"] == f"/sessions/{session.id}"
    assert card.select_one(".card-category").text == "Onboarding"
    # 28 Nov 12:00 UTC is 13:00 in Paris, the portal's zone in tests.
    assert card.select_one(".card-dates").text == "28 Nov at 13:00 – 9 Dec 2026 at 13:00"
    assert card.select_one(".card-coach").text == "Cora Coach"
    assert card.select_one(".card-courses").text == "2"
    assert card.select_one(".card-progress").text.strip() == "1 of 2 assignments handed in"
    assert card.select_one("progress")["value"] == "1"
    assert card.select_one("progress")["max"] == "2"
    assert card.select_one(".card-state").text == "Ends in 10 days"
    calendar = card.select_one(".card-actions a")
    assert calendar["href"] == f"/sessions/{session.id}/calendar.ics"
    assert calendar.text.startswith("Add to calendar")


def test_dates_are_shown_in_the_learners_own_zone(client, learner, coach):
    learner.timezone = "America/New_York"
    db.session.commit()
    enrol(make_session(coach, "Autumn", starts_in=-1, ends_in=10), learner)
    page = tab(client)
    assert page.select_one(".card-dates").text == "28 Nov at 07:00 – 9 Dec 2026 at 07:00"
    assert "America/New_York" in page.select_one("footer").text


PARIS_MIDNIGHT_3_NOV = datetime(2026, 11, 2, 23, 0, tzinfo=UTC)  # 3 Nov 00:00 in Paris


@pytest.mark.parametrize(
    ("clock", "fields", "tab_name", "state"),
    [
        (NOW, {"access_start": NOW - timedelta(days=1), "access_end": NOW + timedelta(days=5)},
         "current", "Ends in 5 days"),
        (NOW, {"access_start": NOW - timedelta(days=1),
               "access_end": NOW + timedelta(hours=3)}, "current", "Ends in 3 hours"),
        (NOW, {"access_start": NOW - timedelta(days=1), "access_end": None},
         "current", "No end date"),
        (NOW, {"access_start": None, "access_end": None}, "current", "No end date"),
        # 3 Dec 09:00 in Paris is 08:00 UTC: exactly 4 days after 29 Nov 08:00 UTC.
        (datetime(2026, 11, 29, 8, 0, tzinfo=UTC),
         {"access_start": datetime(2026, 12, 3, 8, 0, tzinfo=UTC), "access_end": None},
         "upcoming", "Opens on 3 Dec 2026 at 09:00 (in 4 days)"),
        # An end at midnight (an end date typed as 2 Nov) reads as the day before.
        (NOW, {"access_start": None, "access_end": PARIS_MIDNIGHT_3_NOV,
               "after_end_policy": "read_only"}, "past", "Ended on 2 Nov 2026 — read only"),
        (NOW, {"access_start": None, "access_end": PARIS_MIDNIGHT_3_NOV,
               "after_end_policy": "open"}, "past", "Ended on 2 Nov 2026 — still open"),
        (NOW, {"access_start": None, "access_end": PARIS_MIDNIGHT_3_NOV,
               "after_end_policy": "closed"}, "past", "Ended — closed"),
        (NOW, {"access_start": None, "access_end": datetime(2025, 6, 30, 14, 0, tzinfo=UTC),
               "after_end_policy": "read_only"}, "past",
         "Ended on 30 Jun 2025 at 16:00 — read only"),
    ],
)
def test_card_state_text(client, learner, coach, frozen_now, clock, fields, tab_name, state):
    session = TrainingSession(name="Stateful", coach_id=coach.id, **fields)
    db.session.add(session)
    db.session.commit()
    enrol(session, learner)
    frozen_now(clock)
    assert state_of(tab(client, tab_name), "Stateful") == state


def test_duration_mode_card_before_and_after_the_first_visit(client, learner, coach,
                                                            frozen_now):
    session = make_session(coach, "Self paced", starts_in=None, ends_in=None,
                           duration_days=30)
    enrol(session, learner)
    card = tab(client).select_one(".session-card")
    assert card.select_one(".card-dates").text == "30 days from your first visit"
    assert card.select_one(".card-state").text == "Your 30 days start when you open it"
    assert card.select_one(".card-actions") is None  # no date to put in a calendar yet
    client.get_page(f"/sessions/{session.id}")  # the first visit starts the 30 days
    frozen_now(NOW + timedelta(days=25))
    assert state_of(tab(client), "Self paced") == "Ends in 5 days"
    frozen_now(NOW + timedelta(days=30))
    assert state_of(tab(client, "past"), "Self paced") == (
        "Ended on 29 Dec 2026 at 13:00 — read only")


def test_an_upcoming_card_links_to_its_locked_page_and_a_closed_one_to_nothing(client, learner,
                                                                              coach):
    soon = make_session(coach, "Soon", starts_in=3, ends_in=9)
    enrol(soon, learner)
    enrol(make_session(coach, "Shut", starts_in=-20, ends_in=-2, policy="closed"), learner)
    enrol(make_session(coach, "Readable", starts_in=-20, ends_in=-3), learner)
    link = tab(client, "upcoming").select_one(".session-card h3 a")
    assert (link.text, link["href"]) == ("Soon", f"/sessions/{soon.id}")
    locked = client.get_page(link["href"], status=403)
    assert "This session opens on 2 Dec 2026 at 13:00 (in 3 days)." in locked.text
    past = tab(client, "past")
    links = {a.text: a["href"] for a in past.select(".session-card h3 a")}
    assert list(links) == ["Readable"]
    assert len(past.select(".card-actions a")) == 2  # both still go in a calendar


def test_order_of_each_tab(client, learner, coach):
    for name, starts, ends in [
        ("Ends in 9", -1, 9), ("Ends in 3", -1, 3), ("Never ends", -1, None),
        ("Ends in 5", -1, 5),
        ("Opens in 7", 7, 20), ("Opens in 2", 2, 20), ("Opens in 4", 4, 20),
        ("Ended 1 ago", -30, -1), ("Ended 10 ago", -30, -10), ("Ended 5 ago", -30, -5),
    ]:
        enrol(make_session(coach, name, starts_in=starts, ends_in=ends), learner)
    assert card_names(tab(client, "current")) == ["Ends in 3", "Ends in 5", "Ends in 9",
                                                  "Never ends"]
    assert card_names(tab(client, "upcoming")) == ["Opens in 2", "Opens in 4", "Opens in 7"]
    assert card_names(tab(client, "past")) == ["Ended 1 ago", "Ended 5 ago", "Ended 10 ago"]


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("current", "You have no session open right now."),
        ("past", "You have no past session yet."),
        ("upcoming", "No session is planned for you yet."),
    ],
)
def test_empty_tabs_say_so_and_what_to_expect(client, learner, name, words):
    page = tab(client, name)
    empty = page.select_one(".empty-tab")
    assert empty is not None and words in empty.text
    assert len(empty.select("p")) == 2  # and a second line saying what to expect


def _many_enrolments(coach, learner, count):
    """``count`` sessions (spread over the three tabs), each with a course, two
    assignments and one submission of the learner."""
    courses = []
    category = SessionCategory(name="Bulk")
    db.session.add(category)
    db.session.flush()
    for i in range(count):
        starts, ends = [(-1, 10 + i % 7), (3 + i % 5, 30), (-40, -1 - i % 9)][i % 3]
        session = TrainingSession(
            name=f"Session {i:03}", coach_id=coach.id, category_id=category.id,
            access_start=NOW + timedelta(days=starts), access_end=NOW + timedelta(days=ends))
        db.session.add(session)
        courses.append(session)
    db.session.flush()
    from portal.models import Course

    course = Course(code="BULK", title="Bulk course")
    db.session.add(course)
    db.session.flush()
    one, two = Assignment(course_id=course.id, title="1"), Assignment(course_id=course.id,
                                                                       title="2")
    db.session.add_all([one, two])
    db.session.flush()
    db.session.execute(insert(SessionCourse), [
        {"session_id": s.id, "course_id": course.id, "position": 0} for s in courses])
    db.session.execute(insert(Enrolment), [
        {"session_id": s.id, "user_id": learner.id, "source": "individual", "direct": True,
         "extension_days": 0} for s in courses])
    db.session.execute(insert(Submission), [
        {"session_id": s.id, "assignment_id": one.id, "user_id": learner.id, "answer": "x",
         "submitted_at": NOW} for s in courses])
    db.session.commit()


@pytest.mark.parametrize("tab_name", ["current", "past", "upcoming"])
def test_the_page_costs_the_same_queries_for_3_and_300_enrolments(
        client, make_user, coach, count_queries, frozen_now, tab_name):
    counts = {}
    for size in (3, 300):
        user = make_user(f"learner{size}")
        _many_enrolments(coach, user, size)
        client.login(user.username)
        client.get_page("/my-sessions")  # the first visit makes the calendar address
        with count_queries() as counter:
            page = tab(client, tab_name)
        counts[size] = counter.count
        cards = page.select(".session-card")
        assert len(cards) == (1 if size == 3 else 25)  # one per tab; then pages of 25
        assert cards[0].select_one(".card-progress").text.strip() == (
            "1 of 2 assignments handed in")
        client.logout()
        db.session.execute(Enrolment.__table__.delete())
        db.session.execute(Submission.__table__.delete())
        db.session.execute(SessionCourse.__table__.delete())
        db.session.execute(TrainingSession.__table__.delete())
        db.session.execute(Assignment.__table__.delete())
        db.session.execute(SessionCategory.__table__.delete())
        from portal.models import Course

        db.session.execute(Course.__table__.delete())
        db.session.commit()
    assert counts[3] == counts[300]
    # The user, the navigation, the placing of every session, the cards of the page.
    assert counts[300] <= 4, counts


def test_long_tabs_are_paginated(client, learner, coach):
    _many_enrolments(coach, learner, 90)  # 30 per tab
    first = tab(client, "current")
    assert len(first.select(".session-card")) == 25
    assert tab_labels(first)[0] == "Current sessions (30)"
    next_link = first.select_one(".pagination a[rel=next]")
    assert next_link["href"] == "/my-sessions?tab=current&page=2"
    second = client.get_page(next_link["href"])
    assert len(second.select(".session-card")) == 5
    names = card_names(first) + card_names(second)
    assert len(set(names)) == 30


def test_a_visit_makes_the_calendar_address_once(client, learner):
    client.get_page("/my-sessions")
    token = db.session.scalar(select(User.calendar_token).where(User.id == learner.id))
    assert token and len(token) >= 40
    page = client.get_page("/my-sessions")
    assert page.select_one(".feed-hint a")["href"] == f"http://localhost/calendar/{token}.ics"
