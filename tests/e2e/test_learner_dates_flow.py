"""Individual dates in a browser: an admin extends one learner's access from the session
page, the learner's My sessions card shows the new end, and the session's access explainer
says why the learner may still get in after the session's own end."""

from datetime import timedelta
from zoneinfo import ZoneInfo

from playwright.sync_api import expect

from portal import clock
from portal.domain.dates import day_start, format_bound
from portal.extensions import db
from portal.models import Enrolment, TrainingSession
from tests.e2e.conftest import check_accessibility, login

PARIS = ZoneInfo("Europe/Paris")


def test_admin_extends_a_learner_and_the_learner_sees_the_new_end(page, seed):
    seed.user("root", role="admin")
    coach = seed.user("cora", role="teacher", first_name="Cora", last_name="Coach")
    lea = seed.user("lea", first_name="Lea", last_name="Roux")
    today = clock.now().astimezone(PARIS).date()
    start, end = day_start(today - timedelta(days=3), PARIS), day_start(today + timedelta(
        days=20), PARIS)

    def world():
        session = TrainingSession(name="Winter cohort", coach_id=coach, access_start=start,
                                  access_end=end, after_end_policy="read_only")
        db.session.add(session)
        db.session.flush()
        db.session.add(Enrolment(session_id=session.id, user_id=lea))
        return session.id

    session_id = seed(world)
    new_end = format_bound(end + timedelta(days=5), PARIS, is_end=True)

    login(page, "root")
    page.goto(f"/admin/sessions/{session_id}")
    page.get_by_role("link", name="Dates… of Lea Roux").click()
    form = page.locator(".dates-row")
    expect(form.get_by_text("Now: the session's dates")).to_be_visible()
    check_accessibility(page, "learner-dates-form")
    form.get_by_label("Days to add").fill("5")
    form.get_by_label("Reason").fill("medical leave")
    form.get_by_role("button", name="Save dates").click()
    words = f"until {new_end} — extended by 5 days: medical leave"
    expect(page.locator("#people .flash")).to_contain_text(f"Lea Roux: {words}")
    expect(page.locator('#learner-results td[data-label="Access"]')).to_have_text(words)
    expect(page.locator(".dates-row")).to_have_count(0)
    page.get_by_label("Lea Roux").check()
    page.get_by_role("button", name="Suspend…").click()
    expect(page.locator("#ticked-box")).to_contain_text("This suspends 1 learner: Lea Roux.")
    check_accessibility(page, "ticked-suspend-form")
    page.locator("#ticked-box").get_by_role("link", name="Cancel").click()
    expect(page.locator("#ticked-box .dates-box")).to_have_count(0)
    assert not page.problems, page.problems

    page.context.clear_cookies()
    login(page, "lea")
    page.goto("/my-sessions")
    card = page.locator(f"#session-{session_id}")
    expect(card.locator(".card-dates")).to_contain_text(new_end)
    assert not page.problems, page.problems

    # Two days after the session's own end, the explainer shows the extension at work.
    page.context.clear_cookies()
    login(page, "root")
    page.goto(f"/admin/sessions/{session_id}/access")
    page.get_by_label("User").fill("lea")
    moment = (end + timedelta(days=2)).astimezone(PARIS).strftime("%Y-%m-%d %H:%M")
    page.get_by_label("Moment").fill(moment)
    page.get_by_role("button", name="Explain").click()
    view = page.locator("#need-view")
    expect(view).to_contain_text("Allowed")
    expect(view).to_contain_text("extended by 5 days (medical leave)")
    preview = page.locator(f"#explainer-result #session-{session_id}")
    expect(preview.locator(".card-dates")).to_contain_text(new_end)
    check_accessibility(page, "access-explainer")
    assert not page.problems, page.problems
