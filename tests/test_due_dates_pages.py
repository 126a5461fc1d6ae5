"""Due dates on the pages: the admin's form, the learner's words, late work on the grading
grid and in tracking (and its CSV), and a suspended learner's work kept read only."""

import csv
import io
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import func, insert, select

from portal.domain.grading import GradeError, save_grade
from portal.domain.journal import Actor, sentence
from portal.extensions import db
from portal.models import (
    Assignment,
    AssignmentDue,
    Enrolment,
    Grade,
    JournalEntry,
    Submission,
)
from tests import helpers
from tests.helpers import NOW, add_course, enrol, hand_in, make_session

# Who the `people` fixture creates (see conftest.CAST).
PEOPLE = ("admin", "coach", "ted", "lea", "leo", "max", "sam")
# A fixed due date three days before NOW, 13:00 in Paris.
PAST_DUE = NOW - timedelta(days=3)


@pytest.fixture
def w(people):
    """Onboarding: access from 10 days ago to 20 days from now; Python basics (coached by
    Ted) with Variables and Loops; Lea, Leo (5 more days) and Max (suspended) enrolled."""
    session = make_session(people["coach"], starts_in=-10, ends_in=20)
    python = add_course(session, "PY101", "Python basics", coaches=[people["ted"]])
    a1 = Assignment(course_id=python.id, title="Variables", max_score=20, position=1)
    a2 = Assignment(course_id=python.id, title="Loops", max_score=10, position=2)
    db.session.add_all([a1, a2])
    db.session.commit()
    enrol(session, people["lea"])
    enrol(session, people["leo"], extension_days=5, dates_reason="Illness")
    enrol(session, people["max"], suspended_at=NOW - timedelta(days=1),
          suspension_reason="Unpaid fees")
    return {"session": session, "python": python, "a1": a1, "a2": a2}


def set_due(w, assignment, *, at=None, days=None, session=None):
    session = session or w["session"]
    db.session.add(AssignmentDue(session_id=session.id, assignment_id=w[assignment].id,
                                 course_id=w["python"].id, due_at=at, due_days=days))
    db.session.commit()


def submit(w, person, assignment, at, score=None):
    return hand_in(w["session"], person, w[assignment], at=at, score=score)


def form_url(w, course=None):
    course = course or w["python"]
    return f"/admin/sessions/{w['session'].id}/courses/{course.id}/due-dates"


def dues():
    db.session.expire_all()
    return {(d.assignment_id, d.due_at, d.due_days) for d in db.session.scalars(
        select(AssignmentDue))}


def journal_count():
    return db.session.scalar(select(func.count()).select_from(JournalEntry)
                             .where(JournalEntry.object_type == "assignment_due"))


# --- the admin's form -------------------------------------------------------------


def test_the_courses_part_links_to_each_courses_due_dates(client, people, w):
    client.login("ada")
    page = client.get_page(f"/admin/sessions/{w['session'].id}")
    link = page.select_one("#courses a[href$='/due-dates']")
    assert link["href"] == form_url(w)
    assert " ".join(link.stripped_strings) == "Due dates of Python basics"


def test_the_link_opens_the_form_in_place_for_htmx(client, people, w):
    client.login("ada")
    response = client.htmx_get(form_url(w))
    assert response.status_code == 200 and b"<html" not in response.data
    fragment = BeautifulSoup(response.data, "html.parser")
    form = fragment.select_one(f"#due-dates-{w['python'].id} form")
    assert form["data-hx-post"] == form_url(w) and form.select_one("[name=csrf_token]")


def test_admin_sets_fixed_and_relative_due_dates(client, people, w):
    client.login("ada")
    page = client.get_page(form_url(w))
    assert [legend.text for legend in page.select("fieldset legend")] == ["Variables", "Loops"]
    assert page.select_one(f"#kind_{w['a1'].id}-none").has_attr("checked")
    a1, a2 = w["a1"].id, w["a2"].id
    response = client.post(form_url(w), {f"kind_{a1}": "fixed", f"at_{a1}": "2026-12-01 17:00",
                                         f"kind_{a2}": "relative", f"days_{a2}": "7"})
    assert response.status_code == 303
    assert dues() == {(a1, datetime(2026, 12, 1, 16, 0, tzinfo=UTC), None), (a2, None, 7)}
    page = client.get_page(response.headers["Location"])
    assert "Due dates of Python basics saved (2 assignments changed)." in page.text
    entry = db.session.scalar(select(JournalEntry).where(
        JournalEntry.object_type == "assignment_due"))
    assert sentence(entry, ZoneInfo("Europe/Paris")) == (
        "Ada Tester changed the due dates of Python basics in Onboarding: Variables from none "
        "to 1 Dec 2026 at 17:00 and Loops from none to 7 days after each learner's access start")
    # The form shows them back; saving them again changes nothing and journals nothing.
    page = client.get_page(form_url(w))
    assert page.select_one(f"#at_{a1}")["value"] == "2026-12-01 17:00"
    assert page.select_one(f"#kind_{a1}-fixed").has_attr("checked")
    assert page.select_one(f"#days_{a2}")["value"] == "7"
    again = client.post(form_url(w), {f"kind_{a1}": "fixed", f"at_{a1}": "2026-12-01 17:00",
                                      f"kind_{a2}": "relative", f"days_{a2}": "7"}, htmx=True)
    assert again.status_code == 200 and "nothing changed" in again.get_data(as_text=True)
    assert journal_count() == 1
    # Back to no due date.
    client.post(form_url(w), {f"kind_{a1}": "none", f"kind_{a2}": "relative",
                              f"days_{a2}": "7"})
    assert dues() == {(a2, None, 7)}


@pytest.mark.parametrize(("typed", "field", "message"), [
    ({"kind": "relative", "days": "-3"}, "days", "Write a whole number of days from 1 to 3650."),
    ({"kind": "relative", "days": "3651"}, "days", "Write a whole number of days from 1 to 3650."),
    ({"kind": "relative", "days": "1" * 300}, "days", "from 1 to 3650"),
    ({"kind": "fixed", "at": "0001-01-01"}, "at", "Use a year from"),
    ({"kind": "fixed", "at": "9999-12-31 10:00"}, "at", "Use a year from"),
    ({"kind": "fixed", "at": "next friday"}, "at", "Write a date as"),
    ({"kind": "fixed", "at": ""}, "at", "Write the due date"),
    ({"kind": "whenever"}, "kind", "Choose no due date"),
])
def test_bad_input_is_refused_with_a_field_message_and_nothing_written(client, people, w,
                                                                       typed, field, message):
    client.login("ada")
    a1, a2 = w["a1"].id, w["a2"].id
    data = {f"{name}_{a1}": value for name, value in typed.items()}
    data.update({f"kind_{a2}": "relative", f"days_{a2}": "7"})  # a good one: not saved either
    response = client.post(form_url(w), data, htmx=True)
    assert response.status_code == 422
    page = BeautifulSoup(response.data, "html.parser")
    error = page.select_one(f"#{field}_{a1}-error")
    assert message in error.text
    assert "Nothing was saved" in page.select_one("[role=alert]").text
    assert dues() == set() and journal_count() == 0
    # The full page says the same, with the same status.
    assert client.post(form_url(w), data).status_code == 422


def test_due_dates_belong_to_the_session_course(client, people, w):
    other = make_session(people["coach"], "Second run", starts_in=-10, ends_in=20)
    add_course(other, "PY101")
    enrol(other, people["sam"])
    set_due(w, "a1", at=NOW + timedelta(days=2))
    client.login("sam")
    page = client.get_page(f"/sessions/{other.id}/courses/{w['python'].id}")
    assert page.select(".due-date") == []
    client.logout()
    client.login("lea")
    page = client.get_page(f"/sessions/{w['session'].id}/courses/{w['python'].id}")
    assert len(page.select(".due-date")) == 1


def test_the_form_is_for_admins_and_courses_of_the_session(client, people, w, make_user):
    client.login("ada")
    lonely = add_course(make_session(people["coach"], "Other"), "SQL1", "SQL")
    assert client.get(form_url(w, lonely)).status_code == 404
    client.logout()
    client.login("cora")
    assert client.get(form_url(w)).status_code == 404
    assert client.post(form_url(w), {f"kind_{w['a1'].id}": "relative",
                                     f"days_{w['a1'].id}": "3"}).status_code == 404
    assert dues() == set()


def test_a_due_date_outside_the_access_window_is_saved_with_a_warning(client, people, w):
    client.login("ada")
    a1 = w["a1"].id
    response = client.post(form_url(w), {f"kind_{a1}": "fixed", f"at_{a1}": "2027-06-01"},
                           htmx=True)
    assert response.status_code == 200
    assert "is due after the access window ends" in response.get_data(as_text=True)
    assert len(dues()) == 1


# --- the learner's course page ------------------------------------------------------


def course_page(client, w, session=None):
    session = session or w["session"]
    return client.get_page(f"/sessions/{session.id}/courses/{w['python'].id}")


def due_lines(page):
    return {article["id"]: " ".join(article.select_one(".due-date").stripped_strings)
            for article in page.select("article.assignment") if article.select_one(".due-date")}


def test_learner_reads_their_due_dates_in_words(client, people, w):
    set_due(w, "a1", at=datetime(2026, 12, 1, 16, 0, tzinfo=UTC))  # 17:00 in Paris
    set_due(w, "a2", days=7)  # 7 days after the access start, 19 Nov 13:00 in Paris
    client.login("lea")
    lines = due_lines(course_page(client, w))
    assert lines == {f"assignment-{w['a1'].id}": "Due 1 Dec 2026 at 17:00 · due in 2 days",
                     f"assignment-{w['a2'].id}": "Due 26 Nov 2026 at 13:00 · was due 3 days ago"}


def test_an_extension_moves_the_learners_due_dates(client, people, w):
    set_due(w, "a1", at=datetime(2026, 12, 1, 16, 0, tzinfo=UTC))
    set_due(w, "a2", days=7)
    client.login("leo")
    lines = due_lines(course_page(client, w))
    assert lines == {f"assignment-{w['a1'].id}": "Due 6 Dec 2026 at 17:00 · due in 7 days",
                     f"assignment-{w['a2'].id}": "Due 1 Dec 2026 at 13:00 · due in 2 days"}


def test_duration_mode_counts_from_the_learners_first_visit(client, people, w):
    session = make_session(people["coach"], "Self-paced", starts_in=None, ends_in=None,
                           duration_days=30)
    add_course(session, "PY101")
    enrol(session, people["sam"], first_access_at=NOW - timedelta(days=2))
    set_due(w, "a1", days=7, session=session)
    client.login("sam")
    lines = due_lines(course_page(client, w, session))
    assert lines == {f"assignment-{w['a1'].id}": "Due 4 Dec 2026 at 13:00 · due in 5 days"}


def test_staff_read_the_rule(client, people, w):
    set_due(w, "a2", days=7)
    client.login("ada")
    assert due_lines(course_page(client, w)) == {
        f"assignment-{w['a2'].id}": "Due 7 days after each learner's access start"}


def test_late_work_is_accepted_while_open_and_said_late(client, people, w, frozen_now):
    set_due(w, "a1", at=datetime(2026, 12, 1, 16, 0, tzinfo=UTC))
    frozen_now(datetime(2026, 12, 3, 18, 0, tzinfo=UTC))
    client.login("lea")
    a1 = w["a1"].id
    response = client.post(
        f"/sessions/{w['session'].id}/courses/{w['python'].id}/assignments/{a1}/hand-in",
        {f"a{a1}-answer": "x = 1"}, htmx=True)
    assert response.status_code == 200
    page = BeautifulSoup(response.data, "html.parser")
    assert page.select_one(".late-tag").text == "Handed in 2 days late"
    assert page.select_one(".due-date").text.strip() == "Due 1 Dec 2026 at 17:00"
    assert course_page(client, w).select_one(".late-tag").text == "Handed in 2 days late"


def test_work_on_time_is_not_late(client, people, w):
    set_due(w, "a1", at=datetime(2026, 12, 1, 16, 0, tzinfo=UTC))
    submit(w, people["lea"], "a1", NOW)
    client.login("lea")
    page = course_page(client, w)
    assert page.select(".late-tag") == []
    assert due_lines(page)[f"assignment-{w['a1'].id}"] == "Due 1 Dec 2026 at 17:00"


# --- the grading grid ---------------------------------------------------------------


def grid_url(w):
    return f"/coach/sessions/{w['session'].id}/courses/{w['python'].id}/grading"


def sub_url(w, submission):
    return (f"/coach/sessions/{w['session'].id}/courses/{w['python'].id}"
            f"/submissions/{submission.id}")


def test_the_grid_marks_late_work_with_the_learners_own_due_date(client, people, w):
    set_due(w, "a1", at=PAST_DUE)
    submit(w, people["lea"], "a1", NOW - timedelta(days=1))  # 2 days late
    submit(w, people["leo"], "a1", NOW - timedelta(days=1), score=15)  # extended: on time
    submit(w, people["lea"], "a2", NOW - timedelta(days=1))  # no due date
    client.login("cora")
    page = client.get_page(grid_url(w))
    lea, leo = people["lea"].id, people["leo"].id
    assert page.select_one(f"#cell-{lea}-{w['a1'].id} .late-tag").text == "2 days late"
    assert page.select_one(f"#cell-{leo}-{w['a1'].id} .late-tag") is None
    assert page.select_one(f"#cell-{lea}-{w['a2'].id} .late-tag") is None
    opened = client.get_page(sub_url(w, db.session.scalar(select(Submission).where(
        Submission.user_id == lea, Submission.assignment_id == w["a1"].id))))
    assert opened.select_one(".late-tag").text == "2 days late"
    assert "Due 26 Nov 2026 at 13:00" in opened.select_one(".due-date").text


def test_a_suspended_learners_work_is_shown_read_only(client, people, w):
    work = submit(w, people["max"], "a1", NOW - timedelta(days=2))
    client.login("cora")
    page = client.get_page(grid_url(w))
    row = page.select_one(f"#cell-{people['max'].id}-{w['a1'].id}").find_parent("tr")
    assert "Suspended" in row.th.text
    assert "Suspended" not in page.select_one(
        f"#cell-{people['lea'].id}-{w['a1'].id}").find_parent("tr").th.text
    opened = client.get_page(sub_url(w, work))
    assert opened.select("form.grade-form") == []
    assert opened.select_one(".answer").text == "work"
    assert "Max Absent is suspended from this session" in opened.text
    response = client.post(sub_url(w, work), {f"s{work.id}-score": "12"}, htmx=True)
    assert response.status_code == 409
    assert "is suspended" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Grade)) == 0
    assert db.session.scalar(select(func.count()).select_from(JournalEntry)
                             .where(JournalEntry.object_type == "grade")) == 0


def test_save_grade_refuses_a_suspended_learner(people, w):
    work = submit(w, people["max"], "a1", NOW)
    with pytest.raises(GradeError, match="suspended"):
        save_grade(db.session, work, 10, "", by=Actor(people["coach"].id, "Cora"), now=NOW)


def add_learners(w, count, tag):
    session = w["session"]
    ids = helpers.bulk_learners(session, count, tag,
                                extension_days=lambda i, uid: i % 3,
                                dates_reason=lambda i, uid: "x" if i % 3 else None)
    db.session.execute(insert(Submission), [
        {"session_id": session.id, "assignment_id": w["a1"].id, "user_id": uid,
         "answer": "a", "submitted_at": NOW - timedelta(days=i % 5)} for i, uid in enumerate(ids)])
    db.session.commit()


@pytest.mark.parametrize("address", ["grading", "tracking", "tracking.csv"])
def test_late_marks_cost_the_same_queries_for_10_and_200_learners(client, people, w,
                                                                 count_queries, address):
    set_due(w, "a1", at=PAST_DUE)
    set_due(w, "a2", days=3)
    url = grid_url(w) + "?per_page=100" if address == "grading" \
        else f"/coach/sessions/{w['session'].id}/{address}"
    client.login("cora")
    counts = []
    for total, tag in ((10, "small"), (200, "big")):
        add_learners(w, total - db.session.scalar(select(func.count()).select_from(Enrolment)),
                     tag)
        with count_queries() as counter:
            response = client.get(url)
        assert response.status_code == 200
        counts.append(counter.count)
    assert counts[0] == counts[1], counts
    assert "late" in response.get_data(as_text=True).lower()


# --- tracking -----------------------------------------------------------------------


def tracking_rows(page):
    return {tr.th.small.text: {td["class"][0]: td.text.strip() for td in tr.select("td")}
            for tr in page.select(".tracking-table tbody tr") if tr.th is not None}


def test_tracking_shows_each_learners_own_access_end_and_late_count(client, people, w):
    set_due(w, "a1", at=PAST_DUE)
    set_due(w, "a2", days=3)
    submit(w, people["lea"], "a1", NOW - timedelta(days=1))  # late
    submit(w, people["lea"], "a2", NOW - timedelta(days=1))  # due 22 Nov: late
    submit(w, people["leo"], "a1", NOW - timedelta(days=1))  # extended: on time
    client.login("cora")
    rows = tracking_rows(client.get_page(f"/coach/sessions/{w['session'].id}/tracking"))
    assert rows["lea"]["access-until"] == "Session dates"
    assert rows["leo"]["access-until"] == "24 Dec 2026 at 13:00 (extended by 5 days)"
    assert rows["max"]["access-until"] == "Suspended"
    # The late ones are counted in the "Handed in" cell.
    assert (rows["lea"]["handed-in"], rows["leo"]["handed-in"], rows["max"]["handed-in"]) == \
        ("2 of 2 2 late", "1 of 2", "0 of 2")
    response = client.get(f"/coach/sessions/{w['session'].id}/tracking.csv")
    table = list(csv.reader(io.StringIO(response.get_data(as_text=True)[1:])))
    assert table[0][-3:] == ["Access until", "Late hand-ins", "Suspended"]
    by_user = {row[1]: row[-3:] for row in table[1:]}
    assert by_user == {"lea": ["Session dates", "2", ""],
                       "leo": ["24 Dec 2026 at 13:00 (extended by 5 days)", "0", ""],
                       "max": ["Session dates", "0", "yes"]}


def test_tracking_names_individual_windows(client, people, w):
    db.session.execute(Enrolment.__table__.update().where(
        Enrolment.user_id == people["lea"].id).values(
        own_end=datetime(2027, 1, 15, 23, 0, tzinfo=UTC), dates_reason="Exam retake"))
    db.session.commit()
    client.login("cora")
    rows = tracking_rows(client.get_page(f"/coach/sessions/{w['session'].id}/tracking"))
    assert rows["lea"]["access-until"] == "15 Jan 2027 (individual dates)"
