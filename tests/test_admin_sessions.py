"""Admin sessions: create, list (search, filters, sort, pages), copy, delete, export."""

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from bs4 import BeautifulSoup
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, insert, select

from portal.domain import session_import
from portal.domain.session_list import (
    STATUSES,
    SessionFilters,
    row_status,
    session_list_statement,
)
from portal.extensions import db
from portal.models import (
    ClassMembership,
    Course,
    Enrolment,
    Grade,
    SessionCategory,
    SessionCourseCoach,
    Submission,
    TrainingSession,
    User,
    UserClass,
)
from portal.models.course import Assignment
from tests.helpers import NOW, add_course, enrol, make_session


@pytest.fixture
def admin(client, make_user, frozen_now):
    user = make_user("root", role="admin")
    client.login("root")
    return user


@pytest.fixture
def world(admin, make_user):
    coach = make_user("cora", role="teacher", first_name="Cora", last_name="Coach")
    teachers = [make_user("ted", role="teacher"), make_user("tia", role="teacher")]
    learners = [make_user(f"learner{i}") for i in range(7)]
    db.session.add_all([Course(code="PY101", title="Python basics"),
                        Course(code="SQL1", title="SQL for analysts"),
                        SessionCategory(name="Onboarding"), SessionCategory(name="Leadership")])
    red = UserClass(name="Red team")
    db.session.add(red)
    db.session.flush()
    db.session.add_all([ClassMembership(class_id=red.id, user_id=learners[5].id),
                        ClassMembership(class_id=red.id, user_id=learners[6].id)])
    db.session.commit()
    return {"coach": coach, "teachers": teachers, "learners": learners, "class": red}


def category_id(name):
    return db.session.scalar(select(SessionCategory.id).where(SessionCategory.name == name))


BASE_FORM = {
    "name": "Autumn onboarding",
    "description": "Welcome **aboard**",
    "display_start": "2026-11-20",
    "display_end": "2027-01-31",
    "access_start": "2026-12-01 09:00",
    "access_end": "2026-12-20",
    "coach_start": "2026-11-24",
    "coach_end": "2027-01-10",
    "coach": "cora",
    "category_id": "0",
    "after_end_policy": "read_only",
    "duration_days": "",
}


def post_form(client, data, htmx=False, **extra):
    form = {**BASE_FORM, **data}
    return client.post("/admin/sessions/new", form, htmx=htmx, **extra)


def test_create_a_complete_session(client, world):
    courses = db.session.scalars(select(Course).order_by(Course.code)).all()
    teachers, learners = world["teachers"], world["learners"]
    form = {
        **BASE_FORM,
        "category_id": str(category_id("Onboarding")),
        "after_end_policy": "closed",
        "course_id": [str(c.id) for c in courses],
        "course_coach": [f"{courses[0].id}:{teachers[0].id}", f"{courses[1].id}:{teachers[1].id}"],
        "learner_id": [str(u.id) for u in learners[:5]],
        "class_id": [str(world["class"].id)],
        "action": "save",
    }
    response = client.post("/admin/sessions/new", form)
    assert response.status_code == 303
    session = db.session.scalar(select(TrainingSession))
    assert response.headers["Location"] == f"/admin/sessions/{session.id}"
    assert session.name == "Autumn onboarding" and session.after_end_policy == "closed"
    # Paris is UTC+1 in December: 09:00 local is 08:00 UTC; an end date is exclusive midnight.
    assert session.access_start == datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
    assert session.access_end == datetime(2026, 12, 20, 23, 0, tzinfo=UTC)
    assert session.coach.username == "cora"
    assert [sc.course.code for sc in session.courses] == ["PY101", "SQL1"]
    assert db.session.scalar(select(func.count()).select_from(SessionCourseCoach)) == 2
    enrolled = db.session.execute(select(Enrolment.user_id, Enrolment.source)).all()
    assert len(enrolled) == 7
    assert sorted(s for _, s in enrolled) == ["class"] * 2 + ["individual"] * 5
    page = client.get_page(response.headers["Location"])
    assert page.select_one("h1").text == "Autumn onboarding"
    assert page.select_one("svg[role=img] title").text == "Session windows"
    assert "Python basics" in page.text and "Learners (7)" in page.text
    assert page.select_one("dd strong").text == "aboard"  # Markdown rendered


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"name": ""}, "name", "Give the session a name."),
        ({"coach": ""}, "coach", "Choose the session coach."),
        ({"coach": "nobody"}, "coach", "No active user has the username or e-mail “nobody”."),
        ({"access_start": "31/12/2026"}, "access_start", "Write a date as 2026-03-31"),
        ({"access_end": "2026-11-30"}, "access_end", "The end must be after the start."),
        ({"display_end": "2026-11-01"}, "display_end", "The end must be after the start."),
        ({"coach_start": "2027-02-01"}, "coach_end", "The end must be after the start."),
        ({"duration_days": "0"}, "duration_days", "Between 1 and 3650 days."),
        ({"duration_days": "abc"}, "duration_days", "Not a valid integer value."),
        ({"duration_days": "30"}, "duration_days", "leave Access start and Access end empty"),
        ({"category_id": "9999"}, "category_id", "Not a valid choice"),
        ({"name": "x" * 201}, "name", "At most 200 characters."),
    ],
)
def test_create_form_errors(client, world, changes, field, message):
    page = client.post_page("/admin/sessions/new", {**BASE_FORM, **changes, "action": "save"},
                            status=422)
    error = page.select_one(f"#{field}-error")
    assert error is not None and message in error.text
    assert page.select_one(f"#{field}")["aria-invalid"] == "true"
    assert db.session.scalar(select(func.count()).select_from(TrainingSession)) == 0
    # What was typed is kept.
    assert page.select_one("#description").text.strip() == "Welcome **aboard**"


def test_duplicate_name_is_refused_whatever_the_case(client, world):
    make_session(world["coach"], name="Autumn Onboarding")
    page = client.post_page("/admin/sessions/new", {**BASE_FORM, "name": "autumn onboarding"},
                            status=422)
    assert page.select_one("#name-error").text == "A session already has this name."


def test_narrow_coach_window_warns_and_saves_anyway(client, world):
    narrow = {**BASE_FORM, "coach_start": "2026-12-05", "coach_end": "2026-12-10",
              "action": "save"}
    page = client.post_page("/admin/sessions/new", narrow, status=422)
    warning = page.select_one(".warning-box").text
    assert "starts after learners can get in" in warning
    assert "ends before learners' access ends" in warning
    assert db.session.scalar(select(func.count()).select_from(TrainingSession)) == 0
    response = client.post("/admin/sessions/new", {**narrow, "action": "save_anyway"})
    assert response.status_code == 303
    assert db.session.scalar(select(TrainingSession.name)) == "Autumn onboarding"


def test_no_coach_window_means_no_warning(client, world):
    response = client.post("/admin/sessions/new",
                           {**BASE_FORM, "coach_start": "", "coach_end": "", "action": "save"})
    assert response.status_code == 303


def test_pickers_add_and_remove_without_javascript(client, world):
    learner = world["learners"][0]
    page = client.post_page("/admin/sessions/new",
                            {**BASE_FORM, "action": "add_learner", "add_learner": "learner0"})
    assert [i["value"] for i in page.select("input[name=learner_id]")] == [str(learner.id)]
    chips = page.select_one("ul[aria-label='Learners to enrol']").text
    assert "Learner0 Tester (learner0)" in chips
    page = client.post_page("/admin/sessions/new",
                            {**BASE_FORM, "learner_id": str(learner.id),
                             "action": f"remove_learner:{learner.id}"})
    assert page.select("input[name=learner_id]") == []


def test_picker_course_and_coach(client, world):
    page = client.post_page("/admin/sessions/new",
                            {**BASE_FORM, "action": "add_course", "add_course": "PY101"})
    course_id = page.select_one("input[name=course_id]")["value"]
    page = client.post_page("/admin/sessions/new",
                            {**BASE_FORM, "course_id": course_id,
                             "action": f"add_course_coach:{course_id}",
                             f"add_coach_{course_id}": "ted@example.org"})
    ted = world["teachers"][0]
    assert page.select_one("input[name=course_coach]")["value"] == f"{course_id}:{ted.id}"


@pytest.mark.parametrize(
    ("action", "data", "field", "message"),
    [
        ("add_course", {"add_course": "NOPE"}, "add_course", "No course has the code “NOPE”."),
        ("add_learner", {"add_learner": "ghost"}, "add_learner",
         "No active user has the username or e-mail “ghost”."),
        ("add_class", {"add_class": "Blue"}, "add_class", "No class is called “Blue”."),
        ("add_class", {"add_class": ""}, "add_class", "Type a class name to add."),
    ],
)
def test_picker_errors(client, world, action, data, field, message):
    page = client.post_page("/admin/sessions/new", {**BASE_FORM, "action": action, **data},
                            status=422)
    assert page.select_one(f"#{field}-error").text == message


def test_enter_key_adds_what_is_typed_then_saves(client, world):
    page = client.post_page("/admin/sessions/new",
                            {**BASE_FORM, "action": "enter", "add_class": "Red team"})
    class_id = page.select_one("input[name=class_id]")["value"]
    response = client.post("/admin/sessions/new",
                           {**BASE_FORM, "action": "enter", "class_id": class_id})
    assert response.status_code == 303
    assert db.session.scalar(select(func.count()).select_from(Enrolment)) == 2


def test_htmx_create_gets_a_fragment_then_a_redirect(client, world):
    response = post_form(client, {"name": ""}, htmx=True)
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "<html" not in body and 'id="session-form"' in body
    response = post_form(client, {"action": "save"}, htmx=True)
    session_id = db.session.scalar(select(TrainingSession.id))
    assert response.headers["HX-Redirect"] == f"/admin/sessions/{session_id}"


def test_timeline_preview_marks_today_and_describes_windows(client, admin):
    response = client.get("/admin/sessions/timeline?access_start=2026-12-01&access_end=2026-12-20"
                          "&display_start=bad")
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "<svg" in body and ">Today</text>" in body
    assert "Access: 1 Dec – 20 Dec 2026" in body
    assert "Display: always" in body


# --- the list -------------------------------------------------------------------


@pytest.fixture
def listed(admin, make_user):
    """Five sessions around NOW: two active, one upcoming, two past, in two categories."""
    coach = make_user("cora", role="teacher")
    onboarding, leadership = SessionCategory(name="Onboarding"), SessionCategory(name="Leadership")
    db.session.add_all([onboarding, leadership])
    db.session.commit()
    specs = [
        ("Alpha", onboarding, -5, 5),
        ("Bravo", leadership, -1, 30),
        ("Charlie", onboarding, 3, 10),
        ("Delta", None, -40, -10),
        ("Echo", leadership, -20, 0),  # ends exactly now: past
    ]
    sessions = {}
    for name, category, start, end in specs:
        sessions[name] = make_session(coach, name=name, starts_in=start, ends_in=end,
                                      category_id=category.id if category else None,
                                      display_start=NOW + timedelta(days=start - 14))
    learners = [make_user(f"l{i}") for i in range(3)]
    enrol(sessions["Bravo"], *learners)
    enrol(sessions["Alpha"], learners[0])
    add_course(sessions["Charlie"], code="A1")
    add_course(sessions["Charlie"], code="A2", title="Second")
    return sessions


def names(page):
    return [a.text for a in page.select("tbody td:first-child a")]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["Alpha", "Bravo", "Charlie", "Delta", "Echo"]),
        ("?q=ha", ["Alpha", "Charlie"]),
        ("?q=%25", []),  # a LIKE wildcard is searched literally
        ("?status=active", ["Alpha", "Bravo"]),
        ("?status=upcoming", ["Charlie"]),
        ("?status=past", ["Delta", "Echo"]),
        ("?status=bogus", ["Alpha", "Bravo", "Charlie", "Delta", "Echo"]),
        ("?from=2026-12-05&to=2026-12-31", ["Bravo", "Charlie"]),
        ("?to=2026-11-01", ["Delta"]),
        ("?from=2026-11-29", ["Alpha", "Bravo", "Charlie", "Echo"]),  # Echo ends 29 Nov 12:00
        ("?sort=name&dir=desc", ["Echo", "Delta", "Charlie", "Bravo", "Alpha"]),
        ("?sort=learners&dir=desc", ["Bravo", "Alpha", "Charlie", "Delta", "Echo"]),
        ("?sort=courses&dir=desc", ["Charlie", "Alpha", "Bravo", "Delta", "Echo"]),
        ("?sort=access", ["Delta", "Echo", "Alpha", "Bravo", "Charlie"]),
        ("?sort=category", ["Delta", "Bravo", "Echo", "Alpha", "Charlie"]),
        ("?sort=status", ["Alpha", "Bravo", "Charlie", "Delta", "Echo"]),
        ("?sort=status&dir=desc", ["Delta", "Echo", "Charlie", "Alpha", "Bravo"]),
        ("?sort=display", ["Delta", "Echo", "Alpha", "Bravo", "Charlie"]),
        ("?sort=nonsense", ["Alpha", "Bravo", "Charlie", "Delta", "Echo"]),
    ],
)
def test_list_filters_and_sorting(client, listed, query, expected):
    assert names(client.get_page("/admin/sessions" + query)) == expected


def test_category_filter_and_combination(client, listed):
    cat = category_id("Onboarding")
    assert names(client.get_page(f"/admin/sessions?category={cat}")) == ["Alpha", "Charlie"]
    assert names(client.get_page(f"/admin/sessions?category={cat}&status=active")) == ["Alpha"]
    assert names(client.get_page("/admin/sessions?category=abc")) == [
        "Alpha", "Bravo", "Charlie", "Delta", "Echo"]


def test_status_boundaries_follow_the_clock(client, listed, frozen_now):
    charlie = listed["Charlie"]
    frozen_now(charlie.access_start - timedelta(seconds=1))
    assert "Charlie" in names(client.get_page("/admin/sessions?status=upcoming"))
    frozen_now(charlie.access_start)
    assert "Charlie" in names(client.get_page("/admin/sessions?status=active"))
    frozen_now(charlie.access_end - timedelta(seconds=1))
    assert "Charlie" in names(client.get_page("/admin/sessions?status=active"))
    frozen_now(charlie.access_end)
    page = client.get_page("/admin/sessions?status=past")
    assert "Charlie" in names(page)


def test_list_shows_counts_category_and_status(client, listed):
    page = client.get_page("/admin/sessions?q=bravo")
    cells = [td.text.strip() for td in page.select("tbody tr")[0].select("td")]
    assert cells[1] == "Leadership" and cells[4] == "0" and cells[5] == "3"
    assert cells[6] == "Active"


def test_sort_links_keep_filters_and_reverse(client, listed):
    page = client.get_page("/admin/sessions?status=active&sort=name")
    link = page.select("th a")[0]["href"]
    assert link == "/admin/sessions?status=active&dir=desc"
    assert page.select_one("th[aria-sort]")["aria-sort"] == "ascending"


def test_pagination(client, admin, make_user):
    coach = make_user("cora", role="teacher")
    db.session.execute(insert(TrainingSession), [
        {"name": f"S{i:03d}", "coach_id": coach.id, "after_end_policy": "read_only",
         "version": 1, "description": "", "created_at": NOW, "updated_at": NOW}
        for i in range(60)
    ])
    db.session.commit()
    page = client.get_page("/admin/sessions?page=2")
    assert names(page)[0] == "S025" and len(names(page)) == 25
    assert page.select_one(".count").text == "26–50 of 60"
    assert page.select_one(".pagination [aria-current=page]").text == "2"
    assert len(names(client.get_page("/admin/sessions?per_page=50"))) == 50
    assert len(names(client.get_page("/admin/sessions?per_page=7"))) == 25  # not a choice
    assert names(client.get_page("/admin/sessions?page=99"))[-1] == "S059"  # past the end
    assert names(client.get_page("/admin/sessions?page=x"))[0] == "S000"
    next_link = page.select_one("a[rel=next]")["href"]
    assert "page=3" in next_link


def test_htmx_list_request_returns_only_the_results(client, listed):
    response = client.htmx_get("/admin/sessions?q=alp")
    body = response.get_data(as_text=True)
    assert "<html" not in body and "Alpha" in body and "Bravo" not in body
    assert "HX-Request" in response.headers["Vary"]
    # Back button: a history restore gets the whole page.
    restore = client.get("/admin/sessions?q=alp",
                         headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})
    assert b"<html" in restore.data


def test_filters_are_kept_in_the_page(client, listed):
    page = client.get_page("/admin/sessions?q=ha&status=active&per_page=50&from=2026-11-01")
    assert page.select_one("#q")["value"] == "ha"
    assert page.select_one("#status option[selected]")["value"] == "active"
    assert page.select_one("#from")["value"] == "2026-11-01"
    # The page size is chosen under the table and kept by the filter form.
    assert page.select_one(".per-page strong").text == "50"
    assert page.select_one("input[name=per_page][form=session-filters]")["value"] == "50"


def test_date_filters_are_typed_like_the_session_forms(client, listed):
    page = client.get_page("/admin/sessions")
    for name in ("from", "to"):
        field = page.select_one(f"#{name}")
        assert field["type"] == "text" and field["placeholder"] == "YYYY-MM-DD"
        hint = page.select_one("#" + field["aria-describedby"].split()[0]).text
        assert "2026-03-31" in hint
    # A date and time is read as in the forms, in the viewer's zone.
    assert names(client.get_page("/admin/sessions?from=2026-12-09 13:00")) == ["Bravo"]


@pytest.mark.parametrize(("query", "message"), [
    ("?from=2026-12-20&to=2026-12-01", "“From” must be before “To”: the dates are not applied."),
    ("?from=garbage", "“From”: Write a date as 2026-03-31"),
    ("?to=2026-02-30", "“To”: Write a date as 2026-03-31"),
    ("?from=0900-01-01", "“From”: Use a year from 1900 to 2999"),
])
def test_dates_that_cannot_apply_are_refused_with_a_message(client, listed, query, message):
    everyone = ["Alpha", "Bravo", "Charlie", "Delta", "Echo"]
    page = client.get_page("/admin/sessions" + query)
    assert message in page.select_one("#dates-error").text
    assert names(page) == everyone  # not filtered by dates that mean nothing
    # htmx: the results and, out of band, the message beside the dates.
    response = client.htmx_get("/admin/sessions" + query + "&q=ha")
    assert response.status_code == 422
    fragment = BeautifulSoup(response.data, "html.parser")
    error = fragment.select_one("#dates-error[data-hx-swap-oob]")
    assert message in error.text and error["role"] == "alert"
    assert names(fragment) == ["Alpha", "Charlie"]
    export = client.get("/admin/sessions.csv" + query).get_data(as_text=True)
    assert len(export.strip().splitlines()) == 1 + len(everyone)  # as the list: not applied


def test_same_day_from_and_to_is_one_whole_day(client, listed):
    page = client.get_page("/admin/sessions?from=2026-12-05&to=2026-12-05")
    assert page.select_one("#dates-error").text.strip() == ""
    assert names(page) == ["Bravo", "Charlie"]


def test_clear_filters_links_to_the_whole_list_while_a_filter_is_set(client, listed):
    assert client.get_page("/admin/sessions").select_one("#clear-filters a") is None
    assert client.get_page("/admin/sessions?sort=learners").select_one("#clear-filters a") is None
    page = client.get_page("/admin/sessions?status=past&q=e")
    assert page.select_one("#clear-filters a")["href"] == "/admin/sessions"
    fragment = BeautifulSoup(client.htmx_get("/admin/sessions?q=e").data, "html.parser")
    assert fragment.select_one("#clear-filters[data-hx-swap-oob] a").text == "Clear filters"
    fragment = BeautifulSoup(client.htmx_get("/admin/sessions?q=").data, "html.parser")
    assert fragment.select_one("#clear-filters[data-hx-swap-oob] a") is None


def test_an_empty_result_says_one_thing(client, listed):
    page = client.get_page("/admin/sessions?q=nothing-like-this")
    text = " ".join(page.select_one("#results").get_text(" ").split())
    assert text == "No session matches these filters."
    assert page.select_one("#results table") is None


def test_no_session_at_all(client, admin):
    page = client.get_page("/admin/sessions")
    assert " ".join(page.select_one("#results").get_text(" ").split()) == "No session yet."


def test_rows_are_compact_and_labelled_for_small_screens(client, listed):
    """One short date range per cell, no "Open" beside the name's own link, and every
    cell names its column (a phone stylesheet shows rows as cards with these names)."""
    page = client.get_page("/admin/sessions?q=bravo")
    headings = [th.get_text(" ", strip=True).rstrip(" ▲▼") for th in page.select("thead th")]
    row = page.select_one("tbody tr")
    labels = [td["data-label"] for td in row.select("td")]
    assert labels == headings == ["Session name", "Category", "Display", "Access", "Courses",
                                  "Learners", "Status", "Actions"]
    cells = {td["data-label"]: td.get_text(" ", strip=True) for td in row.select("td")}
    assert cells["Display"] == "From 14 Nov 2026 at 13:00"
    assert cells["Access"] == "28 Nov at 13:00 – 29 Dec 2026 at 13:00"
    assert cells["Actions"] == "Copy Delete"


def _bulk_sessions(coach, count, category_id):
    db.session.execute(insert(TrainingSession), [
        {"name": f"Bulk {i:04d}", "coach_id": coach.id, "after_end_policy": "read_only",
         "version": 1, "description": "", "created_at": NOW, "updated_at": NOW,
         "category_id": category_id,
         "access_start": NOW - timedelta(days=i % 30), "access_end": NOW + timedelta(days=i % 7)}
        for i in range(count)
    ])
    db.session.commit()


def test_list_costs_the_same_queries_for_10_and_500_sessions(client, admin, make_user,
                                                             count_queries):
    coach = make_user("cora", role="teacher")
    category = SessionCategory(name="Bulk")
    db.session.add(category)
    db.session.commit()
    counts = []
    for total in (10, 500):
        db.session.execute(TrainingSession.__table__.delete())
        _bulk_sessions(coach, total, category.id)
        learners = [make_user(f"u{total}_{i}") for i in range(3)]
        first = db.session.scalar(select(TrainingSession.id).order_by(TrainingSession.id))
        enrol(db.session.get(TrainingSession, first), *learners)
        url = (f"/admin/sessions?sort=learners&dir=desc&category={category.id}"
               "&status=active&per_page=100")
        with count_queries() as counter:
            page = client.get_page(url)
        assert len(names(page)) == (8 if total == 10 else 100)  # i % 7 == 0 ends now: past
        counts.append(counter.count)
    assert counts[0] == counts[1] <= 6


# --- duration mode ---------------------------------------------------------------------


def test_duration_mode_shows_days_per_learner_and_the_status_of_its_display_window(
        client, listed):
    """Each learner's N days run from their own first access: the list says so, and its
    status comes from the fixed dates that still apply, the display window."""
    coach = listed["Alpha"].coach
    for name, days, display in (("Self-paced soon", 30, (3, 60)), ("Self-paced over", 1, (-60, -1)),
                                ("Self-paced always", 14, (None, None))):
        start, end = (NOW + timedelta(days=d) if d is not None else None for d in display)
        make_session(coach, name, starts_in=None, ends_in=None, duration_days=days,
                     display_start=start, display_end=end)
    page = client.get_page("/admin/sessions?q=self-paced")
    shown = {row.select_one("td a").text: (row.select_one("td[data-label=Access]").text,
                                           row.select_one("td[data-label=Status]").text.strip())
             for row in page.select("tbody tr")}
    assert shown == {"Self-paced always": ("14 days per learner", "Active"),
                     "Self-paced over": ("1 day per learner", "Past"),
                     "Self-paced soon": ("30 days per learner", "Upcoming")}
    for status, name in (("active", "Self-paced always"), ("past", "Self-paced over"),
                         ("upcoming", "Self-paced soon")):
        assert names(client.get_page(f"/admin/sessions?q=self-paced&status={status}")) == [name]
    response = client.get("/admin/sessions.csv?q=self-paced")
    rows = csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff")))
    assert {r["name"]: (r["duration_days"], r["access_start"], r["access_end"])
            for r in rows} == {"Self-paced always": ("14", "", ""),
                               "Self-paced over": ("1", "", ""),
                               "Self-paced soon": ("30", "", "")}


GRID = [NOW + timedelta(hours=h) for h in range(-2, 3)]
_bound = st.none() | st.sampled_from(GRID)
_drawn_session = st.fixed_dictionaries({
    "display_start": _bound, "display_end": _bound, "access_start": _bound,
    "access_end": _bound, "duration_days": st.none() | st.integers(1, 30)})


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(drawn=st.lists(_drawn_session, min_size=1, max_size=12), now=st.sampled_from(GRID))
def test_the_status_filter_selects_the_status_shown(app, make_user, drawn, now):
    """The status filter (SQL) and the Status column (Python) agree, in and out of
    duration mode, an instant often falling exactly on a bound."""
    coach = db.session.scalar(select(User).where(User.username == "drawer")) or make_user(
        "drawer")
    sessions = [TrainingSession(name=f"Drawn {i}", coach_id=coach.id, **row)
                for i, row in enumerate(drawn)]
    db.session.add_all(sessions)
    db.session.flush()
    try:
        rows = db.session.execute(session_list_statement(SessionFilters(), now, UTC)).all()
        shown = {row.id: row_status(row, now) for row in rows}
        for key, status in STATUSES.items():
            filtered = session_list_statement(SessionFilters(status=key), now, UTC)
            selected = {row.id for row in db.session.execute(filtered)}
            assert selected == {i for i, s in shown.items() if s is status}, key
    finally:
        db.session.rollback()


# --- copy, delete, export -----------------------------------------------------------


def test_copy_keeps_courses_and_coaches_but_not_learners(client, listed, make_user):
    ted = make_user("ted", role="teacher")
    source = listed["Bravo"]
    add_course(source, code="PY1", coaches=[ted])
    page = client.get_page(f"/admin/sessions/{source.id}/copy")
    assert page.select_one("#name")["value"] == "Copy of Bravo"
    assert page.select_one("#copy_coaches").has_attr("checked")  # ticked unless unticked
    response = client.post(f"/admin/sessions/{source.id}/copy",
                           {"name": "Bravo 2027", "copy_coaches": "y"})
    assert response.status_code == 303
    copy = db.session.scalar(select(TrainingSession).where(TrainingSession.name == "Bravo 2027"))
    assert copy.coach_id == source.coach_id and copy.category_id == source.category_id
    assert (copy.access_start, copy.access_end) == (source.access_start, source.access_end)
    assert [sc.course.code for sc in copy.courses] == ["PY1"]
    assert db.session.scalar(select(SessionCourseCoach.user_id)
                             .where(SessionCourseCoach.session_id == copy.id)) == ted.id
    assert db.session.scalar(select(func.count()).select_from(Enrolment)
                             .where(Enrolment.session_id == copy.id)) == 0


@pytest.mark.parametrize(("name", "message"), [
    ("", "Give the copy a name."),
    ("alpha", "A session already has this name."),
    ("x" * 201, "At most 200 characters."),
])
def test_copy_name_errors(client, listed, name, message):
    page = client.post_page(f"/admin/sessions/{listed['Bravo'].id}/copy", {"name": name},
                            status=422)
    assert page.select_one("#name-error").text == message


def test_second_copy_gets_a_numbered_name(client, listed):
    client.post(f"/admin/sessions/{listed['Alpha'].id}/copy", {"name": "Copy of Alpha"})
    page = client.get_page(f"/admin/sessions/{listed['Alpha'].id}/copy")
    assert page.select_one("#name")["value"] == "Copy of Alpha (2)"


def test_delete_names_what_is_lost_then_deletes(client, listed, make_user):
    bravo = listed["Bravo"]
    bravo_id = bravo.id
    course = add_course(bravo, code="PY1")
    assignment = Assignment(course_id=course.id, title="Essay", max_score=10)
    db.session.add(assignment)
    db.session.flush()
    learner = db.session.scalar(select(Enrolment.user_id).where(Enrolment.session_id == bravo.id))
    submission = Submission(session_id=bravo.id, assignment_id=assignment.id, user_id=learner,
                            answer="hi", submitted_at=NOW)
    db.session.add(submission)
    db.session.flush()
    db.session.add(Grade(submission_id=submission.id, score=8, graded_at=NOW))
    db.session.commit()
    page = client.get_page(f"/admin/sessions/{bravo.id}/delete")
    items = [li.text.strip() for li in page.select("main ul li") if li.strong]
    assert items == ["3 learner enrolments", "1 submission", "1 grade"]
    response = client.post(f"/admin/sessions/{bravo.id}/delete")
    assert response.status_code == 303
    remaining = select(TrainingSession.id).where(TrainingSession.id == bravo_id)
    assert db.session.scalar(remaining) is None
    assert db.session.scalar(select(func.count()).select_from(Submission)) == 0
    assert db.session.scalar(select(func.count()).select_from(Grade)) == 0
    assert db.session.scalar(select(func.count()).select_from(Course)) == 3  # courses stay


def test_csv_export_follows_the_filters_and_neutralises_formulas(client, listed, make_user):
    listed["Alpha"].name = "=HYPERLINK(\"x\")"
    db.session.commit()
    response = client.get("/admin/sessions.csv?category=" + str(category_id("Onboarding")))
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0] == list(session_import.COLUMNS)  # what the sessions import reads
    assert [r[0] for r in rows[1:]] == ["'=HYPERLINK(\"x\")", "Charlie"]
    charlie = dict(zip(rows[0], rows[2], strict=True))
    assert charlie == {
        "name": "Charlie", "code": "", "category": "Onboarding", "description": "",
        "session_coach": "cora", "timezone": "Europe/Paris",
        "display_start": "2026-11-18 13:00", "display_end": "",
        "access_start": "2026-12-02 13:00", "access_end": "2026-12-09 13:00",
        "coach_start": "2026-11-25 13:00", "coach_end": "2026-12-23 13:00",
        "duration_days": "", "after_end_policy": "read_only", "welcome_message": "no",
        "grade_released_message": "no", "remind_days_before_end": "",
        "coach_remind_days_before_end": "", "courses": "A1; A2", "classes": ""}


# --- who may come in ------------------------------------------------------------------


def admin_urls(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("admin."):
            # An id for each argument; a choice of words (``any(...)``) gets its first word.
            values = {arg: next(iter(getattr(rule._converters[arg], "items", ())), 1)
                      for arg in rule.arguments}
            yield _build(rule, values)


def _build(rule, values):
    from flask import url_for

    return url_for(rule.endpoint, **values)


def test_no_admin_route_is_open_to_learners_or_visitors(app, client, make_user):
    make_user("lea")
    with app.test_request_context():
        urls = sorted(set(admin_urls(app)))
    assert len(urls) >= 8
    for url in urls:
        response = client.get(url)
        assert response.status_code in (302, 405), url
        if response.status_code == 302:
            assert "/login" in response.headers["Location"]
    client.login("lea")
    for url in urls:
        assert client.get(url).status_code in (404, 405), url
        assert client.post(url).status_code in (404, 405), url
