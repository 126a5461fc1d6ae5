"""Admin flows in a real browser: create a session, find it again, edit it inline."""

import re
from datetime import timedelta

from playwright.sync_api import expect

from portal import clock
from portal.extensions import db
from portal.models import (
    ClassMembership,
    Course,
    SessionCategory,
    TrainingSession,
    User,
    UserClass,
)
from tests.e2e.conftest import check_accessibility, login


def seed_world(seed):
    seed.user("root", role="admin")
    seed.user("cora", role="teacher", first_name="Cora", last_name="Coach")
    seed.user("ted", role="teacher", first_name="Ted", last_name="Teach")
    seed.user("tia", role="teacher", first_name="Tia", last_name="Tutor")
    learners = [seed.user(f"learner{i}") for i in range(1, 8)]

    def reference():
        db.session.add_all([Course(code="PY101", title="Python basics"),
                            Course(code="SQL1", title="SQL for analysts"),
                            SessionCategory(name="Onboarding"), SessionCategory(name="Leadership")])
        red = UserClass(name="Red team")
        db.session.add(red)
        db.session.flush()
        db.session.add_all([ClassMembership(class_id=red.id, user_id=uid) for uid in learners[5:]])

    seed(reference)


def test_admin_creates_a_complete_session(page, seed):
    seed_world(seed)
    page.goto("/login")
    check_accessibility(page, "login")
    login(page, "root")
    page.goto("/admin/sessions")
    check_accessibility(page, "admin-list-empty")
    page.get_by_role("link", name="Create a session").click()
    expect(page.get_by_role("heading", name="Create a session")).to_be_visible()
    check_accessibility(page, "create-form")

    page.get_by_label("Session name").fill("Winter onboarding")
    page.get_by_label("Description").fill("Welcome to **the team**.")
    for label, value in [("Display start", "2026-12-01"), ("Display end", "2027-02-28"),
                         ("Access start", "2026-12-07 09:00"), ("Access end", "2027-01-31"),
                         ("Coach access start", "2026-12-01"), ("Coach access end", "2027-02-15")]:
        page.get_by_label(label, exact=True).fill(value)
    page.get_by_label("Session coach").fill("cora")
    page.get_by_label("Category").select_option(label="Onboarding")
    page.get_by_label("Closed").check()

    for code, title, coach in (("PY101", "Python basics", "ted"),
                               ("SQL1", "SQL for analysts", "tia")):
        page.get_by_label("Add a course (code)").fill(code)
        page.get_by_role("button", name="Add course").click()
        block = page.get_by_role("region", name=f"Course {title}")
        expect(block).to_be_visible()
        block.get_by_label(f"Add a course coach for {title}").fill(coach)
        block.get_by_role("button", name="Add coach").click()
        expect(page.get_by_role("list", name=f"Coaches of {title}")).to_contain_text(
            coach.capitalize())

    learners = page.get_by_role("list", name="Learners to enrol")
    for i in range(1, 6):
        field = page.get_by_label("Add a learner")
        field.fill(f"learner{i}")
        field.press("Enter")  # the keyboard path: Enter adds what is typed
        expect(learners).to_contain_text(f"(learner{i})")
    page.get_by_label("Add a class").fill("Red team")
    page.get_by_role("button", name="Add class").click()
    expect(page.get_by_role("list", name="Classes to enrol")).to_contain_text("Red team")
    # The timeline follows the dates typed.
    expect(page.locator("#timeline figcaption")).to_contain_text("Access: 7 Dec 2026 at 09:00")

    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Winter onboarding")
    expect(page).to_have_url(re.compile(r"/admin/sessions/\d+$"))
    expect(page.get_by_role("img", name="Session windows")).to_be_visible()
    expect(page.get_by_text("Learners and classes")).to_be_visible()
    expect(page.locator("#learner-results tbody tr")).to_have_count(7)
    check_accessibility(page, "session-page")
    assert page.problems == []


def seed_list(seed):
    seed.user("root", role="admin")
    coach = seed.user("cora", role="teacher")
    now = clock.now()

    def sessions():
        onboarding = SessionCategory(name="Onboarding")
        leadership = SessionCategory(name="Leadership")
        db.session.add_all([onboarding, leadership])
        db.session.flush()
        for name, category, start, end in (
            ("Alpha onboarding", onboarding, -5, 5), ("Bravo leadership", leadership, -1, 30),
            ("Charlie onboarding", onboarding, 3, 10), ("Delta archive", onboarding, -40, -10),
        ):
            db.session.add(TrainingSession(
                name=name, coach_id=coach, category_id=category.id,
                access_start=now + timedelta(days=start), access_end=now + timedelta(days=end)))

    seed(sessions)


def visible_names(page):
    return page.locator("#results tbody td:first-child a").all_inner_texts()


def search_onboarding_then_active(page) -> None:
    """On the session list: type "onboard" (two rows), then choose Active (one row); each
    step pushes its filter into the URL."""
    page.goto("/admin/sessions")
    page.get_by_label("Search by name").fill("onboard")
    expect(page).to_have_url(re.compile(r"q=onboard"))
    expect(page.locator("#results tbody tr")).to_have_count(2)
    page.get_by_label("Status").select_option(label="Active")
    expect(page).to_have_url(re.compile(r"status=active"))
    expect(page.locator("#results tbody tr")).to_have_count(1)


def test_admin_finds_sessions_with_live_search_and_filters(page, seed):
    seed_list(seed)
    login(page, "root")
    search_onboarding_then_active(page)
    assert visible_names(page) == ["Alpha onboarding"]
    page.get_by_label("Category").select_option(label="Leadership")
    expect(page.locator("#results")).to_contain_text("No session matches these filters.")
    page.reload()
    expect(page.get_by_label("Search by name")).to_have_value("onboard")
    expect(page.get_by_label("Category")).to_have_value(re.compile(r"\d+"))
    expect(page.locator("#results")).to_contain_text("No session matches these filters.")
    page.go_back()
    expect(page).to_have_url(re.compile(r"status=active"))
    expect(page.locator("#results tbody td:first-child a")).to_have_text(["Alpha onboarding"])
    check_accessibility(page, "admin-list-filtered")
    assert page.problems == []


def seed_spring_session(seed) -> int:
    """The session "Spring", coached by cora, open since two days for twenty more."""

    def session():
        cora = db.session.query(User).filter_by(username="cora").one()
        now = clock.now()
        training = TrainingSession(name="Spring", coach_id=cora.id,
                                   access_start=now - timedelta(days=2),
                                   access_end=now + timedelta(days=20))
        db.session.add(training)
        db.session.flush()
        return training.id

    return seed(session)


def test_inline_editing_on_the_session_page(page, seed):
    seed_world(seed)
    session_id = seed_spring_session(seed)
    login(page, "root")
    page.goto(f"/admin/sessions/{session_id}")
    expect(page.locator("#status-badge")).to_have_text("Active")

    # A date row: an error shown in place, then fixed; badge and timeline follow.
    page.get_by_role("link", name="Edit access dates").click()
    start = page.get_by_label("Access start", exact=True)
    expect(start).to_be_focused()
    start.fill("2027-13-45")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#access_start-error")).to_contain_text("Write a date as")
    start.fill("2027-01-10")
    page.get_by_label("Access end", exact=True).fill("2027-02-10")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#status-badge")).to_have_text("Upcoming")
    expect(page.locator("#timeline figcaption")).to_contain_text("Access: 10 Jan – 10 Feb 2027")
    expect(page.locator("#detail-access .detail-value")).to_have_text("10 Jan – 10 Feb 2027")

    # Courses: add two, remove one, change a course coach.
    for code in ("PY101", "SQL1"):
        page.get_by_label("Add a course (code)").fill(code)
        page.get_by_role("button", name="Add course").click()
        expect(page.locator("#courses")).to_contain_text(code)
    page.get_by_role("link", name="Remove SQL for analysts").click()
    page.get_by_role("button", name="Remove SQL for analysts").click()
    expect(page.locator("#courses li.course-block")).to_have_count(1)
    expect(page.locator("#courses")).to_contain_text("removed from the session")
    page.get_by_label("Add a course coach for Python basics").fill("ted")
    page.get_by_role("button", name="Add coach").click()
    coaches = page.get_by_role("list", name="Coaches of Python basics")
    expect(coaches).to_contain_text("Ted Teach")
    page.get_by_role("button", name="Remove Ted Teach as coach of Python basics").click()
    expect(coaches).to_contain_text("none yet")
    page.get_by_label("Add a course coach for Python basics").fill("tia")
    page.get_by_role("button", name="Add coach").click()
    expect(page.get_by_role("list", name="Coaches of Python basics")).to_have_text(
        re.compile("Tia Tutor"))

    # Learners: add one with the keyboard only, remove one, link a class.
    page.get_by_label("Add a learner").focus()
    page.keyboard.type("learner1")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # the Add learner button
    expect(page.locator("#learner-results")).to_contain_text("learner1")
    page.get_by_label("Add a learner").fill("learner2")
    page.get_by_role("button", name="Add learner").click()
    expect(page.locator("#learner-results tbody tr")).to_have_count(2)
    page.get_by_role("link", name="Remove Learner1 Tester").click()  # asks first
    page.get_by_role("button", name="Remove Learner1 Tester").click()
    expect(page.locator("#learner-results tbody tr")).to_have_count(1)
    page.get_by_label("Link a class").fill("Red team")
    page.get_by_role("button", name="Link class").click()
    expect(page.locator("#learner-results tbody tr")).to_have_count(3)
    check_accessibility(page, "session-page-edited")
    assert page.problems == []


def test_the_create_flow_works_with_the_keyboard_alone(page, seed):
    seed_world(seed)
    login(page, "root")
    page.goto("/admin/sessions/new")
    keyboard = page.keyboard

    def type_into(label, text, exact=False):
        page.get_by_label(label, exact=exact).focus()
        keyboard.type(text)

    type_into("Session name", "Keyboard session")
    type_into("Access start", "2026-12-07", exact=True)
    type_into("Access end", "2027-01-31", exact=True)
    type_into("Session coach", "cora")
    page.get_by_label("Category").focus()
    keyboard.press("ArrowDown")  # first real category
    page.get_by_label("Read only").focus()
    keyboard.press("ArrowDown")  # radio group: moves to "Still open"
    expect(page.get_by_label("Still open")).to_be_checked()
    type_into("Add a course (code)", "PY101")
    keyboard.press("Enter")
    expect(page.get_by_role("region", name="Course Python basics")).to_be_visible()
    type_into("Add a course coach for Python basics", "ted")
    keyboard.press("Enter")
    expect(page.get_by_role("list", name="Coaches of Python basics")).to_contain_text("Ted")
    type_into("Add a learner", "learner1")
    keyboard.press("Enter")
    expect(page.get_by_role("list", name="Learners to enrol")).to_contain_text("learner1")
    page.get_by_role("button", name="Save", exact=True).focus()
    keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Keyboard session")
    expect(page.locator("#detail-policy .detail-value")).to_have_text("Still open")
    assert page.problems == []
