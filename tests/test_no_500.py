"""Bad input never answers 500: far dates, huge ids and numbers, line breaks in calendar
names, NUL characters, CSV cells that a spreadsheet would split (issue 12, points 3 to 8)."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from bs4 import BeautifulSoup
from icalendar import Calendar
from sqlalchemy import select

from portal.domain.csv_export import csv_lines, neutralise
from portal.domain.dates import DateInputError, parse_local
from portal.domain.timeline import build_timeline
from portal.domain.tracking_charts import chart_days
from portal.extensions import db
from portal.models import Assignment, Grade, Submission, TrainingSession, User
from tests.helpers import NOW, add_course, enrol, make_session

PEOPLE = ("admin", "coach", "ted", "lea")
HUGE = "9" * 20  # above 2**63 - 1
PARIS = ZoneInfo("Europe/Paris")

CREATE_FORM = {
    "name": "Far away", "description": "", "display_start": "", "display_end": "",
    "access_start": "", "access_end": "", "coach_start": "", "coach_end": "",
    "coach": "cora", "category_id": "0", "after_end_policy": "read_only",
    "duration_days": "",
}


@pytest.fixture
def world(people, client):
    session = make_session(people["coach"], "Onboarding", starts_in=-5, ends_in=10)
    course = add_course(session, coaches=[people["ted"]])
    essay = Assignment(course_id=course.id, title="Essay", max_score=20)
    db.session.add(essay)
    db.session.commit()
    enrol(session, people["lea"])
    return {"session": session, "course": course, "essay": essay}


def soup(response):
    return BeautifulSoup(response.data, "html.parser")


def saved(name):
    return db.session.scalar(select(TrainingSession).where(TrainingSession.name == name))


# --- 3. far dates ---------------------------------------------------------------------

FAR_DATES = [
    {"access_start": "2026-01-01", "access_end": "9999-12-31 23:59"},
    {"access_start": "0100-01-01", "access_end": "2027-01-01"},
    {"access_end": "9999-12-31"},
    {"access_start": "0001-01-01"},
    {"display_start": "0001-01-01 00:00", "display_end": "9999-12-31"},
    {"coach_start": "0001-01-01", "coach_end": "9999-12-31 23:59"},
]


@pytest.mark.parametrize("dates", FAR_DATES)
def test_far_dates_on_the_create_form_are_refused_with_a_field_error(client, people, world,
                                                                      dates):
    client.login("ada")
    preview = client.get("/admin/sessions/timeline", query_string=dates)
    assert preview.status_code == 200
    response = client.post("/admin/sessions/new", {**CREATE_FORM, **dates})
    assert response.status_code == 422
    errors = {e["id"].removesuffix("-error"): e.text for e in soup(response).select(".error")
              if e.get("id")} or soup(response).select(".error")
    assert errors
    assert "year" in soup(response).text
    assert saved("Far away") is None


@pytest.mark.parametrize("dates", FAR_DATES)
def test_far_dates_on_an_inline_row_are_refused_and_the_page_still_works(client, people,
                                                                           world, dates):
    client.login("ada")
    session = world["session"]
    row = next(k for k in ("access", "display", "coach_window")
               if any(n.startswith(k.split("_")[0]) for n in dates))
    fields = {f"{row.split('_')[0]}_start": "", f"{row.split('_')[0]}_end": "", **dates}
    response = client.post(f"/admin/sessions/{session.id}/details/{row}",
                           {"version": str(session.version), **fields}, htmx=True)
    assert response.status_code == 422
    assert "year" in soup(response).text
    assert client.get(f"/admin/sessions/{session.id}").status_code == 200


@pytest.mark.parametrize("to", ["9999-12-31", "0001-01-01"])
def test_far_dates_in_the_list_filters(client, people, world, to):
    client.login("ada")
    assert client.get(f"/admin/sessions?to={to}&from={to}").status_code == 200
    assert client.get(f"/admin/sessions.csv?to={to}&from={to}").status_code == 200


def test_parse_local_refuses_years_that_cannot_be_shown():
    for text, is_end in (("9999-12-31", True), ("0001-01-01", False),
                         ("9999-12-31 23:59", True), ("0100-01-01", False)):
        with pytest.raises(DateInputError, match="year"):
            parse_local(text, PARIS, is_end=is_end)
    assert parse_local("2999-12-31", PARIS, is_end=True) == datetime(2999, 12, 31, 23,
                                                                     tzinfo=UTC)


def test_timeline_and_chart_days_survive_the_extreme_datetimes():
    low = datetime(1, 1, 1, tzinfo=UTC)
    high = datetime(9999, 12, 31, 23, 59, tzinfo=UTC)
    zone = ZoneInfo("America/New_York")
    timeline = build_timeline({"Access": (low, high), "Display": (None, high)}, NOW, zone)
    assert timeline.bars[0].width > 0 and timeline.description
    days = chart_days(low, high, NOW, zone)
    assert days is not None and days.days[-1] == NOW.astimezone(zone).date()
    assert chart_days(NOW, high, NOW + timedelta(days=2), ZoneInfo("Asia/Tokyo")).days


def test_a_session_saved_with_extreme_dates_still_shows_every_page(client, people, world):
    session = world["session"]
    session.access_start = datetime(1, 1, 1, tzinfo=UTC)
    session.access_end = datetime(9999, 12, 31, 23, 59, tzinfo=UTC)
    session.coach_start = session.coach_end = None
    db.session.commit()
    client.login("ada")
    for url in (f"/admin/sessions/{session.id}", "/admin/sessions", "/admin/sessions.csv",
                f"/coach/sessions/{session.id}/tracking?charts=1",
                f"/coach/sessions/{session.id}/tracking/charts"):
        assert client.get(url).status_code == 200, url


# --- 4. huge ids ----------------------------------------------------------------------

@pytest.mark.parametrize("url", [
    f"/admin/sessions/{HUGE}", f"/admin/users/{HUGE}", f"/sessions/{HUGE}",
    f"/admin/courses/{HUGE}/assignments/{HUGE}", f"/sessions/{HUGE}/calendar.ics",
    f"/admin/sessions/{2**63 - 1}", f"/admin/courses/{2**63 - 1}", f"/admin/users/{2**31}",
    f"/coach/sessions/{2**31}/tracking", f"/admin/categories/{2**31}",
])
def test_huge_ids_in_urls_are_404(client, people, url):
    client.login("ada")
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("url", [
    f"/admin/sessions?category={HUGE}", f"/admin/sessions.csv?category={HUGE}",
    f"/admin/sessions?category=-{HUGE}", f"/admin/lookup/courses?q=py&not_in_session={HUGE}",
    f"/admin/users?page={HUGE}&per_page={HUGE}", f"/admin/history?session={HUGE}",
])
def test_huge_ids_in_list_parameters(client, people, world, url):
    client.login("ada")
    assert client.get(url).status_code == 200


@pytest.mark.parametrize("hidden", [
    {"course_id": HUGE}, {"learner_id": HUGE}, {"class_id": HUGE},
    {"course_coach": f"{HUGE}:{HUGE}"}, {"category_id": HUGE},
    {"action": f"remove_course:{HUGE}"}, {"action": f"add_course_coach:{HUGE}"},
])
def test_huge_hidden_ids_on_the_create_form(client, people, world, hidden):
    client.login("ada")
    response = client.post("/admin/sessions/new", {**CREATE_FORM, "action": "save", **hidden})
    assert response.status_code < 500


# --- 5. huge numbers ------------------------------------------------------------------

def test_a_309_digit_max_score_is_a_field_error(client, people, world):
    client.login("ada")
    url = f"/admin/courses/{world['course'].id}/assignments/new"
    response = client.post(url, {"title": "Quiz", "max_score": "9" * 309})
    assert response.status_code == 422
    assert "Enter a whole number from 1 to 1000." in soup(response).text


def test_a_309_digit_duration_is_a_field_error(client, people, world):
    client.login("ada")
    response = client.post("/admin/sessions/new", {**CREATE_FORM, "duration_days": "9" * 309})
    assert response.status_code == 422
    assert "Between 1 and 3650 days." in soup(response).text
    session = world["session"]
    response = client.post(f"/admin/sessions/{session.id}/details/access",
                           {"version": str(session.version), "access_start": "",
                            "access_end": "", "duration_days": "9" * 5000}, htmx=True)
    assert response.status_code == 422


# --- 6. line breaks in calendar names -------------------------------------------------

def test_line_breaks_in_names_do_not_break_calendars(client, people, world):
    world["session"].name = "Onboarding\r\nBEGIN:VEVENT\nX"
    people["lea"].first_name = "Lea\nEND:VCALENDAR"
    db.session.commit()
    client.login("lea")
    response = client.get(f"/sessions/{world['session'].id}/calendar.ics")
    assert response.status_code == 200
    calendar = Calendar.from_ical(response.data)
    [event] = calendar.walk("VEVENT")
    assert str(event["SUMMARY"]) == "Onboarding\nBEGIN:VEVENT\nX"
    feed = client.get_page("/profile").select_one("#feed-url")["value"]
    response = client.get(feed.removeprefix("http://localhost"))
    assert response.status_code == 200
    calendar = Calendar.from_ical(response.data)
    assert "END:VCALENDAR Learner" in str(calendar["X-WR-CALNAME"])
    assert response.data.count(b"\r\nEND:VCALENDAR") == 1
    assert len(calendar.walk("VEVENT")) == 1


# --- 7. NUL characters ----------------------------------------------------------------

def test_nul_is_dropped_from_session_name_description_and_copy_name(client, people, world):
    client.login("ada")
    client.post("/admin/sessions/new", {**CREATE_FORM, "name": "Nul\x00name",
                                        "description": "a\x00b"})
    created = saved("Nulname")
    assert created is not None and created.description == "ab"
    client.post(f"/admin/sessions/{created.id}/copy", {"name": "Copy\x00 of it"})
    assert saved("Copy of it") is not None
    client.post(f"/admin/sessions/{created.id}/details/description",
                {"version": str(created.version), "description": "c\x00d"}, htmx=True)
    db.session.expire_all()
    assert db.session.get(TrainingSession, created.id).description == "cd"


def test_nul_is_dropped_from_hand_ins_and_feedback(client, people, world, frozen_now):
    essay, session, course = world["essay"], world["session"], world["course"]
    client.login("lea")
    url = f"/sessions/{session.id}/courses/{course.id}/assignments/{essay.id}/hand-in"
    assert client.post(url, {f"a{essay.id}-answer": "my\x00 answer"}).status_code < 400
    submission = db.session.scalar(select(Submission))
    assert submission.answer == "my answer"
    client.logout()
    client.login("ted")
    url = (f"/coach/sessions/{session.id}/courses/{course.id}/submissions/{submission.id}")
    client.post(url, {f"s{submission.id}-score": "12",
                      f"s{submission.id}-feedback": "well\x00 done"})
    assert db.session.scalar(select(Grade)).feedback == "well done"


def test_nul_is_dropped_from_query_strings_and_user_forms(client, people):
    client.login("ada")
    assert client.get("/admin/sessions?q=On%00b&to=2026%00-01-01").status_code == 200
    client.post("/admin/users/new", {"username": "n\x00ul", "email": "nul@example.org",
                                     "first_name": "N\x00", "last_name": "Ul", "role": "learner",
                                     "timezone": "", "active": "y",
                                     "password": "a long enough pass phrase"})
    user = db.session.scalar(select(User).where(User.email == "nul@example.org"))
    assert (user.username, user.first_name) == ("nul", "N")


# --- 8. CSV cells ---------------------------------------------------------------------

@pytest.mark.parametrize(("cell", "written"), [
    ("x;=1+1", "\"x;'=1+1\""),
    ("a\tb", '"a\tb"'),
    ("a,b", '"a,b"'),
    ("a;b", '"a;b"'),
    ("x; -2", "\"x; '-2\""),
    ("=SUM(A1)", "'=SUM(A1)"),
    ("plain", "plain"),
    ('say "hi"', '"say ""hi"""'),
])
def test_csv_cells_with_a_separator_are_quoted_and_neutralised(cell, written):
    header, line = list(csv_lines(["h"], [[cell]]))
    assert line == written + "\r\n"


def test_neutralise_keeps_its_first_character_rule():
    assert neutralise("-5") == "'-5"
    assert neutralise(None) == ""
    assert neutralise("a-b") == "a-b"
