"""Copying a session in a real browser: the preview follows the new start as it is typed."""

from datetime import UTC, datetime

from playwright.sync_api import expect

from portal.extensions import db
from portal.models import TrainingSession, User
from tests.e2e.conftest import check_accessibility, login


def test_copy_preview_follows_the_new_start_and_the_copy_moves(page, seed):
    seed.user("root", role="admin")
    seed.user("cora", role="teacher")

    def session():
        cora = db.session.query(User).filter_by(username="cora").one()
        training = TrainingSession(name="Autumn", coach_id=cora.id,
                                   access_start=datetime(2026, 9, 1, 7, 0, tzinfo=UTC),
                                   access_end=datetime(2026, 9, 30, 22, 0, tzinfo=UTC))
        db.session.add(training)
        db.session.flush()
        return training.id

    session_id = seed(session)
    login(page, "root")
    page.goto(f"/admin/sessions/{session_id}/copy")
    expect(page.locator(".copy-shift")).to_have_text("The copy keeps the same dates.")
    expect(page.get_by_label("Copy the course coaches")).to_be_disabled()  # none to copy
    check_accessibility(page, "copy-form")

    page.get_by_label("New access start").fill("2027-01-12")
    expect(page.locator(".copy-shift")).to_have_text("Every date moves 133 days later.")
    expect(page.locator("#timeline figcaption")).to_contain_text("Access: 12 Jan at 09:00")
    page.get_by_label("Name of the copy").fill("Winter")
    page.get_by_role("button", name="Create the copy").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Winter")
    expect(page.locator("#detail-access .detail-value")).to_have_text(
        "12 Jan at 09:00 – 10 Feb 2027")
    assert page.problems == []
