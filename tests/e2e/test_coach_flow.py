"""The coach grades after the learners' window closed; the learner sees the grade."""

import re
from datetime import timedelta

from playwright.sync_api import expect

from portal import clock
from portal.extensions import db
from portal.models import (
    AccessEvent,
    Assignment,
    Course,
    Enrolment,
    SessionCourse,
    Submission,
    TrainingSession,
)
from tests.e2e.conftest import PASSWORD, check_accessibility, login


def test_coach_grades_after_the_learners_window_and_the_learner_sees_it(page, seed):
    coach = seed.user("cora", role="teacher", first_name="Cora", last_name="Coach")
    learner = seed.user("lea", first_name="Lea", last_name="Learner")
    now = clock.now()

    def world():
        course = Course(code="PY1", title="Python basics")
        db.session.add(course)
        db.session.flush()
        task = Assignment(course_id=course.id, title="First program", max_score=20)
        session = TrainingSession(
            name="Ended last week", coach_id=coach, access_start=now - timedelta(days=40),
            access_end=now - timedelta(days=7), coach_start=now - timedelta(days=47),
            coach_end=now + timedelta(days=14))
        db.session.add_all([task, session])
        db.session.flush()
        db.session.add(SessionCourse(session_id=session.id, course_id=course.id))
        db.session.add(Enrolment(session_id=session.id, user_id=learner,
                                 first_access_at=now - timedelta(days=30),
                                 last_access_at=now - timedelta(days=9)))
        db.session.add(Submission(session_id=session.id, assignment_id=task.id, user_id=learner,
                                  answer="print('hello')", submitted_at=now - timedelta(days=9)))
        db.session.add_all([AccessEvent(user_id=learner, session_id=session.id,
                                        at=now - timedelta(days=d, minutes=m))
                            for d in (9, 10, 20) for m in (0, 10)])
        return session.id

    session_id = seed(world)
    login(page, "cora", PASSWORD)
    expect(page).to_have_url(re.compile("/coach/"))
    check_accessibility(page, "coaching")
    card = page.get_by_role("article", name="Ended last week")
    expect(card).to_contain_text("Session coach")
    card.get_by_role("link", name=re.compile("Grade")).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Grading: Python basics")
    check_accessibility(page, "grading")

    page.get_by_role("link", name=re.compile("Handed in .* Lea Learner, First program")).click()
    score = page.get_by_label("Score")
    expect(score).to_be_focused()
    score.fill("25")
    page.get_by_role("button", name="Save grade").click()
    expect(page.locator(".grade-cell .error")).to_contain_text("between 0 and 20")
    page.get_by_label("Score").fill("17.5")
    page.get_by_label("Feedback").fill("Clean and clear.")
    page.get_by_role("button", name="Save grade").click()
    expect(page.get_by_role("link", name=re.compile(r"Graded: 17\.5 \S 20"))).to_be_visible()
    expect(page).to_have_url(re.compile("/grading"))  # swapped in place, no reload

    page.goto(f"/coach/sessions/{session_id}/tracking")
    expect(page.get_by_role("heading", level=1)).to_have_text("Tracking: Ended last week")
    expect(page.get_by_role("img", name=re.compile("Daily active learners"))).to_be_visible()
    check_accessibility(page, "tracking")

    page.get_by_role("button", name=re.compile("Log out")).click()
    login(page, "lea", PASSWORD)
    page.goto(f"/sessions/{session_id}")
    page.get_by_role("link", name="Python basics").first.click()
    work = page.get_by_role("article", name="First program")
    expect(work).to_contain_text("17.5 / 20")
    expect(work).to_contain_text("Clean and clear.")
    expect(work.get_by_role("button", name=re.compile("Hand in"))).to_have_count(0)
    assert page.problems == []
