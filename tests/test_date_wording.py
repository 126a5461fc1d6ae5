"""How window bounds read, from the one formatting function, and on every page and file
that shows them: an end at local midnight is its last included day, any other bound
keeps its time, a range names a shared year once."""

import csv
import io
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from bs4 import BeautifulSoup
from icalendar import Calendar

from portal import clock
from portal.domain.access import Window
from portal.domain.calendar import CalendarEntry, build_calendar
from portal.domain.dates import (
    date_range,
    ended_text,
    format_bound,
    input_value,
    opens_text,
    parse_local,
    until_text,
    window_words,
)
from portal.domain.timeline import build_timeline
from portal.extensions import db
from tests.helpers import enrol, make_session

PARIS = ZoneInfo("Europe/Paris")
UTC_ZONE = ZoneInfo("UTC")
NEW_YORK = ZoneInfo("America/New_York")
SANTIAGO = ZoneInfo("America/Santiago")  # its clocks change at midnight


def utc(*parts):
    return datetime(*parts, tzinfo=UTC)


BOUNDS = [
    # (instant stored, zone of the viewer, is an end, reads)
    ("start at midnight", utc(2026, 12, 3), UTC_ZONE, False, "3 Dec 2026"),
    ("start with a time", utc(2026, 12, 3, 9, 0), UTC_ZONE, False, "3 Dec 2026 at 09:00"),
    ("end at midnight is the day before", utc(2026, 12, 4), UTC_ZONE, True, "3 Dec 2026"),
    ("end with a time", utc(2026, 12, 3, 9, 30), UTC_ZONE, True, "3 Dec 2026 at 09:30"),
    ("end at midnight in Paris, stored 23:00 UTC", utc(2026, 11, 24, 23), PARIS, True,
     "24 Nov 2026"),
    ("the same instant read in UTC has its time", utc(2026, 11, 24, 23), UTC_ZONE, True,
     "24 Nov 2026 at 23:00"),
    ("start at midnight in Paris", utc(2026, 10, 12, 22), PARIS, False, "13 Oct 2026"),
    ("end typed 15 Jul 2027 in Paris", utc(2027, 7, 15, 22), PARIS, True, "15 Jul 2027"),
    ("end on the spring change day (Paris, 28 Mar 2027 to midnight)",
     utc(2027, 3, 28, 22), PARIS, True, "28 Mar 2027"),
    ("end the day before the spring change", utc(2027, 3, 27, 23), PARIS, True,
     "27 Mar 2027"),
    ("end on the autumn change day (Paris, 25 Oct 2026 to midnight)",
     utc(2026, 10, 25, 23), PARIS, True, "25 Oct 2026"),
    ("end the day before the autumn change", utc(2026, 10, 24, 22), PARIS, True,
     "24 Oct 2026"),
    ("end at the first 01:30 of the autumn change", utc(2026, 11, 1, 5, 30), NEW_YORK, True,
     "1 Nov 2026 at 01:30"),
    ("end on a day whose midnight is skipped (starts at 01:00)", utc(2026, 9, 6, 4),
     SANTIAGO, True, "5 Sep 2026"),
    ("start on a day whose midnight is skipped", utc(2026, 9, 6, 4), SANTIAGO, False,
     "6 Sep 2026"),
    ("end at the New Year", utc(2027, 1, 1), UTC_ZONE, True, "31 Dec 2026"),
]


@pytest.mark.parametrize(("moment", "tz", "is_end", "reads"),
                         [case[1:] for case in BOUNDS], ids=[case[0] for case in BOUNDS])
def test_a_bound_reads_as_people_read_it(moment, tz, is_end, reads):
    assert format_bound(moment, tz, is_end=is_end) == reads
    # The form shows it back as text that is read again as the same instant.
    assert parse_local(input_value(moment, tz, is_end=is_end), tz, is_end=is_end) == moment


RANGES = [
    ("open start and end", None, None, "Always"),
    ("open start", None, utc(2027, 7, 15, 22), "Until 15 Jul 2027"),
    ("open start, timed end", None, utc(2027, 7, 15, 7, 30), "Until 15 Jul 2027 at 09:30"),
    ("open end", utc(2026, 12, 2, 23), None, "From 3 Dec 2026"),
    ("open end, timed start", utc(2026, 12, 3, 8), None, "From 3 Dec 2026 at 09:00"),
    ("same year", utc(2026, 10, 12, 22), utc(2026, 11, 24, 23), "13 Oct – 24 Nov 2026"),
    ("cross year", utc(2026, 12, 2, 23), utc(2027, 1, 10, 23), "3 Dec 2026 – 10 Jan 2027"),
    ("ends at the New Year: the last day is in the same year", utc(2026, 11, 30, 23),
     utc(2026, 12, 31, 23), "1 Dec – 31 Dec 2026"),
    ("one whole day", utc(2026, 12, 2, 23), utc(2026, 12, 3, 23), "3 Dec 2026"),
    ("with times, same year", utc(2026, 11, 2, 12), utc(2026, 12, 11, 12),
     "2 Nov at 13:00 – 11 Dec 2026 at 13:00"),
    ("with times, same day", utc(2026, 12, 3, 8), utc(2026, 12, 3, 16),
     "3 Dec 2026 at 09:00 – 17:00"),
    ("timed start, whole-day end", utc(2026, 12, 3, 8), utc(2027, 1, 10, 23),
     "3 Dec 2026 at 09:00 – 10 Jan 2027"),
    ("across the autumn change", utc(2026, 10, 23, 22), utc(2026, 10, 25, 23),
     "24 Oct – 25 Oct 2026"),
]


@pytest.mark.parametrize(("start", "end", "reads"), [case[1:] for case in RANGES],
                         ids=[case[0] for case in RANGES])
def test_a_window_reads_as_one_range(start, end, reads):
    assert date_range(start, end, PARIS) == reads
    assert window_words(start, end, PARIS) == reads[0].lower() + reads[1:]


def test_phrases_are_built_on_the_bound():
    end = utc(2026, 11, 24, 23)
    assert until_text(end, PARIS) == "until 24 Nov 2026"
    assert ended_text(end, PARIS) == "ended on 24 Nov 2026"
    assert opens_text(utc(2026, 12, 2, 23), PARIS) == "opens on 3 Dec 2026"
    assert opens_text(utc(2026, 12, 3, 8), PARIS) == "opens on 3 Dec 2026 at 09:00"


# --- the timeline -------------------------------------------------------------------

NOW = utc(2026, 12, 1, 16, 0)


def axis_texts(timeline):
    return [label.text for label in timeline.axis]


def test_timeline_caption_words_an_end_as_its_last_day():
    timeline = build_timeline({"Display": (None, None),
                               "Access": (utc(2027, 6, 30, 22), utc(2027, 7, 15, 22)),
                               "Coach access (as access)": (None, utc(2027, 7, 15, 22))},
                              NOW, PARIS)
    assert timeline.description == (
        "Display: always; Access: 1 Jul – 15 Jul 2027; "
        "Coach access (as access): until 15 Jul 2027. Today is 1 Dec 2026 at 17:00.")
    assert axis_texts(timeline) == ["1 Dec 2026", "15 Jul 2027"]


def test_timeline_with_no_dates_says_so_instead_of_an_axis_of_one_day():
    timeline = build_timeline({"Display": (None, None), "Access": (None, None)}, NOW, PARIS)
    assert axis_texts(timeline) == ["No dates: every window is always open"]
    assert timeline.description == "Display: always; Access: always. Today is 1 Dec 2026 at 17:00."


def test_one_sided_timeline_names_its_date_under_its_place():
    end = utc(2027, 1, 15, 23)
    timeline = build_timeline({"Display": (None, None), "Access": (None, end)}, NOW, PARIS)
    first, last = timeline.axis
    assert (first.text, last.text) == ("1 Dec 2026", "15 Jan 2027")
    assert first.x == timeline.today_x
    access = timeline.bars[1]
    assert last.x == pytest.approx(access.x + access.width)
    # A bound today: one label, not the same day twice.
    timeline = build_timeline({"Access": (NOW + timedelta(hours=2), None)}, NOW, PARIS)
    assert axis_texts(timeline) == ["1 Dec 2026"]


def test_no_timeline_label_is_cut():
    timeline = build_timeline({"Display": (None, None), "Access": (None, None),
                               "Coach access (as access)": (None, None)}, NOW, PARIS)
    coach = timeline.bars[2]
    assert coach.lines == ("Coach access", "(as access)")
    # Every line fits before the bars start, at a generous 7 units a character.
    assert all(len(line) * 7 < timeline.label_width for bar in timeline.bars
               for line in bar.lines)
    assert all(bar.x >= timeline.label_width for bar in timeline.bars)


def test_timeline_preview_page_draws_every_label_whole(client, make_user, frozen_now):
    make_user("root", role="admin")
    client.login("root")
    page = BeautifulSoup(client.get("/admin/sessions/timeline").data, "html.parser")
    labels = [" ".join(t.stripped_strings) for t in page.select("text.tl-label")]
    assert labels == ["Display", "Access", "Coach access (as access)"]
    assert [t.text for t in page.select("text.tl-axis")] == [
        "No dates: every window is always open"]


# --- pages and files of one session that ended -------------------------------------


@pytest.fixture
def ended(client, make_user, frozen_now):
    """Access typed as 13 Oct to 24 Nov 2026 in Paris (now is 29 Nov 2026), read only."""
    coach = make_user("cora", role="teacher", first_name="Cora", last_name="Coach")
    session = make_session(coach, "Support cohort", starts_in=None, ends_in=None)
    session.access_start = parse_local("2026-10-13", PARIS, is_end=False)
    session.access_end = parse_local("2026-11-24", PARIS, is_end=True)
    session.coach_start = session.coach_end = None
    db.session.commit()
    lea = make_user("lea")
    enrol(session, lea)
    assert session.access_end == utc(2026, 11, 24, 23)
    return session


def page_text(client, url, status=200):
    page = client.get_page(url, status=status)
    return " ".join(page.select_one("main").stripped_strings)


def test_every_page_says_the_same_last_day(client, ended, make_user):
    client.login("lea")
    card = client.get_page("/my-sessions?tab=past").select_one(".session-card")
    assert "Ended on 24 Nov 2026 — read only" in " ".join(card.stripped_strings)
    assert "13 Oct – 24 Nov 2026" in card.select_one(".card-dates").text
    session_page = page_text(client, f"/sessions/{ended.id}")
    assert "This session ended on 24 Nov 2026." in session_page
    assert "13 Oct – 24 Nov 2026" in session_page
    assert "at 00:00" not in session_page and "25 Nov" not in session_page
    client.logout()
    make_user("root", role="admin")
    client.login("root")
    admin_page = page_text(client, f"/admin/sessions/{ended.id}")
    assert "13 Oct – 24 Nov 2026" in admin_page
    assert "Access: 13 Oct – 24 Nov 2026" in admin_page  # the timeline caption
    assert "at 00:00" not in admin_page and "25 Nov" not in admin_page


def test_locked_page_says_the_last_day(client, ended):
    ended.after_end_policy = "closed"
    db.session.commit()
    client.login("lea")
    text = page_text(client, f"/sessions/{ended.id}", status=403)
    assert "This session has ended on 24 Nov 2026 and is now closed." in text


def test_upcoming_card_says_the_opening_day(client, ended):
    clock.set_now(utc(2026, 10, 1, 12))
    client.login("lea")
    card = client.get_page("/my-sessions?tab=upcoming").select_one(".session-card")
    assert "Opens on 13 Oct 2026 (in 11 days)" in " ".join(card.stripped_strings)


def test_csv_export_writes_the_last_included_day_in_the_viewers_zone(client, ended,
                                                                     make_user):
    make_user("root", role="admin")
    client.login("root")
    response = client.get("/admin/sessions.csv")
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    row = rows[0]
    # As the forms take them back: the end (24 Nov 23:00 UTC, exclusive) is its last day.
    assert (row["access_start"], row["access_end"]) == ("2026-10-13", "2026-11-24")
    assert row["timezone"] == "Europe/Paris"
    assert row["display_start"] == row["display_end"] == ""


def test_calendar_description_words_the_window_in_the_persons_zone():
    entry = CalendarEntry(1, 2, "Summer school",
                          Window(utc(2027, 6, 30, 22), utc(2027, 7, 15, 22)), "https://x/s/1")
    event = Calendar.from_ical(build_calendar([entry], NOW, "Mine", PARIS)).walk("VEVENT")[0]
    assert str(event["DESCRIPTION"]) == (
        "Your access to the session “Summer school”: 1 Jul – 15 Jul 2027 "
        "(Europe/Paris time). https://x/s/1")
    assert event.decoded("DTEND") == utc(2027, 7, 15, 22)  # the exclusive end, exact


def test_session_calendar_file_describes_the_window(client, ended):
    client.login("lea")
    body = client.get(f"/sessions/{ended.id}/calendar.ics").data
    event = Calendar.from_ical(body).walk("VEVENT")[0]
    assert "13 Oct – 24 Nov 2026 (Europe/Paris time)" in str(event["DESCRIPTION"])
