"""Grading: the grid, opening a cell, saving a grade, the coach window, course scope."""

from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import insert, select

from portal.domain.grading import (
    NOT_A_NUMBER,
    TOO_PRECISE,
    GradeError,
    out_of_range,
    parse_score,
    save_grade,
)
from portal.domain.journal import Actor, sentence
from portal.extensions import db
from portal.models import Assignment, Enrolment, Grade, JournalEntry, Submission, User
from tests.helpers import NOW, add_course, enrol, make_session

# Who the `people` fixture creates (see conftest.CAST).
PEOPLE = ("admin", "coach", "ted", "tom", "lea", "leo", "sam")


def build(people, *, starts_in=-20, ends_in=-2, policy="read_only", **fields):
    """A session whose learner access ended 2 days ago (coach window: 12 more days),
    with Python (coached by Ted, 2 assignments) and SQL (coached by Tom, 1)."""
    session = make_session(people["coach"], starts_in=starts_in, ends_in=ends_in,
                           policy=policy, **fields)
    python = add_course(session, "PY101", "Python basics", coaches=[people["ted"]])
    sql = add_course(session, "SQL1", "SQL for analysts", coaches=[people["tom"]])
    a1 = Assignment(course_id=python.id, title="Variables", max_score=20, position=1)
    a2 = Assignment(course_id=python.id, title="Loops", max_score=10, position=2)
    q1 = Assignment(course_id=sql.id, title="Joins", max_score=20)
    db.session.add_all([a1, a2, q1])
    db.session.commit()
    enrol(session, people["lea"], people["leo"])
    lea_a1 = Submission(session_id=session.id, assignment_id=a1.id, user_id=people["lea"].id,
                        answer="x = 1\nprint(x)", submitted_at=NOW - timedelta(days=5))
    lea_q1 = Submission(session_id=session.id, assignment_id=q1.id, user_id=people["lea"].id,
                        answer="SELECT 1", submitted_at=NOW - timedelta(days=4))
    leo_a2 = Submission(session_id=session.id, assignment_id=a2.id, user_id=people["leo"].id,
                        answer="for i in range(3): pass", submitted_at=NOW - timedelta(days=3))
    db.session.add_all([lea_a1, lea_q1, leo_a2])
    db.session.commit()
    db.session.add(Grade(submission_id=leo_a2.id, score=7.5, feedback="Good", grader_id=None,
                         graded_at=NOW - timedelta(days=1)))
    db.session.commit()
    return {"session": session, "python": python, "sql": sql, "a1": a1, "a2": a2, "q1": q1,
            "lea_a1": lea_a1, "lea_q1": lea_q1, "leo_a2": leo_a2}


def grid_url(w, course="python"):
    return f"/coach/sessions/{w['session'].id}/courses/{w[course].id}/grading"


def sub_url(w, submission="lea_a1", course="python"):
    return (f"/coach/sessions/{w['session'].id}/courses/{w[course].id}"
            f"/submissions/{w[submission].id}")


def soup(response):
    return BeautifulSoup(response.data, "html.parser")


def grade_of(submission) -> Grade | None:
    db.session.expire_all()
    return db.session.scalar(select(Grade).where(Grade.submission_id == submission.id))


def cell_texts(page):
    return {cell["id"]: " ".join(cell.select_one(".cell-text").stripped_strings)
            for cell in page.select(".grade-cell")}


# --- the grid ---------------------------------------------------------------------


def test_grid_shows_each_learner_and_assignment_state(client, people):
    w = build(people)
    client.login("cora")
    page = client.get_page(grid_url(w))
    assert [th.text.split(" /")[0] for th in page.select("thead th")[1:]] == [
        "Variables", "Loops"]
    assert [th.contents[0].strip() for th in page.select("tbody th[scope=row]")] == [
        "Lea Learner", "Leo Second"]
    lea, leo = people["lea"].id, people["leo"].id
    texts = cell_texts(page)
    # 24 Nov 12:00 UTC, in Paris.
    assert texts[f"cell-{lea}-{w['a1'].id}"].startswith("Handed in 24 Nov 2026")
    assert texts[f"cell-{lea}-{w['a2'].id}"] == "Not handed in"
    assert texts[f"cell-{leo}-{w['a1'].id}"] == "Not handed in"
    assert texts[f"cell-{leo}-{w['a2'].id}"].startswith("Graded: 7.5 / 10")
    assert "1 hand-in waiting for a grade" in page.select_one(".to-grade").text
    assert len(page.select(".to-grade")) == 1 and page.select_one("[data-hx-swap-oob]") is None


def test_ungraded_only_filter_and_htmx_fragment(client, people):
    w = build(people)
    client.login("cora")
    response = client.htmx_get(grid_url(w) + "?ungraded=1")
    assert response.status_code == 200 and "<html" not in response.get_data(as_text=True)
    rows = soup(response).select("tbody th[scope=row]")
    assert [th.contents[0].strip() for th in rows] == ["Lea Learner"]
    page = client.get_page(grid_url(w) + "?ungraded=1")
    assert page.select_one("#ungraded").has_attr("checked")


def add_learners(w, count, tag):
    """``count`` more learners in the session, each with work on the first assignment."""
    db.session.execute(insert(User), [
        {"username": f"{tag}{i:04}", "email": f"{tag}{i}@example.org", "first_name": "Bulk",
         "last_name": f"{tag}{i:04}", "role": "learner"} for i in range(count)])
    ids = list(db.session.scalars(select(User.id).where(User.username.like(f"{tag}%"))))
    db.session.execute(insert(Enrolment), [
        {"session_id": w["session"].id, "user_id": uid, "source": "individual",
         "direct": True, "extension_days": 0} for uid in ids])
    db.session.execute(insert(Submission), [
        {"session_id": w["session"].id, "assignment_id": w["a1"].id, "user_id": uid,
         "answer": "a", "submitted_at": NOW} for uid in ids])
    db.session.commit()


def test_grid_is_paginated_over_learners_in_fixed_queries(client, people, count_queries):
    w = build(people)
    client.login("cora")
    counts = []
    for total, tag in ((10, "small"), (300, "big")):
        add_learners(w, total - db.session.scalar(
            select(db.func.count()).select_from(Enrolment)), tag)
        url = grid_url(w) + "?per_page=100"
        with count_queries() as counter:
            page = client.get_page(url)
        counts.append(counter.count)
        assert len(page.select("tbody tr")) == min(total, 100)
    # Login, navigation, the gate and its access record, then the grid's own five.
    assert counts[0] == counts[1] <= 12, counts
    page = client.get_page(grid_url(w) + "?per_page=100&page=3")
    assert len(page.select("tbody tr")) == 100
    assert page.select_one(".pagination a[aria-current=page]").text == "3"


# --- opening a cell and grading -------------------------------------------------------


def test_open_cell_shows_the_answer_and_a_grade_form(client, people):
    w = build(people)
    client.login("cora")
    fragment = soup(client.htmx_get(sub_url(w)))
    assert "<html" not in str(fragment)
    cell = fragment.select_one(f"#cell-{people['lea'].id}-{w['a1'].id}.cell-open")
    assert cell.select_one(".answer").text == "x = 1\nprint(x)"
    form = cell.select_one("form")
    assert form["data-hx-post"] == sub_url(w)
    assert form["data-hx-target"] == "closest .grade-cell"
    assert cell.select_one("input[name$=score]") is not None
    assert cell.select_one("textarea[name$=feedback]") is not None


def test_saving_a_grade_swaps_the_cell_inline(client, people):
    w = build(people)
    client.login("cora")
    response = client.post(sub_url(w), {f"s{w['lea_a1'].id}-score": "14.5",
                                        f"s{w['lea_a1'].id}-feedback": "Nice *work*"},
                           htmx=True)
    assert response.status_code == 200
    cell = soup(response).select_one(".grade-cell")
    assert cell["id"] == f"cell-{people['lea'].id}-{w['a1'].id}"
    assert "Graded: 14.5 / 20" in cell.text and "Saved" in cell.text
    count = soup(response).select_one("#to-grade[data-hx-swap-oob]")
    assert count.text == "0 hand-ins waiting for a grade in this course."
    grade = grade_of(w["lea_a1"])
    assert grade.score == 14.5 and grade.feedback == "Nice *work*"
    assert grade.grader_id == people["coach"].id and grade.graded_at == NOW
    # Saving again updates the same grade.
    client.post(sub_url(w), {f"s{w['lea_a1'].id}-score": "16"}, htmx=True)
    assert grade_of(w["lea_a1"]).score == 16
    assert db.session.scalar(select(db.func.count()).select_from(Grade)) == 2


def test_saving_without_javascript_redirects_to_the_grid(client, people):
    w = build(people)
    client.login("ted")
    prefix = f"s{w['lea_a1'].id}"
    page = client.get_page(sub_url(w) + "?ungraded=1")
    assert page.select_one("form").get("data-hx-post") is None  # a plain form on a plain page
    response = client.post(sub_url(w), {f"{prefix}-score": "12", "ungraded": "1"})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(
        grid_url(w) + f"?ungraded=1#cell-{people['lea'].id}-{w['a1'].id}")
    page = client.get_page(response.headers["Location"])
    assert "Grade saved: Lea Learner, “Variables”." in page.select_one(".flash").text
    assert grade_of(w["lea_a1"]).grader_id == people["ted"].id


def test_cancel_gives_the_closed_cell_back(client, people):
    w = build(people)
    client.login("cora")
    fragment = soup(client.htmx_get(sub_url(w) + "/cell"))
    assert fragment.select_one(".grade-cell:not(.cell-open) a")["data-hx-get"] == sub_url(w)
    response = client.get(sub_url(w) + "/cell")
    assert response.status_code == 302 and response.headers["Location"].endswith(grid_url(w))


@pytest.mark.parametrize(
    ("score", "message"),
    [
        ("", NOT_A_NUMBER),
        ("abc", NOT_A_NUMBER),
        ("1e3", NOT_A_NUMBER),
        ("nan", NOT_A_NUMBER),
        ("14.5.1", NOT_A_NUMBER),
        ("-1", out_of_range(20)),
        ("20.01", out_of_range(20)),
        ("21", out_of_range(20)),
        ("14.555", TOO_PRECISE),
    ],
)
def test_invalid_scores_come_back_in_the_form_with_422(client, people, score, message):
    w = build(people)
    client.login("cora")
    prefix = f"s{w['lea_a1'].id}"
    response = client.post(sub_url(w), {f"{prefix}-score": score}, htmx=True)
    assert response.status_code == 422
    fragment = soup(response)
    assert fragment.select_one(f"#{prefix}-score-error").text == message
    assert fragment.select_one(f"#{prefix}-score")["aria-invalid"] == "true"
    assert grade_of(w["lea_a1"]) is None
    # Without htmx: the submission page with the error.
    response = client.post(sub_url(w), {f"{prefix}-score": score})
    assert response.status_code == 422
    assert soup(response).select_one(f"#{prefix}-score-error").text == message


def test_too_long_feedback_is_refused(client, people):
    w = build(people)
    client.login("cora")
    prefix = f"s{w['lea_a1'].id}"
    response = client.post(sub_url(w), {f"{prefix}-score": "10",
                                        f"{prefix}-feedback": "x" * 10_001}, htmx=True)
    assert response.status_code == 422
    assert "at most 10,000 characters" in soup(response).select_one(
        f"#{prefix}-feedback-error").text


@pytest.mark.parametrize(
    ("text", "value"),
    [("14", Decimal("14")), ("14.5", Decimal("14.5")), ("14,25", Decimal("14.25")),
     (" 0 ", Decimal("0")), ("20", Decimal("20")), ("20.00", Decimal("20")),
     (".5", Decimal("0.5"))],
)
def test_parse_score_accepts(text, value):
    assert parse_score(text, 20) == value


def test_parse_score_refuses_with_a_readable_message():
    with pytest.raises(GradeError, match="between 0 and 10"):
        parse_score("11", 10)


def test_learner_sees_the_grade_and_feedback_once_saved(client, people):
    w = build(people)
    client.login("cora")
    prefix = f"s{w['lea_a1'].id}"
    client.post(sub_url(w), {f"{prefix}-score": "14.5", f"{prefix}-feedback": "Well **done**"},
                htmx=True)
    client.logout()
    client.login("lea")
    page = client.get_page(f"/sessions/{w['session'].id}/courses/{w['python'].id}")
    block = page.select_one(f"#assignment-{w['a1'].id}")
    assert "14.5 / 20" in block.select_one(".grade").text
    assert block.select_one(".feedback strong").text == "done"


# --- the coach window ---------------------------------------------------------------


def test_grading_works_after_the_learner_window_closed(client, people):
    w = build(people, starts_in=-20, ends_in=-2)  # coach window: 12 more days
    client.login("lea")
    assert client.get(f"/sessions/{w['session'].id}/courses/{w['python'].id}"
                      ).status_code == 200  # read only for her
    client.logout()
    client.login("cora")
    response = client.post(sub_url(w), {f"s{w['lea_a1'].id}-score": "11"}, htmx=True)
    assert response.status_code == 200
    assert grade_of(w["lea_a1"]).score == 11


def test_grading_is_locked_before_the_coach_window(client, people):
    w = build(people, starts_in=10, ends_in=30)  # coach window opens in 3 days
    client.login("cora")
    response = client.get(grid_url(w))
    assert response.status_code == 403
    assert "This session opens on" in response.get_data(as_text=True)
    assert "(in 3 days)" in response.get_data(as_text=True)
    response = client.post(sub_url(w), {f"s{w['lea_a1'].id}-score": "11"}, htmx=True)
    assert response.status_code == 403
    assert grade_of(w["lea_a1"]) is None


def test_after_the_coach_window_read_only_shows_but_does_not_grade(client, people):
    w = build(people, starts_in=-60, ends_in=-20, policy="read_only")  # coach end: 6 days ago
    client.login("cora")
    page = client.get_page(grid_url(w))
    assert "grading is closed" in page.select_one(".notice").text
    assert page.select_one(f"#cell-{people['lea'].id}-{w['a1'].id} a") is not None
    fragment = soup(client.htmx_get(sub_url(w)))
    assert fragment.select_one("form") is None
    assert fragment.select_one(".answer") is not None
    response = client.post(sub_url(w), {f"s{w['lea_a1'].id}-score": "11"}, htmx=True)
    assert response.status_code == 403
    assert "no grade can be changed" in response.get_data(as_text=True)
    assert grade_of(w["lea_a1"]) is None


def test_after_the_coach_window_closed_refuses_everything(client, people):
    w = build(people, starts_in=-60, ends_in=-20, policy="closed")
    client.login("cora")
    assert client.get(grid_url(w)).status_code == 403
    assert client.get(sub_url(w)).status_code == 403
    response = client.post(sub_url(w), {f"s{w['lea_a1'].id}-score": "11"}, htmx=True)
    assert response.status_code == 403
    assert grade_of(w["lea_a1"]) is None


def test_admins_grade_any_time(client, people):
    w = build(people, starts_in=-60, ends_in=-20, policy="closed")
    client.login("ada")
    response = client.post(sub_url(w), {f"s{w['lea_a1'].id}-score": "11"}, htmx=True)
    assert response.status_code == 200
    assert grade_of(w["lea_a1"]).grader_id == people["admin"].id


# --- who grades what -----------------------------------------------------------------


def test_course_coach_grades_their_course_only(client, people):
    w = build(people)
    client.login("ted")  # coach of Python, not of SQL
    assert client.get(grid_url(w)).status_code == 200
    assert client.get(grid_url(w, "sql")).status_code == 404
    # SQL work through the SQL URL: no relation to that course.
    response = client.post(sub_url(w, "lea_q1", "sql"), {f"s{w['lea_q1'].id}-score": "3"},
                           htmx=True)
    assert response.status_code == 404
    # SQL work smuggled through the Python URL: not a submission of that course.
    response = client.post(sub_url(w, "lea_q1", "python"), {f"s{w['lea_q1'].id}-score": "3"},
                           htmx=True)
    assert response.status_code == 404
    assert client.get(sub_url(w, "lea_q1", "python")).status_code == 404
    assert grade_of(w["lea_q1"]) is None


def test_session_coach_grades_every_course(client, people):
    w = build(people)
    client.login("cora")
    response = client.post(sub_url(w, "lea_q1", "sql"), {f"s{w['lea_q1'].id}-score": "3"},
                           htmx=True)
    assert response.status_code == 200


def test_course_coach_gets_404_for_another_session(client, people):
    w = build(people)
    other = make_session(people["coach"], name="Other")
    course = add_course(other, "JS1", "JavaScript")
    client.login("ted")
    assert client.get(f"/coach/sessions/{other.id}/courses/{course.id}/grading"
                      ).status_code == 404
    # A course of this session through the other session's URL.
    assert client.get(f"/coach/sessions/{other.id}/courses/{w['python'].id}/grading"
                      ).status_code == 404


@pytest.mark.parametrize("who", ["lea", "sam"])
def test_learners_and_strangers_get_404(client, people, who):
    w = build(people)
    client.login(who)
    assert client.get(grid_url(w)).status_code == 404
    assert client.post(sub_url(w), {f"s{w['lea_a1'].id}-score": "3"},
                       htmx=True).status_code == 404


def test_attached_file_for_the_course_coaches(client, people, app):
    w = build(people)
    folder = Path(app.config["UPLOAD_FOLDER"])
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "k").write_bytes(b"%PDF-1.4 answer")
    submission = db.session.get(Submission, w["lea_a1"].id)
    submission.file_key, submission.file_name, submission.file_size = "k", "work.pdf", 15
    db.session.commit()
    client.login("ted")
    fragment = soup(client.htmx_get(sub_url(w)))
    link = fragment.select_one(".attachment a")
    assert link.text == "work.pdf"
    response = client.get(link["href"])
    assert response.status_code == 200 and response.data == b"%PDF-1.4 answer"
    assert "work.pdf" in response.headers["Content-Disposition"]
    client.logout()
    client.login("tom")
    assert client.get(link["href"]).status_code == 404


# --- the journal -------------------------------------------------------------------


def grade_entries():
    return db.session.scalars(select(JournalEntry).where(JournalEntry.object_type == "grade")
                              .order_by(JournalEntry.id)).all()


def test_a_grade_and_its_change_are_journaled(client, people):
    w = build(people)
    client.login("cora")
    prefix = f"s{w['lea_a1'].id}"
    feedback = "Well argued; " * 10
    client.post(sub_url(w), {f"{prefix}-score": "14,5", f"{prefix}-feedback": feedback},
                htmx=True)
    client.post(sub_url(w), {f"{prefix}-score": "16", f"{prefix}-feedback": feedback})
    first, second = grade_entries()
    tz = ZoneInfo("Europe/Paris")
    assert sentence(first, tz) == (
        "Cora Coach graded Lea Learner's hand-in for Variables in Onboarding: 14.5/20")
    assert sentence(second, tz) == (
        "Cora Coach changed the grade of Lea Learner's hand-in for Variables in Onboarding: "
        "16/20")
    grade = grade_of(w["lea_a1"])
    assert (first.action, first.object_id, first.learner_id, first.session_id) == (
        "create", grade.id, people["lea"].id, w["session"].id)
    assert first.before is None
    assert first.after == {"score": "14.5", "feedback": feedback.strip()[:60], "max_score": 20}
    assert (second.action, second.before, second.after) == (
        "update", {"score": "14.5"}, {"score": "16", "max_score": 20})


def test_the_second_of_two_first_grades_updates_the_first(app, people):
    """Both coaches opened the cell while it was ungraded: the later save updates."""
    w = build(people)
    submission = db.session.get(Submission, w["lea_a1"].id)
    assert submission.grade is None  # what the second coach's request read
    db.session.execute(insert(Grade).values(submission_id=submission.id, score=10,
                                            feedback="", graded_at=NOW))
    saved = save_grade(db.session, submission, Decimal("12"), "Better",
                       by=Actor(people["ted"].id, "Ted Teach"), now=NOW)
    db.session.commit()
    assert not saved.created and saved.before == {"score": "10", "feedback": ""}
    assert grade_of(w["lea_a1"]).score == 12
    assert db.session.scalar(select(db.func.count()).select_from(Grade)
                             .where(Grade.submission_id == w["lea_a1"].id)) == 1
    [entry] = grade_entries()
    assert entry.action == "update" and entry.actor_name == "Ted Teach"
