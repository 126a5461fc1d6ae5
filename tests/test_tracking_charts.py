"""The tracking charts: geometry, daily series in the viewer's zone, grade buckets, and the
accessible SVG each renders, with data and with none."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from bs4 import BeautifulSoup

from portal.domain.charts import build_chart, nice_step
from portal.domain.tracking_charts import (
    chart_days,
    daily_active_learners,
    grade_distribution,
    hand_ins_per_day,
)
from portal.domain.tracking_table import tracking_scope
from portal.extensions import db
from portal.models import AccessEvent, Assignment, Grade, Submission
from tests.helpers import NOW, add_course, enrol, make_session

PARIS = ZoneInfo("Europe/Paris")

# --- geometry -----------------------------------------------------------------------


@pytest.mark.parametrize(("top", "step"), [(0, 1), (3, 1), (4, 1), (5, 2), (8, 2), (9, 5),
                                           (20, 5), (21, 10), (99, 50), (400, 100)])
def test_nice_step(top, step):
    assert nice_step(top) == step


def test_bars_are_proportional_and_sit_on_the_baseline():
    chart = build_chart("k", "Title", "Desc", ["a", "b", "c"], [0, 5, 10], unit="thing")
    a, b, c = chart.marks
    assert a.height == 0 and c.height == pytest.approx(2 * b.height, abs=0.2)
    assert all(m.y + m.height == pytest.approx(chart.baseline) for m in chart.marks)
    assert c.y == chart.top  # 10 is the top of the axis (steps of 5)
    assert [t.label for t in chart.y_ticks] == ["0", "5", "10"]
    assert c.text == "c: 10 things" and b.x < c.x
    assert chart.rows == [("a", 0), ("b", 5), ("c", 10)]
    assert not chart.empty


def test_line_chart_has_one_point_per_value_and_few_axis_labels():
    labels = [f"day {i}" for i in range(90)]
    chart = build_chart("k", "T", "D", labels, [i % 7 for i in range(90)], kind="line")
    assert len(chart.points.split()) == 90
    assert [t.label for t in chart.x_ticks] == ["day 0", "day 18", "day 36", "day 53",
                                                "day 71", "day 89"]


def test_all_zero_is_empty():
    assert build_chart("k", "T", "D", ["a"], [0]).empty
    assert build_chart("k", "T", "D", [], []).empty


# --- days in the viewer's zone ---------------------------------------------------------


def test_chart_days_are_clipped_to_the_last_90_days_up_to_today():
    now = datetime(2026, 11, 29, 12, tzinfo=UTC)
    days = chart_days(now - timedelta(days=200), now + timedelta(days=10), now, PARIS)
    assert len(days.days) == 90 and days.days[-1].isoformat() == "2026-11-29"
    assert len(days.bounds) == 91


def test_chart_days_end_with_the_access_window_and_need_a_start():
    now = datetime(2026, 11, 29, 12, tzinfo=UTC)
    days = chart_days(datetime(2026, 11, 1, 23, tzinfo=UTC), datetime(2026, 11, 10, 23, tzinfo=UTC),
                      now, PARIS)
    # 1 Nov 23:00 UTC is 2 Nov in Paris; an end at local midnight closes 10 Nov.
    assert (days.days[0].isoformat(), days.days[-1].isoformat()) == ("2026-11-02", "2026-11-10")
    assert chart_days(now + timedelta(days=1), None, now, PARIS) is None  # not started


def test_chart_days_follow_daylight_saving():
    now = datetime(2026, 10, 27, 12, tzinfo=UTC)
    days = chart_days(datetime(2026, 10, 24, tzinfo=UTC), None, now, PARIS)
    lengths = [(b - a).total_seconds() / 3600
               for a, b in zip(days.bounds, days.bounds[1:], strict=False)]
    assert dict(zip([d.isoformat() for d in days.days], lengths, strict=True)) == {
        "2026-10-24": 24, "2026-10-25": 25, "2026-10-26": 24, "2026-10-27": 24}


# --- series from the database ----------------------------------------------------------


@pytest.fixture
def world(make_user, frozen_now):
    coach = make_user("cora", role="teacher")
    learners = [make_user(name) for name in ("lea", "leo", "lou")]
    session = make_session(coach, starts_in=-10, ends_in=5)
    course = add_course(session, "PY101", "Python basics")
    assignment = Assignment(course_id=course.id, title="Work", max_score=20)
    db.session.add(assignment)
    db.session.commit()
    enrol(session, *learners)
    return {"session": session, "course": course, "assignment": assignment,
            "learners": learners, "coach": coach}


def scope_of(world):
    return tracking_scope(db.session, world["session"].id, 0, sees_all=True)


def test_daily_active_learners_counts_distinct_learners_per_local_day(world):
    lea, leo, _ = world["learners"]
    s = world["session"]
    moments = [
        (lea, datetime(2026, 11, 27, 9, tzinfo=UTC)),
        (lea, datetime(2026, 11, 27, 10, tzinfo=UTC)),  # same learner, same day
        (leo, datetime(2026, 11, 27, 22, 30, tzinfo=UTC)),  # 23:30 in Paris: the 27th
        (leo, datetime(2026, 11, 27, 23, 30, tzinfo=UTC)),  # 00:30 in Paris: the 28th
        (world["coach"], datetime(2026, 11, 28, 9, tzinfo=UTC)),  # not a learner
    ]
    db.session.add_all([AccessEvent(user_id=u.id, session_id=s.id, at=at) for u, at in moments])
    db.session.commit()
    days = chart_days(s.access_start, s.access_end, NOW, PARIS)
    counts = daily_active_learners(db.session, s.id, scope_of(world), days)
    series = dict(zip(days.days, counts, strict=True))
    assert {d.isoformat(): n for d, n in series.items() if n} == {
        "2026-11-27": 2, "2026-11-28": 1}


def test_hand_ins_per_day_and_grade_buckets(world):
    s, a = world["session"], world["assignment"]
    scores = {world["learners"][0]: 10, world["learners"][1]: 20, world["learners"][2]: None}
    for i, (learner, score) in enumerate(scores.items()):
        sub = Submission(session_id=s.id, assignment_id=a.id, user_id=learner.id, answer="x",
                         submitted_at=NOW - timedelta(days=i % 2))
        db.session.add(sub)
        db.session.flush()
        if score is not None:
            db.session.add(Grade(submission_id=sub.id, score=score, graded_at=NOW))
    db.session.commit()
    days = chart_days(s.access_start, s.access_end, NOW, PARIS)
    counts = hand_ins_per_day(db.session, s.id, scope_of(world), days)
    per_day = dict(zip(days.days, counts, strict=True))
    assert {d.isoformat(): n for d, n in per_day.items() if n} == {
        "2026-11-28": 1, "2026-11-29": 2}
    # 10/20 = exactly 50%: the 50–60% bucket; 20/20: the last one.
    assert grade_distribution(db.session, s.id, scope_of(world)) == [0, 0, 0, 0, 0, 1, 0, 0,
                                                                    0, 1]


@pytest.mark.parametrize(("score", "bucket"), [(0, 0), (1.99, 0), (2, 1), (17.99, 8),
                                               (18, 9), (19.5, 9)])
def test_grade_bucket_edges(world, score, bucket):
    s, a = world["session"], world["assignment"]
    sub = Submission(session_id=s.id, assignment_id=a.id, user_id=world["learners"][0].id,
                     answer="x", submitted_at=NOW)
    db.session.add(sub)
    db.session.flush()
    db.session.add(Grade(submission_id=sub.id, score=score, graded_at=NOW))
    db.session.commit()
    expected = [0] * 10
    expected[bucket] = 1
    assert grade_distribution(db.session, s.id, scope_of(world)) == expected


# --- rendered on the page ------------------------------------------------------------


def charts_of(client, world):
    """The charts as htmx loads them after the tracking page."""
    client.login("cora")
    page = client.get_page(f"/coach/sessions/{world['session'].id}/tracking")
    loader = page.select_one("#charts[hx-trigger=load]")
    response = client.htmx_get(loader["hx-get"])
    assert response.status_code == 200
    fragment = BeautifulSoup(response.data, "html.parser")
    return {fig["id"]: fig for fig in fragment.select("figure.chart")}


def test_the_page_comes_first_and_the_charts_follow(client, world):
    client.login("cora")
    page = client.get_page(f"/coach/sessions/{world['session'].id}/tracking")
    assert page.select("figure.chart") == []
    fallback = page.select_one("#charts a")
    assert fallback.text == "Show the charts"  # without JavaScript
    inline = client.get_page(fallback["href"])
    assert [f["id"] for f in inline.select("figure.chart")] == [
        "chart-active", "chart-handins", "chart-grades"]


def test_each_chart_says_no_data_yet_when_empty(client, world):
    figures = charts_of(client, world)
    assert list(figures) == ["chart-active", "chart-handins", "chart-grades"]
    for figure in figures.values():
        assert figure.select_one("svg") is None
        assert figure.select_one(".chart-empty").text == "No data yet."
        assert figure.figcaption.strong.text.endswith(".")
    assert "No learner visit is recorded" in figures["chart-active"].figcaption.text


def test_each_chart_renders_an_accessible_svg_with_data(client, world):
    s, a = world["session"], world["assignment"]
    lea, leo, _ = world["learners"]
    db.session.add_all([
        AccessEvent(user_id=lea.id, session_id=s.id, at=NOW - timedelta(days=2)),
        AccessEvent(user_id=leo.id, session_id=s.id, at=NOW - timedelta(days=2)),
        AccessEvent(user_id=leo.id, session_id=s.id, at=NOW - timedelta(days=1)),
    ])
    sub = Submission(session_id=s.id, assignment_id=a.id, user_id=lea.id, answer="x",
                     submitted_at=NOW - timedelta(days=1))
    db.session.add(sub)
    db.session.flush()
    db.session.add(Grade(submission_id=sub.id, score=17, graded_at=NOW))
    db.session.commit()
    figures = charts_of(client, world)
    for key, figure in figures.items():
        svg = figure.select_one("svg")
        assert svg["role"] == "img"
        title_id, desc_id = svg["aria-labelledby"].split()
        assert svg.select_one(f"title#{title_id}").text
        description = svg.select_one(f"desc#{desc_id}").text
        assert description and description in figure.figcaption.text
        assert figure.select_one("details table tbody tr"), key  # the numbers, as a table
        assert figure.select_one(".chart-empty") is None
    active = figures["chart-active"]
    assert active.select_one("polyline.chart-line")
    assert "the busiest day was 27 Nov 2026 with 2 learners" in active.select_one("desc").text
    # The access window so far: 19 Nov to 29 Nov.
    assert len(active.select("circle.chart-dot")) == 11
    handins = figures["chart-handins"]
    assert [r.title.text for r in handins.select("rect.chart-bar")] == [
        "28 Nov 2026: 1 hand-in"]
    grades = figures["chart-grades"]
    assert [r.title.text for r in grades.select("rect.chart-bar")] == ["80–90%: 1 grade"]
    assert "1 grade" in grades.select_one("desc").text


def test_no_inline_style_or_script_in_the_page(client, world):
    client.login("cora")
    response = client.get(f"/coach/sessions/{world['session'].id}/tracking")
    body = response.get_data(as_text=True)
    assert "style=" not in body and "<script>" not in body
