"""Tracking: the learners' table (time spent, sorting, search, scope), the CSV export,
the query count, who may see it."""

import csv
import io
from datetime import timedelta

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import insert, select

from portal.domain.figures import duration_text
from portal.domain.tracking_table import (
    COLUMNS,
    TrackingFilters,
    all_learner_stats,
    tracking_scope,
)
from portal.extensions import db
from portal.models import AccessEvent, Assignment, Enrolment, Grade, Submission
from tests import helpers
from tests.helpers import NOW, add_course, enrol, make_session

T0 = NOW - timedelta(days=5)


# Who the `people` fixture creates (see conftest.CAST).
PEOPLE = ("admin", "coach", "ted", "tom", "lea", "leo", "max", "sam")


def build(people, **window):
    """Learners' access from 20 days ago to 2 days ago; Python (Ted: 2 assignments) and
    SQL (Tom: 1); Lea, Leo and Max enrolled."""
    window = {"starts_in": -20, "ends_in": -2, **window}
    session = make_session(people["coach"], **window)
    python = add_course(session, "PY101", "Python basics", coaches=[people["ted"]])
    sql = add_course(session, "SQL1", "SQL for analysts", coaches=[people["tom"]])
    a1 = Assignment(course_id=python.id, title="Variables", max_score=20)
    a2 = Assignment(course_id=python.id, title="Loops", max_score=10)
    q1 = Assignment(course_id=sql.id, title="Joins", max_score=20)
    db.session.add_all([a1, a2, q1])
    db.session.commit()
    enrol(session, people["lea"], people["leo"], people["max"])
    return {"session": session, "python": python, "sql": sql, "a1": a1, "a2": a2, "q1": q1}


def add_events(session, user, minutes, course=None, start=T0):
    db.session.add_all([
        AccessEvent(user_id=user.id, session_id=session.id,
                    course_id=course.id if course else None, at=start + timedelta(minutes=m))
        for m in minutes])
    db.session.commit()


def hand_in(session, user, assignment, score=None, at=T0):
    return helpers.hand_in(session, user, assignment, score=score, at=at)


def url(w, tail=""):
    return f"/coach/sessions/{w['session'].id}/tracking{tail}"


def rows(page):
    out = {}
    for tr in page.select(".tracking-table tbody tr"):
        if tr.th is None:
            continue
        out[tr.th.small.text] = {td["class"][0]: td.text.strip() for td in tr.select("td")}
    return out


def stats_by_username(w, scope=None, **filters):
    session = w["session"]
    scope = scope or tracking_scope(db.session, session.id, 0, sees_all=True)
    stats = all_learner_stats(db.session, session.id, scope, TrackingFilters(**filters))
    return {s.username: s for s in stats}


# --- time spent ---------------------------------------------------------------------


def test_time_spent_adds_the_gaps_shorter_than_30_minutes(people):
    w = build(people)
    s = w["session"]
    # Gaps: 10, 15, 35 (a break), 10, 30 (a break: not shorter than 30) -> 35 minutes.
    add_events(s, people["lea"], [0, 10, 25, 60, 70, 100])
    add_events(s, people["leo"], [0])  # a lone visit: no time
    add_events(s, people["coach"], [0, 5, 10])  # coaches are not learners
    stats = stats_by_username(w)
    assert stats["lea"].seconds_spent == 35 * 60
    assert stats["lea"].first_access == T0
    assert stats["lea"].last_access == T0 + timedelta(minutes=100)
    assert stats["leo"].seconds_spent == 0 and stats["leo"].first_access == T0
    assert stats["max"].seconds_spent == 0 and stats["max"].first_access is None
    assert "cora" not in stats


def test_first_and_last_access_come_from_the_enrolment_too(people):
    w = build(people)
    enrolment = db.session.scalar(select(Enrolment).where(Enrolment.user_id == people["leo"].id))
    enrolment.first_access_at = T0 - timedelta(days=1)
    enrolment.last_access_at = T0 + timedelta(hours=2)
    db.session.commit()
    add_events(w["session"], people["leo"], [0, 10])
    stats = stats_by_username(w)["leo"]
    assert (stats.first_access, stats.last_access) == (enrolment.first_access_at,
                                                       enrolment.last_access_at)
    assert stats.seconds_spent == 600  # time spent comes from the events alone
    # A course coach's view covers events in their courses only.
    python_only = tracking_scope(db.session, w["session"].id, people["ted"].id, sees_all=False)
    assert stats_by_username(w, python_only)["leo"].first_access is None


@pytest.mark.parametrize(("gap_seconds", "counted"),
                         [(29 * 60 + 59, True), (30 * 60, False), (1, True), (0, True)])
def test_time_spent_boundary(people, gap_seconds, counted):
    w = build(people)
    s = w["session"]
    for at in (T0, T0 + timedelta(seconds=gap_seconds)):
        db.session.add(AccessEvent(user_id=people["lea"].id, session_id=s.id, at=at))
    db.session.commit()
    assert stats_by_username(w)["lea"].seconds_spent == (gap_seconds if counted else 0)


def test_time_spent_is_per_learner_and_ignores_other_sessions(people):
    w = build(people)
    other = make_session(people["coach"], name="Other")
    enrol(other, people["lea"])
    # Interleaved events of two learners do not join into one stretch.
    add_events(w["session"], people["lea"], [0, 20, 40])
    add_events(w["session"], people["leo"], [10, 30, 50])
    add_events(other, people["lea"], [5, 15, 25, 35])
    stats = stats_by_username(w)
    assert stats["lea"].seconds_spent == stats["leo"].seconds_spent == 40 * 60


@pytest.mark.parametrize(("seconds", "text"),
                         [(0, "0 min"), (59, "0 min"), (720, "12 min"), (3900, "1 h 05 min"),
                          (31 * 3600, "31 h 00 min")])
def test_duration_text(seconds, text):
    assert duration_text(seconds, came=True) == text


# --- the table --------------------------------------------------------------------


def test_table_shows_every_figure(client, people):
    w = build(people)
    s = w["session"]
    add_events(s, people["lea"], [0, 10], course=w["python"])
    add_events(s, people["lea"], [15], course=w["sql"])
    add_events(s, people["lea"], [20])
    hand_in(s, people["lea"], w["a1"], score=15)  # 75%
    hand_in(s, people["lea"], w["a2"], score=5)  # 50%
    hand_in(s, people["lea"], w["q1"])  # not graded
    client.login("cora")
    page = client.get_page(url(w))
    lea = rows(page)["lea"]
    # T0 = 24 Nov 12:00 UTC: 13:00 in Paris.
    assert lea["first-access"] == "24 Nov 2026 at 13:00"
    assert lea["last-access"] == "24 Nov 2026 at 13:20"
    assert lea["time-spent"] == "20 min"
    assert lea["courses-visited"] == "2 of 2"
    assert lea["handed-in"] == "3 of 3"
    assert lea["average-grade"] == "62.5%"  # one decimal, half up, as the CSV
    assert lea["progress"] == "100%"
    max_ = rows(page)["max"]
    assert (max_["first-access"], max_["time-spent"], max_["average-grade"],
            max_["progress"]) == ("—", "—", "—", "0%")
    assert page.select_one(".scope-text").text == "Figures for the whole session."


@pytest.mark.parametrize(
    ("sort", "direction", "order"),
    [
        ("name", "asc", ["max", "lea", "leo"]),  # Absent, Learner, Second
        ("name", "desc", ["leo", "lea", "max"]),
        ("time", "desc", ["leo", "lea", "max"]),
        ("time", "asc", ["max", "lea", "leo"]),
        ("first", "asc", ["leo", "lea", "max"]),  # never came: last either way
        ("first", "desc", ["lea", "leo", "max"]),
        ("last", "desc", ["lea", "leo", "max"]),
        ("handins", "desc", ["lea", "leo", "max"]),
        ("progress", "asc", ["max", "leo", "lea"]),
        ("grade", "desc", ["leo", "lea", "max"]),
        ("grade", "asc", ["lea", "leo", "max"]),
    ],
)
def test_table_sorts(client, people, sort, direction, order):
    w = build(people)
    s = w["session"]
    add_events(s, people["leo"], [0, 20, 40])  # 40 min, first at T0
    add_events(s, people["lea"], [60, 70], start=T0 + timedelta(days=1))  # 10 min, later
    hand_in(s, people["lea"], w["a1"], score=10)
    hand_in(s, people["lea"], w["a2"])
    hand_in(s, people["leo"], w["a1"], score=18)
    client.login("ada")
    page = client.get_page(url(w, f"?sort={sort}&dir={direction}"))
    assert list(rows(page)) == order
    th = page.select_one("th[aria-sort]")
    assert th["aria-sort"] == ("ascending" if direction == "asc" else "descending")


def test_search_by_name_or_username_with_htmx(client, people):
    w = build(people)
    client.login("cora")
    assert list(rows(client.get_page(url(w, "?q=second")))) == ["leo"]
    response = client.htmx_get(url(w, "?q=LEA"))
    body = response.get_data(as_text=True)
    assert "<html" not in body and "Daily active learners" not in body
    assert list(rows(BeautifulSoup(body, "html.parser"))) == ["lea"]
    assert "No learner matches “zz%”." in client.get_page(url(w, "?q=zz%25")).text
    search = client.get_page(url(w)).select_one("input#q")
    assert search["data-hx-get"] == url(w) and search["data-hx-push-url"] == "true"


def test_the_search_drops_control_characters_and_ignores_the_mail_domain(client, people):
    w = build(people)
    client.login("cora")
    assert list(rows(client.get_page(url(w, "?q=le%00o")))) == ["leo"]
    assert list(rows(client.get_page(url(w, "?q=example.org")))) == []
    assert TrackingFilters.from_args({"q": " \x00lea\x07 "}).q == "lea"


def test_the_table_has_the_columns_of_COLUMNS(client, people):
    w = build(people)
    client.login("cora")
    page = client.get_page(url(w))
    headings = [th.text.replace("▲", "").strip()
                for th in page.select(".tracking-table thead th")]
    assert headings == [column.label for column in COLUMNS]
    sortable = [th.a is not None for th in page.select(".tracking-table thead th")]
    assert sortable == [column.sort is not None for column in COLUMNS]
    first_row = page.select_one(".tracking-table tbody tr")
    assert [cell.get("class", ["learner"])[0] for cell in first_row.find_all(["th", "td"])] \
        == [column.cell for column in COLUMNS]


def test_table_is_paginated(client, people):
    w = build(people)
    add_many_learners(w, 60)
    client.login("cora")
    page = client.get_page(url(w, "?per_page=25&page=3"))
    assert len(rows(page)) == 13  # 63 learners
    assert page.select_one(".pagination a[aria-current=page]").text == "3"


# --- scope ------------------------------------------------------------------------


def test_course_coach_sees_only_their_courses(client, people):
    w = build(people)
    s = w["session"]
    add_events(s, people["lea"], [0, 10], course=w["python"])
    add_events(s, people["lea"], [15, 20], course=w["sql"])
    add_events(s, people["lea"], [22])  # session page: outside any course
    hand_in(s, people["lea"], w["a1"], score=10)
    hand_in(s, people["lea"], w["q1"], score=20)
    client.login("ted")
    page = client.get_page(url(w))
    assert page.select_one(".scope-text").text == (
        "Figures for the courses you coach: Python basics.")
    lea = rows(page)["lea"]
    assert lea["time-spent"] == "10 min"
    assert lea["last-access"] == "24 Nov 2026 at 13:10"
    assert lea["courses-visited"] == "1 of 1"
    assert lea["handed-in"] == "1 of 2"
    assert lea["average-grade"] == "50%"
    assert [a.text for a in page.select(".grading-links a")] == ["Grade: Python basics"]
    # Asking for the other course changes nothing.
    assert rows(client.get_page(url(w, f"?course={w['sql'].id}")))["lea"] == lea


def test_admin_can_narrow_to_one_course(client, people):
    w = build(people)
    s = w["session"]
    add_events(s, people["lea"], [0, 10], course=w["python"])
    add_events(s, people["lea"], [15, 20], course=w["sql"])
    hand_in(s, people["lea"], w["q1"], score=20)
    client.login("ada")
    page = client.get_page(url(w, f"?course={w['sql'].id}"))
    assert page.select_one(".scope-text").text == "Figures for the course SQL for analysts only."
    lea = rows(page)["lea"]
    assert (lea["time-spent"], lea["handed-in"], lea["average-grade"]) == (
        "5 min", "1 of 1", "100%")
    assert page.select_one("#course option[selected]")["value"] == str(w["sql"].id)


# --- who sees it ------------------------------------------------------------------


@pytest.mark.parametrize(("who", "status"), [("ada", 200), ("cora", 200), ("ted", 200),
                                             ("lea", 404), ("sam", 404)])
def test_who_may_see_tracking(client, people, who, status):
    w = build(people)
    client.login(who)
    assert client.get(url(w)).status_code == status
    assert client.get(url(w, ".csv")).status_code == status


@pytest.mark.parametrize(("window", "status"), [
    ({"starts_in": 10, "ends_in": 30}, 403),  # the coach window opens in 3 days
    ({"starts_in": -60, "ends_in": -20, "policy": "read_only"}, 200),
    ({"starts_in": -60, "ends_in": -20, "policy": "closed"}, 403),
])
def test_tracking_follows_the_coach_window(client, people, window, status):
    w = build(people, **window)
    client.login("cora")
    assert client.get(url(w)).status_code == status


# --- CSV export ---------------------------------------------------------------------


def read_csv(response) -> list[list[str]]:
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def test_csv_export_has_the_table(client, people):
    w = build(people)
    s = w["session"]
    add_events(s, people["lea"], [0, 10, 25], course=w["python"])
    hand_in(s, people["lea"], w["a1"], score=15)
    client.login("cora")
    link = client.get_page(url(w, "?sort=time&dir=desc&q=le")).select_one(".export-link")
    response = client.get(link["href"])
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    table = read_csv(response)
    assert table[0] == ["Name", "Username", "E-mail", "First access (Europe/Paris)",
                        "Last access (Europe/Paris)", "Time spent (minutes)",
                        "Courses visited", "Assignments handed in", "Average grade (%)",
                        "Progress (%)", "Access until", "Late hand-ins", "Suspended"]
    assert table[1] == ["Lea Learner", "lea", "lea@example.org", "2026-11-24 13:00",
                        "2026-11-24 13:25", "25", "1", "1", "75.0", "33.3", "Session dates",
                        "0", ""]
    assert [row[1] for row in table[1:]] == ["lea", "leo"]  # searched and sorted as shown


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_csv_export_neutralises_formulas(client, people, make_user, start):
    w = build(people)
    evil = make_user("eve", first_name=f"{start}HYPERLINK(\"http://x\")", last_name="")
    enrol(w["session"], evil)
    client.login("ada")
    table = read_csv(client.get(url(w, ".csv?q=eve")))
    assert table[1][0] == f"'{start}HYPERLINK(\"http://x\")"
    assert table[1][1] == "eve"


# --- fixed number of queries ----------------------------------------------------------


def add_many_learners(w, count, tag="bulk"):
    """``count`` learners with three access events, a graded and an ungraded hand-in."""
    session = w["session"]
    ids = helpers.bulk_learners(session, count, tag)
    db.session.execute(insert(AccessEvent), [
        {"session_id": session.id, "user_id": uid, "course_id": w["python"].id,
         "at": T0 + timedelta(minutes=m + i % 50)}
        for i, uid in enumerate(ids) for m in (0, 10, 45)])
    db.session.execute(insert(Submission), [
        {"session_id": session.id, "assignment_id": a.id, "user_id": uid, "answer": "x",
         "submitted_at": T0 + timedelta(hours=i % 30)}
        for i, uid in enumerate(ids) for a in (w["a1"], w["q1"])])
    graded = db.session.scalars(
        select(Submission.id).where(Submission.assignment_id == w["a1"].id,
                                    Submission.user_id.in_(ids)))
    db.session.execute(insert(Grade), [
        {"submission_id": sid, "score": (sid * 7) % 21, "feedback": "", "graded_at": NOW}
        for sid in graded])
    db.session.commit()


@pytest.mark.parametrize("tail", ["", "?sort=time&dir=desc", "?sort=grade&q=bulk&page=2",
                                  ".csv?sort=last"])
def test_tracking_costs_the_same_queries_for_10_and_500_learners(client, people,
                                                                 count_queries, tail):
    w = build(people)
    address = url(w, tail)
    client.login("ada")
    counts = []
    for total, tag in ((10, "small"), (500, "big")):
        enrolled = db.session.scalar(select(db.func.count()).select_from(Enrolment))
        add_many_learners(w, total - enrolled, tag)
        with count_queries() as counter:
            response = client.get(address)
        assert response.status_code == 200
        counts.append(counter.count)
    # Login, navigation, the gate; scope; count and page; three charts.
    assert counts[0] == counts[1] <= 9, counts
    if tail.startswith(".csv"):
        assert len(read_csv(response)) == 501
