"""CSV import, the learner's way through My sessions, and an expired login, in a browser."""

import re
from datetime import timedelta

from playwright.sync_api import expect

from portal import clock
from portal.extensions import db
from portal.models import Assignment, Course, Enrolment, SessionCourse, TrainingSession
from tests.e2e.conftest import check_accessibility, login


def make_session(name, coach_id, start_days, end_days, **fields):
    now = clock.now()
    session = TrainingSession(
        name=name, coach_id=coach_id, access_start=now + timedelta(days=start_days),
        access_end=now + timedelta(days=end_days),
        coach_start=now + timedelta(days=start_days - 7),
        coach_end=now + timedelta(days=end_days + 14), **fields)
    db.session.add(session)
    db.session.flush()
    return session


def test_admin_imports_enrolments_from_csv(page, seed, tmp_path):
    seed.user("root", role="admin")
    coach = seed.user("cora", role="teacher")
    for name in ("ann", "bob", "cid"):
        seed.user(name)
    session_id = seed(lambda: make_session("Spring", coach, -1, 20).id)
    csv_file = tmp_path / "learners.csv"
    csv_file.write_text("username;action\nann;add\nbob;add\nghost;add\ncid;dance\n",
                        encoding="utf-8-sig")

    login(page, "root")
    page.goto(f"/admin/sessions/{session_id}")
    page.get_by_role("link", name="Import enrolments (CSV)").click()
    page.get_by_label("CSV or Excel file").set_input_files(str(csv_file))
    page.get_by_role("button", name="Preview the import").click()
    expect(page.get_by_role("heading", name="Preview of learners.csv")).to_be_visible()
    expect(page.locator("#import-area")).to_contain_text("ghost")
    expect(page.locator("#import-area")).to_contain_text("dance")
    check_accessibility(page, "import-preview")
    page.get_by_label("Apply the valid rows only").check()
    page.get_by_role("button", name=re.compile("^Apply")).click()
    expect(page.get_by_role("heading", name="Import applied")).to_be_visible()
    expect(page.locator("#result-added")).to_have_text("2")
    expect(page.locator("#result-skipped")).to_have_text("2")
    page.get_by_role("link", name="Back to the session").click()
    expect(page.locator("#learner-results tbody tr")).to_have_count(2)
    assert page.problems == []


def seed_learner_world(seed):
    coach = seed.user("cora", role="teacher", first_name="Cora", last_name="Coach")
    learner = seed.user("lea", first_name="Lea", last_name="Learner")

    def sessions():
        course = Course(code="PY1", title="Python basics", description="Start **here**.")
        db.session.add(course)
        db.session.flush()
        db.session.add(Assignment(course_id=course.id, title="First program",
                                  instructions="Print hello.", max_score=20))
        made = {}
        for name, start, end in (("Now open", -2, 10), ("Soon", 4, 30), ("Long ago", -40, -5),
                                 ("Also now", -1, 3)):
            session = make_session(name, coach, start, end)
            db.session.add(SessionCourse(session_id=session.id, course_id=course.id))
            db.session.add(Enrolment(session_id=session.id, user_id=learner))
            made[name] = session.id
        return made

    return seed(sessions)


def test_learner_tabs_hand_in_and_locked_sessions(page, seed):
    ids = seed_learner_world(seed)
    login(page, "lea")
    expect(page).to_have_url(re.compile("/my-sessions"))
    tabs = page.get_by_role("navigation", name="Session tabs")
    expect(tabs.get_by_role("link", name="Current sessions (2)")).to_have_attribute(
        "aria-current", "page")
    expect(tabs.get_by_role("link", name="Past sessions (1)")).to_be_visible()
    expect(tabs.get_by_role("link", name="Upcoming sessions (1)")).to_be_visible()
    check_accessibility(page, "my-sessions-current")

    tabs.get_by_role("link", name="Upcoming sessions (1)").click()
    expect(page).to_have_url(re.compile(r"tab=upcoming"))
    expect(page.locator(".session-card .card-state")).to_contain_text("Opens on")
    check_accessibility(page, "my-sessions-upcoming")
    tabs.get_by_role("link", name="Past sessions (1)").click()
    expect(page).to_have_url(re.compile(r"tab=past"))
    expect(page.locator(".session-card .card-state")).to_contain_text("read only")
    check_accessibility(page, "my-sessions-past")
    page.go_back()
    expect(page).to_have_url(re.compile(r"tab=upcoming"))
    expect(page.get_by_role("heading", name="Upcoming sessions")).to_be_visible()
    page.go_back()
    expect(page.get_by_role("heading", name="Current sessions")).to_be_visible()

    page.get_by_role("link", name="Now open", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Now open")
    check_accessibility(page, "learner-session")
    page.get_by_role("link", name="Python basics").first.click()
    assignment = page.get_by_role("article", name="First program")
    check_accessibility(page, "learner-course")
    assignment.get_by_label("Your answer").fill("print('hello')")
    assignment.get_by_role("button", name="Hand in").click()
    expect(page.get_by_role("article", name="First program")).to_contain_text("Handed in on")
    expect(page.get_by_role("article", name="First program").get_by_role(
        "button", name="Hand in again")).to_be_visible()

    page.goto(f"/sessions/{ids['Soon']}")
    expect(page.locator(".locked")).to_contain_text("This session opens on")
    check_accessibility(page, "locked-page")
    page.goto(f"/sessions/{ids['Long ago']}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Long ago")
    page.get_by_role("link", name="Python basics").first.click()
    expect(page.get_by_role("button", name="Hand in")).to_have_count(0)
    expect(page.locator("main .notice")).to_contain_text("nothing can be handed in")
    assert page.problems == []


def test_an_htmx_action_after_logout_elsewhere_gets_a_clear_message(page, seed):
    seed.user("root", role="admin")
    coach = seed.user("cora", role="teacher")
    seed.user("lea")
    session_id = seed(lambda: make_session("Spring", coach, -1, 20).id)
    login(page, "root")
    page.goto(f"/admin/sessions/{session_id}")
    other_tab = page.context.new_page()
    other_tab.goto("/admin/sessions")
    other_tab.get_by_role("button", name=re.compile("Log out")).click()
    expect(other_tab).to_have_url(re.compile("/login"))
    other_tab.close()
    page.get_by_label("Add a learner").fill("lea")
    page.get_by_role("button", name="Add learner").click()
    message = page.get_by_role("alert")
    expect(message).to_contain_text("Log in again")
    expect(page.locator("header")).to_have_count(1)  # no page nested inside the page
    assert page.problems == []
