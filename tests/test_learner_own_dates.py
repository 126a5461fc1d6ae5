"""What a learner sees of their own dates and of a suspension: My sessions cards and tabs,
the session page, the locked page, the calendar files."""

from datetime import UTC, datetime, timedelta

import pytest
from bs4 import BeautifulSoup
from flask import render_template
from icalendar import Calendar

from portal.domain import journal
from portal.domain.enrolment import change_learner_dates, change_suspension
from portal.domain.learner_dates import DatesChange
from portal.domain.my_sessions import TAB_LABELS, tab_page
from portal.extensions import db
from portal.models import Assignment, Grade, Submission, User
from tests.helpers import NOW, add_course, enrol, make_session

# Who the `people` fixture creates (see conftest.CAST).
PEOPLE = ("coach", "learner", "other")

# 20 Dec 2026 00:00 in Paris (the portal's zone in tests): an end that reads "19 Dec 2026".
PARIS_20_DEC = datetime(2026, 12, 19, 23, 0, tzinfo=UTC)
PARIS_5_DEC = datetime(2026, 12, 4, 23, 0, tzinfo=UTC)


def extend(session, user, days, reason="medical leave"):
    change_learner_dates(db.session, session, [user.id],
                         DatesChange(extension_days=days, reason=reason),
                         by=journal.SYSTEM, now=NOW)
    db.session.commit()


def own_window(session, user, start=None, end=None, reason="works nights"):
    change_learner_dates(db.session, session, [user.id],
                         DatesChange(own_start=start, own_end=end, reason=reason),
                         by=journal.SYSTEM, now=NOW)
    db.session.commit()


def suspend(session, user, reason="unpaid fees"):
    change_suspension(db.session, session, [user.id], reason, by=journal.SYSTEM, now=NOW)
    db.session.commit()


def tab(client, name="current"):
    return client.get_page(f"/my-sessions?tab={name}")


def cards(page):
    return {card.select_one("h3").text.strip(): card for card in page.select(".session-card")}


@pytest.fixture
def lea(client, people):
    client.login("lea")
    return people["learner"]


# --- cards and tabs ------------------------------------------------------------------


def test_an_extended_learner_keeps_the_session_in_current_with_the_reason(client, people, lea):
    session = make_session(people["coach"], "Ended for others", starts_in=-20, ends_in=-2)
    enrol(session, lea, people["other"])
    extend(session, lea, 5)
    card = cards(tab(client))["Ended for others"]
    assert card.select_one(".card-state").text == "Ends in 3 days"
    assert card.select_one(".card-dates").contents[0].strip() == (
        "9 Nov at 13:00 – 2 Dec 2026 at 13:00")
    assert card.select_one(".card-note").text == "Extended by 5 days: medical leave"
    assert card.select_one("h3 a")["href"] == f"/sessions/{session.id}"
    assert cards(tab(client, "past")) == {}
    # The other learner has the session's dates.
    client.logout()
    client.login("otto")
    other = cards(tab(client, "past"))["Ended for others"]
    assert other.select_one(".card-note") is None


def test_individual_windows_place_each_card_by_the_learners_own_dates(client, people, lea):
    coach = people["coach"]
    later = make_session(coach, "Later for me", starts_in=-5, ends_in=10)
    finished = make_session(coach, "Finished for me", starts_in=-5, ends_in=10)
    longer = make_session(coach, "Longer for me", starts_in=-30, ends_in=-1)
    for session in (later, finished, longer):
        enrol(session, lea)
    own_window(later, lea, start=PARIS_5_DEC, end=PARIS_20_DEC)
    own_window(finished, lea, end=NOW - timedelta(days=1), reason="left early")
    own_window(longer, lea, end=PARIS_20_DEC, reason="catching up")

    upcoming = cards(tab(client, "upcoming"))
    assert list(upcoming) == ["Later for me"]
    card = upcoming["Later for me"]
    assert card.select_one(".card-dates").contents[0].strip() == "5 Dec – 19 Dec 2026"
    assert card.select_one(".card-note").text == "Your own dates: works nights"
    assert card.select_one(".card-state").text == "Opens on 5 Dec 2026 (in 5 days)"
    past = cards(tab(client, "past"))
    assert list(past) == ["Finished for me"]
    assert past["Finished for me"].select_one(".card-note").text == (
        "Your own dates: left early")
    current = cards(tab(client, "current"))
    assert list(current) == ["Longer for me"]
    assert current["Longer for me"].select_one(".card-dates").contents[0].strip() == (
        "30 Oct at 13:00 – 19 Dec 2026")


def test_a_suspended_card_says_so_with_the_reason_and_opens_nothing(client, people, lea):
    coach = people["coach"]
    now_on = make_session(coach, "Running", starts_in=-1, ends_in=10)
    soon = make_session(coach, "Soon", starts_in=3, ends_in=10)
    enrol(now_on, lea)
    enrol(soon, lea)
    suspend(now_on, lea)
    suspend(soon, lea, reason="awaiting documents")
    card = cards(tab(client))["Running"]
    assert "suspended" in card["class"]
    assert card.select_one(".card-state").text == "Suspended: unpaid fees"
    assert card.select_one("h3 a") is None
    assert card.select_one(".card-actions") is None  # nothing to put in a calendar
    # Its tab is still the one its window gives.
    upcoming = cards(tab(client, "upcoming"))["Soon"]
    assert upcoming.select_one(".card-state").text == "Suspended: awaiting documents"
    assert upcoming.select_one("h3 a") is None


def test_a_suspension_without_reason_reads_suspended(client, people, lea):
    session = make_session(people["coach"], "Running")
    enrol(session, lea)
    suspend(session, lea, reason="")
    assert cards(tab(client))["Running"].select_one(".card-state").text == "Suspended"
    page = client.get_page(f"/sessions/{session.id}", status=403)
    assert "Your place in Running is suspended. Your work and grades are kept." in (
        " ".join(page.select_one(".locked").text.split()))


def test_the_session_page_names_the_learners_own_dates(client, people, lea):
    session = make_session(people["coach"], "Ended for others", starts_in=-20, ends_in=-2)
    enrol(session, lea)
    extend(session, lea, 5)
    page = client.get_page(f"/sessions/{session.id}")
    details = {dt.text: dt.find_next("dd") for dt in page.select("dl.details dt")}
    access = details["Your access"]
    assert access.contents[0].strip() == "9 Nov at 13:00 – 2 Dec 2026 at 13:00"
    assert access.select_one(".dates-note").text == "Extended by 5 days: medical leave"
    assert details["State"].text == "Ends in 3 days"


# --- the locked page -------------------------------------------------------------------


@pytest.fixture
def suspended_world(people):
    session = make_session(people["coach"], "Autumn", starts_in=-1, ends_in=10)
    course = add_course(session, "PY101", "Python basics")
    essay = Assignment(course_id=course.id, title="Essay", max_score=20, position=1)
    db.session.add(essay)
    db.session.commit()
    enrol(session, people["learner"])
    work = Submission(session_id=session.id, assignment_id=essay.id,
                      user_id=people["learner"].id, answer="My essay", submitted_at=NOW)
    db.session.add(work)
    db.session.flush()
    db.session.add(Grade(submission_id=work.id, score=17, feedback="Well argued", graded_at=NOW))
    db.session.commit()
    suspend(session, people["learner"])
    return {"session": session, "course": course, "essay": essay, "work": work}


LOCKED_WORDS = ("Your place in Autumn is suspended: unpaid fees. Your work and grades are "
                "kept. Contact your session coach, Cora Coach, to know more.")


def test_every_learner_route_of_a_suspended_learner_answers_the_locked_page(
        client, lea, suspended_world):
    s, course, essay = (suspended_world[k] for k in ("session", "course", "essay"))
    base = f"/sessions/{s.id}"
    pages = [base, f"{base}/courses/{course.id}",
             f"{base}/submissions/{suspended_world['work'].id}/file"]
    for url in pages:
        page = client.get_page(url, status=403)
        assert " ".join(page.select_one(".locked").text.split()).startswith(LOCKED_WORDS), url
        assert page.select_one("h1").text == "Autumn"
        back = page.select_one(".locked a.back")
        assert (back.text, back["href"]) == ("Back to My sessions", "/my-sessions?tab=current")
    hand_in = f"{base}/courses/{course.id}/assignments/{essay.id}/hand-in"
    for htmx in (False, True):
        response = client.post(hand_in, {f"a{essay.id}-answer": "again"}, htmx=htmx)
        assert response.status_code == 403
        text = " ".join(BeautifulSoup(response.data, "html.parser").text.split())
        assert LOCKED_WORDS in text
    fragment = client.htmx_get(base)
    assert fragment.status_code == 403 and b"<html" not in fragment.data
    assert LOCKED_WORDS in " ".join(BeautifulSoup(fragment.data, "html.parser").text.split())
    # Nothing to add to a calendar either.
    assert client.get(f"{base}/calendar.ics").status_code == 404
    assert db.session.get(Submission, suspended_world["work"].id).answer == "My essay"


def test_the_way_back_leads_to_the_tab_of_the_card(client, people, lea):
    session = make_session(people["coach"], "Over", starts_in=-20, ends_in=-2)
    enrol(session, lea)
    suspend(session, lea)
    page = client.get_page(f"/sessions/{session.id}", status=403)
    assert page.select_one(".locked a.back")["href"] == "/my-sessions?tab=past"
    assert page.select_one(".breadcrumb a")["href"] == "/my-sessions?tab=past"


def test_hand_ins_and_grades_are_kept_and_come_back_when_the_suspension_is_lifted(
        client, lea, suspended_world):
    s, course = suspended_world["session"], suspended_world["course"]
    card = cards(tab(client))["Autumn"]
    assert card.select_one(".card-progress").text.strip() == "1 of 1 assignment handed in"
    change_suspension(db.session, s, [lea.id], None, by=journal.SYSTEM, now=NOW)
    db.session.commit()
    page = client.get_page(f"/sessions/{s.id}/courses/{course.id}")
    assert "My essay" in page.text and "Well argued" in page.text
    assert cards(tab(client))["Autumn"].select_one("h3 a") is not None


def test_reading_the_suspension_costs_one_query(client, people, lea, count_queries):
    coach = people["coach"]
    suspended = make_session(coach, "Suspended")
    later = make_session(coach, "Later", starts_in=3)
    enrol(suspended, lea)
    enrol(later, lea)
    suspend(suspended, lea)
    counts = {}
    for session in (later, suspended, later, suspended):
        with count_queries() as counter:
            client.get_page(f"/sessions/{session.id}", status=403)
        counts[session.name] = counter.count
    assert counts["Suspended"] == counts["Later"] + 1, counts


# --- calendars ----------------------------------------------------------------------


def feed_events(client, user):
    client.get_page("/my-sessions")  # makes the feed's address
    db.session.expire_all()
    token = db.session.get(User, user.id).calendar_token
    response = client.get(f"/calendar/{token}.ics")
    assert response.status_code == 200
    return {str(e["SUMMARY"]): e for e in Calendar.from_ical(response.data).walk("VEVENT")}


def test_calendars_carry_the_learners_own_dates_and_leave_suspended_sessions_out(
        client, people, lea):
    coach = people["coach"]
    extended = make_session(coach, "Extended", starts_in=-20, ends_in=-2)
    individual = make_session(coach, "Individual", starts_in=-5, ends_in=10)
    suspended = make_session(coach, "Suspended", starts_in=-5, ends_in=10)
    for session in (extended, individual, suspended):
        enrol(session, lea)
    extend(extended, lea, 5)
    own_window(individual, lea, start=PARIS_5_DEC, end=PARIS_20_DEC)
    suspend(suspended, lea)
    events = feed_events(client, lea)
    assert sorted(events) == ["Extended", "Individual"]
    assert events["Extended"].decoded("DTEND") == NOW + timedelta(days=3)
    assert events["Individual"].decoded("DTSTART") == PARIS_5_DEC
    assert events["Individual"].decoded("DTEND") == PARIS_20_DEC
    one = client.get(f"/sessions/{individual.id}/calendar.ics")
    [event] = Calendar.from_ical(one.data).walk("VEVENT")
    assert event.decoded("DTEND") == PARIS_20_DEC


# --- fixed cost, preview ----------------------------------------------------------------


def test_my_sessions_costs_the_same_queries_with_individual_dates(client, people, make_user,
                                                                  count_queries):
    coach = people["coach"]
    counts = {}
    for size in (3, 24):  # 24: one page of cards
        user = make_user(f"learner{size}")
        for n in range(size):
            session = make_session(coach, f"S{size}-{n}", starts_in=-3, ends_in=5)
            enrol(session, user)
            if n % 3 == 0:
                extend(session, user, 5)
            elif n % 3 == 1:
                own_window(session, user, end=PARIS_20_DEC)
            else:
                suspend(session, user)
        client.login(user.username)
        client.get_page("/my-sessions")
        with count_queries() as counter:
            page = tab(client)
        counts[size] = counter.count
        found = page.select(".session-card")
        assert len(found) == size
        assert len(page.select(".session-card.suspended")) == size // 3
        assert len(page.select(".card-note")) == size - size // 3
        client.logout()
    assert counts[3] == counts[24] <= 4, counts


def test_a_preview_shows_the_tabs_and_cards_without_links(app, people):
    coach, learner = people["coach"], people["learner"]
    enrol(make_session(coach, "Running"), learner)
    enrol(make_session(coach, "Later", starts_in=3), learner)
    from portal.domain.dates import zone

    result = tab_page(db.session, db.session.get(User, learner.id), NOW, zone("Europe/Paris"))
    with app.test_request_context("/"):
        html = render_template("learner/_tabs.html", result=result, tab_labels=TAB_LABELS,
                               preview=True)
    page = BeautifulSoup(html, "html.parser")
    assert page.select("a") == []
    assert [label.text.strip() for label in page.select("nav.tabs li")] == [
        "Current sessions (1)", "Past sessions (0)", "Upcoming sessions (1)"]
    assert page.select_one("nav.tabs [aria-current]").text.strip() == "Current sessions (1)"
    assert [h.text.strip() for h in page.select(".session-card h3")] == ["Running"]
    assert "data-hx-get" not in html

