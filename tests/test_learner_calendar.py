"""Add to calendar: a session's .ics, and the personal feed at a secret address."""

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar
from sqlalchemy import select

from portal.extensions import db
from portal.models import User
from tests.helpers import NOW, enrol, make_session

# Who the `people` fixture creates (see conftest.CAST).
PEOPLE = ("coach", "admin", "learner", "stranger")


def parse(response) -> Calendar:
    assert response.status_code == 200, response.data[:300]
    assert response.mimetype == "text/calendar"
    return Calendar.from_ical(response.data)


def test_session_calendar_has_the_learners_access_window(client, people):
    session = make_session(people["coach"], "Autumn onboarding", starts_in=2, ends_in=9)
    enrol(session, people["learner"])
    client.login("lea")
    response = client.get(f"/sessions/{session.id}/calendar.ics")
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="autumn-onboarding.ics"')
    calendar = parse(response)
    assert str(calendar["VERSION"]) == "2.0"
    [event] = calendar.walk("VEVENT")
    assert str(event["SUMMARY"]) == "Autumn onboarding"
    assert event.decoded("DTSTART") == NOW + timedelta(days=2)
    assert event.decoded("DTEND") == NOW + timedelta(days=9)
    assert str(event["UID"]) == f"session-{session.id}-user-{people['learner'].id}@session-portal"
    assert str(event["URL"]) == f"http://localhost/sessions/{session.id}"


def test_a_learner_can_take_the_dates_before_the_session_opens(client, people):
    session = make_session(people["coach"], "Later", starts_in=5, ends_in=9)
    enrol(session, people["learner"])
    client.login("lea")
    assert client.get(f"/sessions/{session.id}").status_code == 403
    assert len(parse(client.get(f"/sessions/{session.id}/calendar.ics")).walk("VEVENT")) == 1


@pytest.mark.parametrize(
    ("starts", "ends", "summary", "at"),
    [(2, None, "Open start opens", 2), (None, 4, "Open start ends", 4)],
)
def test_a_window_with_one_bound_gives_an_instant_at_that_bound(client, people, starts, ends,
                                                               summary, at):
    session = make_session(people["coach"], "Open start", starts_in=starts, ends_in=ends)
    enrol(session, people["learner"])
    client.login("lea")
    [event] = parse(client.get(f"/sessions/{session.id}/calendar.ics")).walk("VEVENT")
    assert str(event["SUMMARY"]) == summary
    assert event.decoded("DTSTART") == NOW + timedelta(days=at)
    assert "DTEND" not in event


def test_no_date_no_calendar(client, people):
    session = make_session(people["coach"], "Always", starts_in=None, ends_in=None)
    enrol(session, people["learner"])
    client.login("lea")
    assert client.get(f"/sessions/{session.id}/calendar.ics").status_code == 404


def test_a_coach_gets_the_coach_window_and_a_stranger_nothing(client, people):
    session = make_session(people["coach"], "Autumn", starts_in=2, ends_in=9)
    client.login("cora")
    [event] = parse(client.get(f"/sessions/{session.id}/calendar.ics")).walk("VEVENT")
    assert event.decoded("DTSTART") == NOW + timedelta(days=2 - 7)
    assert event.decoded("DTEND") == NOW + timedelta(days=9 + 14)
    client.logout()
    client.login("sam")
    assert client.get(f"/sessions/{session.id}/calendar.ics").status_code == 404


def feed_url(client) -> str:
    page = client.get_page("/profile")
    return page.select_one("#feed-url")["value"].removeprefix("http://localhost")


def test_personal_feed_lists_every_displayed_session_without_login(client, people):
    shown = [make_session(people["coach"], "Now", starts_in=-1, ends_in=5),
             make_session(people["coach"], "Soon", starts_in=3, ends_in=8),
             make_session(people["coach"], "Done", starts_in=-30, ends_in=-3, policy="closed")]
    hidden = make_session(people["coach"], "Hidden", display_end=NOW - timedelta(days=1))
    undated = make_session(people["coach"], "Undated", starts_in=None, ends_in=None)
    theirs = make_session(people["coach"], "Not mine")
    enrol(theirs, people["stranger"])
    for session in [*shown, hidden, undated]:
        enrol(session, people["learner"])
    client.login("lea")
    url = feed_url(client)
    client.logout()
    calendar = parse(client.get(url))
    assert str(calendar["X-WR-CALNAME"]) == "Sessions of Lea Learner"
    events = {str(e["SUMMARY"]): e for e in calendar.walk("VEVENT")}
    assert sorted(events) == ["Done", "Now", "Soon"]
    assert events["Soon"].decoded("DTSTART") == NOW + timedelta(days=3)


def test_the_feed_address_can_be_reset_and_unknown_ones_are_404(client, people):
    enrol(make_session(people["coach"], "Now"), people["learner"])
    client.login("lea")
    old = feed_url(client)
    assert client.get(old).status_code == 200
    response = client.post("/profile/calendar")
    assert response.status_code == 303
    page = client.get_page(response.headers["Location"])
    assert "the old one no longer works" in page.select_one(".flash").text
    new = page.select_one("#feed-url")["value"].removeprefix("http://localhost")
    assert new != old
    assert client.get(old).status_code == 404
    assert client.get(new).status_code == 200
    assert client.get("/calendar/not-a-token.ics").status_code == 404
    assert client.get("/calendar/" + "x" * 200 + ".ics").status_code == 404


def test_an_inactive_users_feed_is_404(client, people):
    client.login("lea")
    url = feed_url(client)
    db.session.execute(
        User.__table__.update().where(User.id == people["learner"].id).values(active=False))
    db.session.commit()
    assert client.get(url).status_code == 404


def test_the_feed_token_is_made_once_and_kept(client, people):
    client.login("lea")
    first = feed_url(client)
    assert feed_url(client) == first
    token = db.session.scalar(select(User.calendar_token).where(User.username == "lea"))
    assert first == f"/calendar/{token}.ics"


# Names with every character a calendar's TEXT value must escape (RFC 5545, 3.3.11).
AWKWARD = 'Sales, Lyon; "Q3" \\ review\nsecond line'


def test_a_second_parser_reads_the_names_and_times_the_pages_show(client, people):
    """vobject, a parser independent of the icalendar library that writes the files."""
    import vobject

    session = make_session(people["coach"], AWKWARD, starts_in=2, ends_in=9)
    enrol(session, people["learner"])
    people["learner"].first_name = "Léa, ; \\"
    db.session.commit()
    client.login("lea")
    page = client.get_page("/my-sessions?tab=upcoming")
    one = vobject.readOne(client.get(f"/sessions/{session.id}/calendar.ics").get_data(
        as_text=True))
    feed = vobject.readOne(client.get(feed_url(client)).get_data(as_text=True))

    for calendar in (one, feed):
        [event] = calendar.vevent_list
        assert event.summary.value == AWKWARD
        assert event.dtstart.value == NOW + timedelta(days=2)
        assert event.dtend.value == NOW + timedelta(days=9)
    assert feed.contents["x-wr-calname"][0].value == "Sessions of Léa, ; \\ Learner"
    # The page shows the same name (its line break as a space) and the same days.
    card = page.find(string=lambda text: text and "Sales, Lyon" in text)
    assert " ".join(card.split()) == " ".join(AWKWARD.split())
    start, end = (value.astimezone(ZoneInfo("Europe/Paris")) for value in (
        one.vevent.dtstart.value, one.vevent.dtend.value))
    shown = card.find_parent("article").get_text(" ", strip=True)
    assert (f"Access {start.day} {start:%b} at {start:%H:%M} – "
            f"{end.day} {end:%b %Y} at {end:%H:%M}") in shown
