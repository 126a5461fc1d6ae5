"""The admin session list uses the width of a 1280 px screen: 25 sessions with long names
fit with every row at most two text lines, and the filter bar is one line."""

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

from playwright.sync_api import expect

from portal import clock
from portal.domain.dates import day_start
from portal.extensions import db
from portal.models import PlatformRole, SessionCategory, TrainingSession, User

from .conftest import check_accessibility, login

NAMES = (
    "Information Security Awareness — Self-paced", "Agile Delivery in Practice — Cohort 1",
    "Anti-Bribery and Ethics — Year-End", "Customer Support Onboarding — Cohort 3",
    "Data Literacy for Managers — Cohort 1", "GDPR Essentials — Q3",
    "Giving Feedback That Lands", "Leadership Foundations — Spring Cohort",
    "Leadership Foundations — Winter Cohort", "Leading Remote Teams — Autumn",
    "Project Management Basics — Cohort 2", "Sales Onboarding — Lyon",
    "Negotiation Skills for Account Managers", "Health and Safety Refresher — Warehouse Staff",
    "Introduction to Financial Reporting", "Cloud Architecture Fundamentals — EMEA",
    "Diversity, Equity and Inclusion Workshop", "Time Management and Prioritisation",
    "Advanced Excel for Analysts — Cohort 4", "Presentation Skills — Paris Office",
    "First Aid at Work — Requalification", "Coaching Conversations for Team Leads",
    "Product Discovery Bootcamp — Spring 2027", "Anti-Money Laundering — Annual Update",
    "New Manager Programme — Module 2",
)
PARIS = ZoneInfo("Europe/Paris")
CATEGORIES = ("2026 Autumn", "Compliance", "Onboarding", "Leadership", "Management skills")


def seed_sessions(seed) -> None:
    def make():
        coach = User(username="cora", role=PlatformRole.TEACHER.value, email="c@example.org",
                     first_name="Cora", last_name="Coach", password_hash="x")
        categories = [SessionCategory(name=name) for name in CATEGORIES]
        db.session.add_all([coach, *categories])
        db.session.flush()
        # Whole days in Paris, as the forms store a date typed alone; one start at 09:00.
        today = clock.now().astimezone(PARIS).date()

        def day(offset):
            return day_start(today + timedelta(days=offset), PARIS)

        for i, name in enumerate(NAMES):
            first = (i * 37) % 300 - 150
            duration = i % 7 == 3  # some sessions in duration mode
            start = day(first) + timedelta(hours=9 if i == 5 else 0)
            db.session.add(TrainingSession(
                name=name, coach_id=coach.id, category_id=categories[i % 5].id,
                display_start=day(first - 14),
                display_end=day(first + 120) if i % 2 else None,
                access_start=None if duration else start,
                access_end=None if duration else day(first + 40 + i * 9),
                duration_days=30 if duration else None))

    seed(make)
    seed.user("root", role=PlatformRole.ADMIN.value)


def test_25_sessions_fit_at_1280_with_rows_of_two_lines_at_most(page, seed):
    seed_sessions(seed)
    page.set_viewport_size({"width": 1280, "height": 800})
    login(page, "root")
    page.goto("/admin/sessions")
    rows = page.locator("#results tbody tr")
    expect(rows).to_have_count(25)
    sizes = page.evaluate("""() => {
      const cell = document.querySelector('#results tbody td');
      const style = getComputedStyle(cell);
      const wrap = document.querySelector('.table-wrap');
      return {
        line: parseFloat(style.lineHeight),
        padding: parseFloat(style.paddingTop) + parseFloat(style.paddingBottom),
        rows: [...document.querySelectorAll('#results tbody tr')].map(
          tr => [tr.querySelector('td').innerText, tr.getBoundingClientRect().height]),
        overflow: wrap.scrollWidth - wrap.clientWidth,
        page: document.documentElement.scrollWidth,
        main: document.querySelector('main').getBoundingClientRect().width,
      };
    }""")
    limit = 2 * sizes["line"] + sizes["padding"] + 2  # two text lines, padding, border
    too_tall = [(name, height) for name, height in sizes["rows"] if height > limit]
    assert too_tall == [], f"rows taller than two lines ({limit:.1f}px): {too_tall}"
    assert sizes["overflow"] <= 0 and sizes["page"] <= 1280  # no sideways scrolling
    assert sizes["main"] >= 950  # the list has the width beside the sidebar

    # The filter bar is one line: every control starts at the same height.
    tops = page.evaluate("""() => [...document.querySelectorAll(
        '#session-filters input:not([type=hidden]), #session-filters select,'
        + ' #session-filters button')].map(e => Math.round(e.getBoundingClientRect().top))""")
    assert len(tops) == 6 and len(set(tops)) == 1, tops
    # Duration mode: the learner's own days, not fixed dates.
    duration_row = rows.filter(has_text=NAMES[3])
    expect(duration_row.locator("td[data-label=Access]")).to_have_text("30 days per learner")
    check_accessibility(page, "admin-session-list-1280")
    assert page.problems == []


def test_dates_are_typed_as_in_the_forms_and_a_from_after_to_is_refused(page, seed):
    seed_sessions(seed)
    login(page, "root")
    page.goto("/admin/sessions")
    expect(page.get_by_label("From", exact=True)).to_have_attribute("placeholder", "YYYY-MM-DD")
    expect(page.locator("#clear-filters a")).to_have_count(0)
    page.get_by_label("From", exact=True).fill("2027-03-31")
    page.get_by_label("To", exact=True).fill("2027-01-01")
    page.get_by_label("To", exact=True).press("Enter")
    error = page.locator("#dates-error")
    expect(error).to_have_text("“From” must be before “To”: the dates are not applied.")
    expect(page.locator("#results tbody tr")).to_have_count(25)  # not filtered by nonsense
    # The message sits under the date fields, on the right of the bar.
    to_box = page.get_by_label("To", exact=True).bounding_box()
    error_box = error.bounding_box()
    assert error_box["y"] >= to_box["y"] + to_box["height"] - 1
    assert error_box["x"] + error_box["width"] >= to_box["x"]
    page.get_by_label("From", exact=True).fill("2026-01-01")
    page.get_by_label("From", exact=True).press("Enter")
    expect(error).to_be_empty()
    expect(page).to_have_url(re.compile(r"from=2026-01-01&to=2027-01-01|to=2027-01-01"))
    clear = page.get_by_role("link", name="Clear filters")
    expect(clear).to_be_visible()
    clear.click()
    expect(page).to_have_url(re.compile(r"/admin/sessions$"))
    expect(page.get_by_label("From", exact=True)).to_have_value("")
    expect(page.locator("#results tbody tr")).to_have_count(25)
    assert page.problems == []
