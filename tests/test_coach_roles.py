"""Only teachers and administrators coach: a learner is refused as session or course coach.

Through the pages: the create form (session coach and course coaches), the inline coach
row, the course-coach add on the session page and the typeahead; each refusal names the
role needed and nothing is saved or journaled.
"""

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import Course, JournalEntry, SessionCourseCoach, TrainingSession, User
from tests.helpers import add_course, enrol, make_session

PEOPLE = ("admin", "coach", "learner")
REFUSED = "Only a teacher or an administrator can coach: lea is a learner."

FORM = {
    "name": "Autumn onboarding", "description": "", "display_start": "", "display_end": "",
    "access_start": "2026-12-01 09:00", "access_end": "2026-12-20", "coach_start": "",
    "coach_end": "", "coach": "cora", "category_id": "0", "after_end_policy": "read_only",
    "duration_days": "",
}


@pytest.fixture
def admin(client, people):
    client.login("ada")
    return people


def journal_count() -> int:
    return db.session.scalar(select(func.count()).select_from(JournalEntry)
                             .where(JournalEntry.object_type != "login"))


def soup(response) -> BeautifulSoup:
    return BeautifulSoup(response.data, "html.parser")


@pytest.mark.parametrize("htmx", [True, False])
def test_the_create_form_refuses_a_learner_as_session_coach(client, admin, htmx):
    response = client.post("/admin/sessions/new", {**FORM, "coach": "lea"}, htmx=htmx)
    assert response.status_code == 422
    assert REFUSED in soup(response).select_one("#coach-error").text
    assert db.session.scalar(select(func.count()).select_from(TrainingSession)) == 0
    assert journal_count() == 0


def test_the_create_form_accepts_a_teacher_or_an_admin(client, admin):
    for coach in ("cora", "ada"):
        response = client.post("/admin/sessions/new", {**FORM, "name": coach, "coach": coach})
        assert response.status_code == 303, response.data[:300]


def test_the_create_form_refuses_a_learner_as_course_coach(client, admin):
    course = Course(code="PY101", title="Python basics")
    db.session.add(course)
    db.session.commit()
    response = client.post("/admin/sessions/new", {
        **FORM, "course_id": str(course.id), "action": f"add_course_coach:{course.id}",
        f"add_coach_{course.id}": "lea"})
    assert response.status_code == 422
    page = soup(response)
    assert REFUSED in page.select_one(f"#add_coach_{course.id}-error").text
    assert page.select("input[name=course_coach]") == []


def test_a_forged_learner_course_coach_is_not_saved(client, admin):
    course = Course(code="PY101", title="Python basics")
    db.session.add(course)
    db.session.commit()
    lea = admin["learner"]
    response = client.post("/admin/sessions/new", {
        **FORM, "course_id": str(course.id), "course_coach": f"{course.id}:{lea.id}"})
    assert response.status_code == 303
    assert db.session.scalar(select(func.count()).select_from(SessionCourseCoach)) == 0


@pytest.mark.parametrize("htmx", [True, False])
def test_the_inline_coach_row_refuses_a_learner(client, admin, htmx):
    session = make_session(admin["coach"])
    before = journal_count()
    response = client.post(f"/admin/sessions/{session.id}/details/coach",
                           {"version": str(session.version), "coach": "lea"}, htmx=htmx)
    assert response.status_code == 422
    assert REFUSED in soup(response).select_one("#coach-error").text
    db.session.expire_all()
    assert db.session.get(TrainingSession, session.id).coach_id == admin["coach"].id
    assert journal_count() == before


@pytest.mark.parametrize("htmx", [True, False])
def test_a_learner_of_the_session_cannot_be_its_course_coach(client, admin, htmx):
    session = make_session(admin["coach"])
    course = add_course(session)
    enrol(session, admin["learner"])
    before = journal_count()
    response = client.post(f"/admin/sessions/{session.id}/courses/{course.id}/coaches",
                           {f"add_coach_{course.id}": "lea"}, htmx=htmx,
                           follow_redirects=not htmx)
    assert response.status_code == (422 if htmx else 200)
    page = soup(response)
    if htmx:
        assert REFUSED in page.select_one(f"#add_coach_{course.id}-error").text
    else:  # a plain form: back on the page, the refusal in the flash
        assert REFUSED in page.select_one(".flash").text
    assert db.session.scalar(select(func.count()).select_from(SessionCourseCoach)) == 0
    assert journal_count() == before


def test_a_teacher_can_be_a_course_coach(client, admin):
    session = make_session(admin["coach"])
    course = add_course(session)
    response = client.post(f"/admin/sessions/{session.id}/courses/{course.id}/coaches",
                           {f"add_coach_{course.id}": "cora"}, htmx=True)
    assert response.status_code == 200
    assert db.session.scalar(select(func.count()).select_from(SessionCourseCoach)) == 1


def test_the_coach_typeahead_offers_only_teachers_and_admins(client, admin):
    options = soup(client.htmx_get("/admin/lookup/users?coaches=1&coach=e"))
    offered = {o["value"] for o in options.select("option")}
    assert offered == {"ada", "cora"}
    # The learner pickers still offer everyone.
    options = soup(client.htmx_get("/admin/lookup/users?add_learner=e"))
    assert "lea" in {o["value"] for o in options.select("option")}


def test_a_coach_keeps_a_role_that_can_coach(client, make_user):
    """A teacher who coaches cannot be turned into a learner until someone else coaches."""
    from portal.domain.users import role_change_problem

    make_user("ada", role="admin")
    ted = make_user("ted", role="teacher")
    idle = make_user("ivy", role="teacher")
    make_session(ted, "Python basics")
    assert role_change_problem(db.session, ted, "learner") == (
        "ted coaches 1 session; only a teacher or an administrator can coach. "
        "Choose another coach there first.")
    assert role_change_problem(db.session, ted, "admin") is None
    assert role_change_problem(db.session, idle, "learner") is None
    client.login("ada")
    response = client.post(f"/admin/users/{ted.id}", {
        "username": "ted", "email": "ted@example.org", "first_name": "Ted",
        "last_name": "Tester", "role": "learner", "timezone": "", "active": "y",
        "password": ""})
    assert response.status_code == 422
    page = BeautifulSoup(response.data, "html.parser")
    assert "ted coaches 1 session; only a teacher or an administrator can coach." in \
        page.get_text(" ", strip=True)
    db.session.expire_all()
    assert db.session.get(User, ted.id).role == "teacher"
