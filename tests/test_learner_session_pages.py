"""Inside a session: the session page, the course page, the date gate, access tracking."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import (
    AccessEvent,
    Assignment,
    Course,
    Enrolment,
    Grade,
    SessionCourse,
    Submission,
)
from tests.helpers import NOW, add_course, enrol, make_session

# Who the `people` fixture creates (see conftest.CAST).
PEOPLE = ("admin", "coach", "teacher", "learner", "other", "stranger")


@pytest.fixture
def world(people):
    """A session with two courses (in a set order) and a second session for Otto."""
    session = make_session(people["coach"], "Autumn", starts_in=-1, ends_in=10,
                           description="Welcome **aboard**")
    sql = add_course(session, "SQL1", "SQL for analysts")
    python = add_course(session, "PY101", "Python basics", coaches=[people["teacher"]])
    positions = {sql.id: 2, python.id: 1}
    for sc in db.session.scalars(select(SessionCourse).where(SessionCourse.session_id
                                                             == session.id)):
        sc.position = positions[sc.course_id]
    python.description = "Learn *Python*."
    essay = Assignment(course_id=python.id, title="Essay", instructions="Write **it**.",
                       max_score=20, position=1)
    quiz = Assignment(course_id=python.id, title="Quiz", max_score=10, position=2)
    db.session.add_all([essay, quiz])
    db.session.commit()
    enrol(session, people["learner"])
    theirs = make_session(people["coach"], "Other session")
    add_course(theirs, "JS1", "JavaScript")
    enrol(theirs, people["other"])
    return {"session": session, "python": python, "sql": sql, "essay": essay, "quiz": quiz,
            "theirs": theirs}


def login(client, people, who):
    client.login(people[who].username)


def test_session_page_for_a_learner(client, people, world):
    login(client, people, "learner")
    s = world["session"]
    db.session.add(Submission(session_id=s.id, assignment_id=world["essay"].id,
                              user_id=people["learner"].id, answer="mine"))
    db.session.commit()
    page = client.get_page(f"/sessions/{s.id}")
    assert page.select_one("h1").text == "Autumn"
    assert page.select_one(".description strong").text == "aboard"
    details = {dt.text: dt.find_next("dd").text for dt in page.select("dl.details dt")}
    assert details["Your access"] == "28 Nov at 13:00 – 9 Dec 2026 at 13:00"
    assert details["State"] == "Ends in 10 days"
    assert details["Session coach"] == "Cora Coach"
    courses = page.select("ol.course-list > li")
    assert [li.select_one("h3").text for li in courses] == ["Python basics", "SQL for analysts"]
    assert courses[0].select_one("h3 a")["href"] == (
        f"/sessions/{s.id}/courses/{world['python'].id}")
    assert "Course coach: Ted Teach" in courses[0].text
    assert courses[0].select_one(".course-progress").text == "1 of 2 assignments handed in"
    assert courses[1].select_one(".course-progress").text == "No assignment to hand in"
    assert page.select_one(".breadcrumb a")["href"] == "/my-sessions"
    assert [h.name for h in page.select("h1, h2, h3")][:3] == ["h1", "h2", "h2"]


def test_course_page_shows_description_assignments_own_work_and_grade(client, people, world):
    s, essay = world["session"], world["essay"]
    mine = Submission(session_id=s.id, assignment_id=essay.id, user_id=people["learner"].id,
                      answer="My essay", submitted_at=NOW)
    db.session.add(mine)
    db.session.flush()
    db.session.add(Grade(submission_id=mine.id, score=17.5, feedback="Well *done*",
                         graded_at=NOW))
    enrol(s, people["other"])
    db.session.add(Submission(session_id=s.id, assignment_id=world["quiz"].id,
                              user_id=people["other"].id, answer="Otto's secret"))
    db.session.commit()
    login(client, people, "learner")
    page = client.get_page(f"/sessions/{s.id}/courses/{world['python'].id}")
    assert page.select_one("h1").text == "Python basics"
    assert page.select_one(".description em").text == "Python"
    assert "Course coach: Ted Teach" in page.select_one("hgroup p").text
    blocks = page.select("article.assignment")
    assert [b.select_one("h3").text for b in blocks] == ["Essay", "Quiz"]
    essay_block, quiz_block = blocks
    assert essay_block.select_one(".instructions strong").text == "it"
    assert essay_block.select_one(".answer").text == "My essay"
    assert essay_block.select_one(".grade").text.startswith("17.5 / 20")
    assert essay_block.select_one(".feedback em").text == "done"
    assert essay_block.select_one("form") is None
    assert "it can no longer be changed" in essay_block.select_one(".hand-in-closed").text
    assert "Otto's secret" not in page.text
    assert quiz_block.select_one(".not-handed-in").text == "Not handed in yet."
    form = quiz_block.select_one("form")
    assert form["action"].endswith(f"/assignments/{world['quiz'].id}/hand-in")
    assert form["enctype"] == "multipart/form-data"
    for control in form.select("textarea, input[type=file]"):
        assert page.select_one(f"label[for={control['id']}]").text  # every input labelled


@pytest.mark.parametrize(
    ("who", "offset_days", "status", "words"),
    [
        ("learner", -3, 403, "This session opens on"),
        ("learner", 1, 200, "Essay"),
        ("learner", 12, 200, "You can still read it"),
        ("other", 1, 404, "Not found"),  # a learner of another session
        ("stranger", 1, 404, "Not found"),
        ("coach", -3, 200, "Essay"),
        ("teacher", 1, 200, "Essay"),
        ("admin", -30, 200, "Essay"),
    ],
)
def test_course_page_through_the_gate(client, people, world, frozen_now, who, offset_days,
                                      status, words):
    login(client, people, who)
    frozen_now(NOW + timedelta(days=offset_days))
    response = client.get(f"/sessions/{world['session'].id}/courses/{world['python'].id}")
    assert response.status_code == status
    assert words in response.get_data(as_text=True)


def test_read_only_course_shows_grades_and_explains_instead_of_the_form(client, people, world,
                                                                       frozen_now):
    login(client, people, "learner")
    frozen_now(NOW + timedelta(days=12))
    page = client.get_page(f"/sessions/{world['session'].id}/courses/{world['python'].id}")
    assert page.select("article.assignment form") == []
    # The page says it once, above the assignments, not once per assignment.
    assert page.text.count("This session ended") == 1
    [banner] = page.select("main .notice")
    assert "This session ended on 9 Dec 2026 at 13:00" in banner.text
    assert "nothing can be handed in" in banner.text
    assert [p.text for p in page.select(".not-handed-in")] == ["Nothing handed in."] * 2


def test_closed_session_pages_are_locked(client, people, make_user):
    session = make_session(people["coach"], "Gone", starts_in=-20, ends_in=-2, policy="closed")
    course = add_course(session)
    enrol(session, people["learner"])
    login(client, people, "learner")
    for url in (f"/sessions/{session.id}", f"/sessions/{session.id}/courses/{course.id}"):
        response = client.get(url)
        assert response.status_code == 403
        assert "has ended on" in response.get_data(as_text=True)


def test_a_course_of_another_session_is_404(client, people, world):
    login(client, people, "learner")
    js = db.session.scalar(select(Course.id).where(Course.code == "JS1"))
    assert client.get(f"/sessions/{world['session'].id}/courses/{js}").status_code == 404


def test_coach_and_admin_see_the_session_as_its_learners_do(client, people, world):
    login(client, people, "admin")
    admin_page = client.get_page(f"/admin/sessions/{world['session'].id}")
    link = next(a for a in admin_page.select("a") if a.text == "See it as a learner would")
    page = client.get_page(link["href"])
    assert link["href"] == f"/sessions/{world['session'].id}"
    assert "You see this session as its learners do" in page.text
    assert page.select(".course-progress") == []
    course = client.get_page(f"/sessions/{world['session'].id}/courses/{world['python'].id}")
    assert course.select("article.assignment form") == []
    assert course.text.count("Only the session's learners hand in work here.") == 1


# --- tracking ---------------------------------------------------------------


def events():
    return db.session.execute(
        select(AccessEvent.user_id, AccessEvent.session_id, AccessEvent.course_id,
               AccessEvent.at).order_by(AccessEvent.id)
    ).all()


def enrolment_of(user, session):
    return db.session.scalar(select(Enrolment).where(Enrolment.user_id == user.id,
                                                     Enrolment.session_id == session.id))


def test_page_views_record_access_and_first_and_last_access(client, people, world,
                                                            frozen_now):
    s, python, learner = world["session"], world["python"], people["learner"]
    login(client, people, "learner")
    client.get_page(f"/sessions/{s.id}")
    frozen_now(NOW + timedelta(hours=2))
    client.get_page(f"/sessions/{s.id}/courses/{python.id}")
    assert events() == [(learner.id, s.id, None, NOW),
                        (learner.id, s.id, python.id, NOW + timedelta(hours=2))]
    enrolment = enrolment_of(learner, s)
    assert enrolment.first_access_at == NOW
    assert enrolment.last_access_at == NOW + timedelta(hours=2)
    # The admin's list of learners shows it.
    client.logout()
    login(client, people, "admin")
    row = client.get_page(f"/admin/sessions/{s.id}").select("tbody tr")[0]
    assert "29 Nov 2026 at 15:00" in row.text


def test_a_page_view_costs_one_write_and_nothing_more(client, people, world, count_queries):
    login(client, people, "learner")
    url = f"/sessions/{world['session'].id}"
    client.get_page(url)
    with count_queries() as counter:
        client.get_page(url)
    writes = [s for s in counter.statements if s.split()[0] in ("INSERT", "UPDATE")]
    assert [w.split()[0] for w in writes] == ["INSERT", "UPDATE"]
    reads_of_enrolment = [s for s in counter.statements
                          if s.startswith("SELECT") and "FROM enrolment" in s
                          and "first_access_at" in s and "extension_days" in s]
    assert len(reads_of_enrolment) <= 2  # the gate's relation, the page's window: no extra


def test_what_is_not_recorded(client, people, world, frozen_now):
    s = world["session"]
    login(client, people, "learner")
    client.htmx_get(f"/sessions/{s.id}")  # a fragment is not a page view
    client.get(f"/sessions/{s.id}/calendar.ics")  # a download of the dates neither
    client.post(f"/sessions/{s.id}/courses/{world['python'].id}/assignments/"
                f"{world['essay'].id}/hand-in", {f"a{world['essay'].id}-answer": "x"})
    frozen_now(NOW - timedelta(days=3))
    assert client.get(f"/sessions/{s.id}").status_code == 403  # locked: not let in
    client.logout()
    login(client, people, "admin")  # an admin with no relation to the session
    client.get_page(f"/sessions/{s.id}")
    client.logout()
    login(client, people, "stranger")
    assert client.get(f"/sessions/{s.id}").status_code == 404
    assert events() == []
    assert enrolment_of(people["learner"], s).first_access_at is None


def test_a_coachs_view_is_recorded_without_touching_enrolments(client, people, world):
    login(client, people, "teacher")
    client.get_page(f"/sessions/{world['session'].id}/courses/{world['python'].id}")
    assert events() == [(people["teacher"].id, world["session"].id, world["python"].id, NOW)]
    assert db.session.scalar(select(func.count()).select_from(Enrolment)
                             .where(Enrolment.first_access_at.is_not(None))) == 0


def test_duration_mode_days_start_at_the_first_visit(client, people, frozen_now):
    session = make_session(people["coach"], "Self paced", starts_in=None, ends_in=None,
                           duration_days=30)
    enrol(session, people["learner"])
    login(client, people, "learner")
    frozen_now(NOW + timedelta(days=100))  # enrolled long ago, never came: the days wait
    page = client.get_page(f"/sessions/{session.id}")
    details = {dt.text: dt.find_next("dd").text for dt in page.select("dl.details dt")}
    assert details["State"] == "Ends in 30 days"
    first = NOW + timedelta(days=100)
    assert enrolment_of(people["learner"], session).first_access_at == first
    frozen_now(first + timedelta(days=29))
    client.get_page(f"/sessions/{session.id}")
    assert enrolment_of(people["learner"], session).first_access_at == first
    frozen_now(first + timedelta(days=30))
    response = client.get(f"/sessions/{session.id}")
    assert "You can still read it" in response.get_data(as_text=True)  # read only now
