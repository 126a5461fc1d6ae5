"""In a real browser: each form error sits right under its own input, the create form
fits the screen, and removals on the session page ask first (inline with htmx)."""

from playwright.sync_api import expect

from portal.extensions import db
from portal.models import ClassMembership, Course, Enrolment, SessionClass, User, UserClass
from tests.e2e.conftest import check_accessibility, login

BAD_DATES = {"Display end": "nope", "Access start": "2026-13-40", "Coach access end": "someday"}


def _no_horizontal_overflow(page):
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def _box(locator):
    box = locator.bounding_box()
    assert box is not None
    return box


def test_date_errors_stay_under_their_own_inputs_at_both_widths(page, seed):
    seed.user("root", role="admin")
    login(page, "root")
    for width, height in ((1280, 900), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        page.goto("/admin/sessions/new")
        assert _no_horizontal_overflow(page), f"create form wider than {width}px"
        page.get_by_label("Session name").fill("Errors")
        for label, value in BAD_DATES.items():
            page.get_by_label(label, exact=True).fill(value)
        page.get_by_role("button", name="Save", exact=True).click()
        for label in BAD_DATES:
            field = page.get_by_label(label, exact=True)
            error = page.locator(f"#{field.get_attribute('id')}-error")
            expect(error).to_contain_text("Write a date")
            input_box, error_box = _box(field), _box(error)
            # Directly below its own input, in the same column.
            assert abs(error_box["x"] - input_box["x"]) < 2, (width, label)
            assert 0 <= error_box["y"] - (input_box["y"] + input_box["height"]) < 24, (width, label)
            assert error_box["width"] <= input_box["width"] + 2, (width, label)
        for label in ("Display start", "Access end", "Coach access start"):
            field = page.get_by_label(label, exact=True)
            expect(page.locator(f"#{field.get_attribute('id')}-error")).to_have_count(0)
        assert _no_horizontal_overflow(page), f"create form with errors wider than {width}px"
    assert page.problems == []


def seed_session(seed):
    seed.user("root", role="admin")
    coach = seed.user("cora", role="teacher", first_name="Cora", last_name="Coach")
    lea = seed.user("lea", first_name="Lea", last_name="Learner")
    members = [seed.user(name) for name in ("ann", "bob")]

    def world():
        from tests.helpers import make_session

        session = make_session(db.session.get(User, coach), name="Onboarding")
        course = Course(code="PY1", title="Python")
        red = UserClass(name="Red team")
        db.session.add_all([course, red])
        db.session.flush()
        db.session.add_all([ClassMembership(class_id=red.id, user_id=m) for m in members])
        db.session.add(SessionClass(session_id=session.id, class_id=red.id))
        db.session.add(Enrolment(session_id=session.id, user_id=lea))
        db.session.add_all([Enrolment(session_id=session.id, user_id=m, source="class",
                                      direct=False) for m in members])
        return session.id

    return seed(world)


def _background(locator):
    return locator.evaluate("element => getComputedStyle(element).backgroundColor")


def test_removals_ask_inline_and_keep_closes_the_question(page, seed):
    session_id = seed_session(seed)
    login(page, "root")
    page.goto(f"/admin/sessions/{session_id}")
    rows = page.locator("#learner-results tbody tr")
    expect(rows).to_have_count(3)

    # A learner: the question opens under the row; Keep closes it, nothing changes.
    page.get_by_role("link", name="Remove Lea Learner").click()
    question = page.get_by_role("alertdialog", name="Remove Lea Learner from this session?")
    expect(question).to_be_visible()
    danger = question.get_by_role("button", name="Remove Lea Learner")
    keep = question.get_by_role("link", name="Keep")
    primary = page.get_by_role("button", name="Add learner")
    # Three weights that look different: danger (red), Keep (grey), primary (blue).
    assert len({_background(danger), _background(keep), _background(primary)}) == 3
    assert _background(danger) == "rgb(179, 38, 30)"
    check_accessibility(page, "learner-removal-question")
    keep.click()
    expect(question).to_have_count(0)
    expect(rows).to_have_count(3)
    page.get_by_role("link", name="Remove Lea Learner").click()
    page.get_by_role("button", name="Remove Lea Learner").click()
    expect(page.locator("#people")).to_contain_text("Lea Learner removed from the session.")
    expect(rows).to_have_count(2)

    # A class: the question says who would leave.
    page.get_by_role("link", name="Unlink class Red team").click()
    question = page.get_by_role("alertdialog", name="Unlink the class Red team from this session?")
    expect(question).to_contain_text("This unenrols 2 learners enrolled only through the class.")
    question.get_by_role("button", name="Unlink Red team").click()
    expect(page.locator("#people")).to_contain_text("Class Red team unlinked")
    expect(page.locator("#learner-results")).to_contain_text("No learner enrolled yet.")
    assert _no_horizontal_overflow(page)
    assert page.problems == []
