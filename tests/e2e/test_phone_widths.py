"""Every main page on a phone (390 px) and a laptop (1280 px): nothing scrolls sideways,
and axe finds nothing serious on a phone. The portal holds the demo data, whose names and
lists are as long as real ones."""

import re

from playwright.sync_api import expect
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import (
    Course,
    Enrolment,
    SessionCategory,
    SessionClass,
    User,
    UserClass,
)
from portal.tools.demo import DEMO_LOGINS, load_demo
from tests.e2e.conftest import check_accessibility

PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1280, "height": 900}
PASSWORDS = {username: password for _, username, password in DEMO_LOGINS}

# The elements that stick out on the right: those outside any frame that scrolls them, or
# (an absolute box escapes its frame) all of them when there is none such.
OFFENDERS = """() => {
  const width = window.innerWidth, loose = [], all = [];
  const framed = (el) => { for (let p = el.parentElement; p; p = p.parentElement) {
      if (/(auto|scroll|hidden|clip)/.test(getComputedStyle(p).overflowX)) return true; }
    return false; };
  for (const el of document.querySelectorAll("body *")) {
    const box = el.getBoundingClientRect();
    if (box.width > 0 && box.right > width + 1) {
      const classes = typeof el.className === "string" ? el.className.trim() : "";
      const name = el.tagName.toLowerCase() + (el.id ? "#" + el.id : "")
        + (classes ? "." + classes.split(/\\s+/).join(".") : "")
        + " (" + Math.round(box.right) + " px)";
      all.push(name);
      if (!framed(el)) loose.push(name);
    }
  }
  return (loose.length ? loose : all).slice(-4);
}"""


def seed_demo(seed):
    """Load the demo data; return the ids of the admin pages' examples."""

    def load():
        load_demo(db.session)
        db.session.flush()
        with_class = select(SessionClass.session_id).scalar_subquery()
        session_id = db.session.scalar(
            select(Enrolment.session_id).where(Enrolment.session_id.in_(with_class))
            .group_by(Enrolment.session_id).order_by(func.count().desc()).limit(1))
        return {
            "session": session_id,
            "user": db.session.scalar(select(User.id).where(User.username == "learner")),
            "course": db.session.scalar(select(Course.id).order_by(Course.id).limit(1)),
            "class": db.session.scalar(select(UserClass.id).order_by(UserClass.id).limit(1)),
            "category": db.session.scalar(
                select(SessionCategory.id).order_by(SessionCategory.id).limit(1)),
        }

    return seed(load)


def admin_pages(ids, has_dashboard):
    s, u, c, k, cat = ids["session"], ids["user"], ids["course"], ids["class"], ids["category"]
    return [
        *(["/admin/"] if has_dashboard else []),
        "/admin/sessions", f"/admin/sessions/{s}", "/admin/sessions/new",
        f"/admin/sessions/{s}/copy", "/admin/history", f"/admin/sessions/{s}/history",
        "/admin/outbox",
        "/admin/users", "/admin/users/new", f"/admin/users/{u}",
        "/admin/courses", "/admin/courses/new", f"/admin/courses/{c}",
        "/admin/classes", "/admin/classes/new", f"/admin/classes/{k}",
        "/admin/categories", "/admin/categories/new", f"/admin/categories/{cat}",
        "/admin/import", "/profile",
    ]


def log_in_as(page, username):
    page.context.clear_cookies()
    page.goto("/login")
    page.get_by_label("Username or e-mail").fill(username)
    page.get_by_label("Password").fill(PASSWORDS[username])
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()


def first_href(page, selector):
    return page.locator(selector).first.get_attribute("href")


class Survey:
    """Visits pages and keeps what is wrong with each, to report them all at once."""

    def __init__(self, page):
        self.page = page
        self.problems: list[str] = []

    def visit(self, path, name):
        response = self.page.goto(path)
        self.page.wait_for_load_state("networkidle")
        if response.status >= 500:
            self.problems.append(f"{path}: answered {response.status}")
            return
        for viewport in (PHONE, LAPTOP):
            self.page.set_viewport_size(viewport)
            width, inner = self.page.evaluate(
                "[document.documentElement.scrollWidth, window.innerWidth]")
            if width > inner:
                self.problems.append(f"{path} at {inner} px is {width} px wide: "
                                     + ", ".join(self.page.evaluate(OFFENDERS)))
        self.page.set_viewport_size(PHONE)
        try:
            check_accessibility(self.page, f"phone-{name}")
        except AssertionError as error:
            self.problems.append(f"{path}: {error}")


def test_no_main_page_scrolls_sideways_on_a_phone(page, live, seed):
    ids = seed_demo(seed)
    has_dashboard = "admin.dashboard" in live.app.view_functions
    page.set_viewport_size(PHONE)
    survey = Survey(page)
    survey.visit("/login", "login")

    log_in_as(page, "admin")
    for n, path in enumerate(admin_pages(ids, has_dashboard)):
        survey.visit(path, f"admin-{n}")

    log_in_as(page, "coach")
    survey.visit("/coach/", "coaching")
    tracking = first_href(page, "a[href$='/tracking']")
    grading = first_href(page, "a[href$='/grading']")
    survey.visit(tracking, "tracking")
    survey.visit(grading, "grading")

    log_in_as(page, "learner")
    survey.visit("/my-sessions", "my-sessions")
    session = first_href(page, ".session-card h3 a")
    survey.visit("/my-sessions?tab=upcoming", "my-sessions-upcoming")
    upcoming = first_href(page, ".session-card h3 a")
    survey.visit("/my-sessions?tab=past", "my-sessions-past")
    survey.visit(session, "learner-session")
    course = first_href(page, ".course-list h3 a")
    survey.visit(course, "learner-course")
    survey.visit(upcoming, "locked")
    survey.visit("/profile", "learner-profile")

    assert survey.problems == [], "\n".join(survey.problems)


def test_an_upcoming_card_opens_its_locked_page_from_the_keyboard(page, seed):
    seed_demo(seed)
    log_in_as(page, "learner")
    page.goto("/my-sessions?tab=upcoming")
    card = page.locator(".session-card").first
    link = card.get_by_role("link").first
    name = link.inner_text()
    link.focus()
    expect(link).to_be_focused()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/sessions/\d+$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    expect(page.locator(".locked")).to_contain_text("This session opens on")
    page.locator(".locked").get_by_role("link", name="Back to My sessions").click()
    expect(page).to_have_url(re.compile(r"/my-sessions\?tab=upcoming$"))
    assert page.problems == []
