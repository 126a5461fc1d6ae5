"""htmx in a real browser: validation errors swapped in place and Back after a pushed URL
leave a clean console (no CSP refusal: the page fixture fails on any) and a whole page."""

import re

from playwright.sync_api import expect

from tests.e2e.conftest import login
from tests.e2e.test_admin_flows import (
    search_onboarding_then_active,
    seed_list,
    seed_spring_session,
    seed_world,
)

# What a browser extension or autofill does: style elements through the CSSOM (which CSP
# allows). htmx's settle step copied such style attributes onto the swapped elements with
# setAttribute, which CSP refuses: one console error per element.
STYLE_EVERY_ELEMENT = "document.querySelectorAll('[id]').forEach(e => e.style.outlineColor = 'red')"


def _whole_page(page, heading):
    """The page is a full one: its header, one main area and its heading, no bare fragment."""
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()
    expect(page.locator("main#main")).to_have_count(1)
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)


def test_htmx_validation_errors_leave_a_clean_console(page, seed):
    seed_world(seed)
    session_id = seed_spring_session(seed)
    login(page, "root")
    page.goto(f"/admin/sessions/{session_id}")
    page.get_by_role("link", name="Edit access dates").click()
    page.evaluate(STYLE_EVERY_ELEMENT)
    page.get_by_label("Access start", exact=True).fill("2027-13-45")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#access_start-error")).to_contain_text("Write a date as")
    # A learner as session coach: refused in place, with the role needed.
    page.get_by_role("link", name="Edit session coach").click()
    page.get_by_label("Session coach").fill("learner1")
    page.locator("#detail-coach").get_by_role("button", name="Save").click()
    expect(page.locator("#coach-error")).to_contain_text(
        "Only a teacher or an administrator can coach: learner1 is a learner.")
    # The create form's 422: several fields in error at once.
    page.goto("/admin/sessions/new")
    page.evaluate(STYLE_EVERY_ELEMENT)
    page.get_by_label("Access start", exact=True).fill("2027-13-45")
    page.get_by_label("Session coach").fill("learner1")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator("#coach-error")).to_contain_text("can coach: learner1 is a learner")
    expect(page.locator("#access_start-error")).to_contain_text("Write a date as")
    _whole_page(page, "Create a session")
    assert page.problems == []


def test_back_after_a_pushed_filter_url_restores_the_whole_page(page, seed):
    seed_list(seed)
    restores = []
    page.on("request", lambda r: restores.append(r.url)
            if r.headers.get("hx-history-restore-request") == "true" else None)
    login(page, "root")
    search_onboarding_then_active(page)

    page.go_back()
    expect(page).to_have_url(re.compile(r"q=onboard(?!.*status=active)"))
    expect(page.locator("#results tbody tr")).to_have_count(2)
    _whole_page(page, "Sessions")
    assert restores, "Back did not go through htmx's history restore"
    page.go_back()
    expect(page).to_have_url(re.compile(r"/admin/sessions$"))
    expect(page.locator("#results tbody tr")).to_have_count(4)
    _whole_page(page, "Sessions")
    assert page.problems == []
