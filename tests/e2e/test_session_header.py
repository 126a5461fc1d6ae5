"""The session page's header follows inline edits at once, without a reload."""

from datetime import timedelta

from playwright.sync_api import expect

from portal import clock
from portal.extensions import db
from portal.models import SessionCategory, TrainingSession, User
from tests.e2e.conftest import check_accessibility, login


def seed_session(seed) -> int:
    seed.user("root", role="admin")
    seed.user("cora", role="teacher", first_name="Cora", last_name="Coach")

    def session():
        db.session.add_all([SessionCategory(name="Onboarding"), SessionCategory(name="Leadership")])
        db.session.flush()
        cora = db.session.query(User).filter_by(username="cora").one()
        onboarding = db.session.query(SessionCategory).filter_by(name="Onboarding").one()
        now = clock.now()
        training = TrainingSession(name="Spring", coach_id=cora.id, category_id=onboarding.id,
                                   access_start=now - timedelta(days=20),
                                   access_end=now + timedelta(days=20))
        db.session.add(training)
        db.session.flush()
        return training.id

    return seed(session)


def test_header_and_browser_title_follow_inline_edits(page, seed):
    session_id = seed_session(seed)
    login(page, "root")
    page.goto(f"/admin/sessions/{session_id}")
    head = page.locator("#session-head")
    expect(head.get_by_role("heading", level=1)).to_have_text("Spring")
    expect(head.locator("#session-category")).to_have_text("Category: Onboarding")
    expect(head.locator("#status-badge")).to_have_text("Active")
    expect(page).to_have_title("Spring · Session portal")
    page.evaluate("window.notReloaded = true")  # gone if the page were loaded again

    page.get_by_role("link", name="Edit session name").click()
    page.get_by_label("Session name").fill("Spring 2027")
    page.get_by_role("button", name="Save").click()
    expect(head.get_by_role("heading", level=1)).to_have_text("Spring 2027")
    expect(page).to_have_title("Spring 2027 · Session portal")

    page.get_by_role("link", name="Edit category").click()
    page.get_by_label("Category").select_option(label="Leadership")
    page.get_by_role("button", name="Save").click()
    expect(head.locator("#session-category")).to_have_text("Category: Leadership")

    # Dates: the access end moved into the past makes the session Past, in the header
    # and in the timeline alike.
    page.get_by_role("link", name="Edit access dates").click()
    today = clock.now().date()
    page.get_by_label("Access end", exact=True).fill((today - timedelta(days=2)).isoformat())
    page.get_by_role("button", name="Save").click()
    expect(head.locator("#status-badge")).to_have_text("Past")
    expect(page.locator("#timeline figcaption")).to_contain_text("Access:")
    expect(page.locator("#detail-access .detail-value")).not_to_contain_text("Save")

    assert page.evaluate("window.notReloaded") is True
    assert page.locator("#session-head").count() == 1  # swapped, not nested or doubled
    check_accessibility(page, "session-header-after-edits")
    assert page.problems == []
