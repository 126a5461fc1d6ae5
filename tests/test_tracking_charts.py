"""The tracking charts: geometry, daily series in the viewer's zone, grade buckets, and the
accessible SVG each renders, with data and with none."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from bs4 import BeautifulSoup

from portal.domain.charts import FONT_LARGEST, build_chart, nice_step, text_width
from portal.domain.tracking_charts import (
    _describe_active,
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
    # As many as fit apart at the largest font size, evenly spread, first and last included.
    assert [t.label for t in chart.x_ticks] == ["day 0", "day 18", "day 36", "day 53",
                                                "day 71", "day 89"]


def label_extent(tick, font=FONT_LARGEST):
    """Where a label's text spans, from its anchor and an estimate of its width."""
    width = text_width(tick.label, font)
    start = {"start": tick.position, "middle": tick.position - width / 2,
             "end": tick.position - width}[tick.anchor]
    return start, start + width


@pytest.mark.parametrize("n_days", [1, 2, 5, 11, 12, 23, 31, 90])
def test_day_labels_stay_inside_the_picture_and_apart(n_days):
    first = datetime(2026, 11, 1, tzinfo=UTC).date()
    days = [first + timedelta(days=i) for i in range(n_days)]
    labels = [f"{d.day} {d.strftime('%b')}" for d in days]  # "1 Dec": the clipped one
    chart = build_chart("k", "T", "D", labels, [1] * n_days, kind="line")
    extents = [label_extent(t) for t in chart.x_ticks]
    assert extents[0][0] >= 0 and extents[-1][1] <= chart.width
    assert all(a[1] < b[0] for a, b in zip(extents, extents[1:], strict=False))
    assert chart.x_ticks[0].label == labels[0]
    assert chart.x_ticks[-1].label == labels[-1]


@pytest.mark.parametrize("top", [3, 40, 950, 12000])
def test_value_labels_fit_left_of_the_axis(top):
    chart = build_chart("k", "T", "D", ["a", "b"], [0, top])
    for tick in chart.y_ticks:  # drawn right-aligned, left of the axis
        assert tick.anchor == "end" and chart.value_label_x < chart.left
        assert chart.value_label_x - text_width(tick.label) >= 0


def test_grade_axis_names_the_bucket_edges():
    labels = [f"{10 * k}–{10 * k + 10}%" for k in range(10)]
    edges = [f"{10 * k}%" for k in range(11)]
    chart = build_chart("g", "T", "D", labels, [1] * 10, edge_labels=edges)
    assert [t.label for t in chart.x_ticks] == ["0%", "20%", "40%", "60%", "80%", "100%"]
    assert chart.x_ticks[0].position == pytest.approx(chart.left, abs=20)
    extents = [label_extent(t) for t in chart.x_ticks]
    assert extents[0][0] >= 0 and extents[-1][1] <= chart.width
    assert all(a[1] < b[0] for a, b in zip(extents, extents[1:], strict=False))


def test_labels_are_large_in_the_picture_so_they_stay_readable_when_it_shrinks():
    # The picture is drawn narrow; on a 390 px phone it is about 350 px wide, where the
    # phone size of the labels is still 12 px or more.
    assert FONT_LARGEST * 350 / build_chart("k", "T", "D", ["a"], [1]).width >= 12


@pytest.mark.parametrize(("values", "average"), [
    ([1] + [0] * 89, "less than 1 a day on average"),
    ([3, 0, 0, 1], "1 a day on average"),
    ([3, 2, 0, 1], "1.5 a day on average"),
    ([30, 20], "25 a day on average"),
])
def test_the_daily_average_is_never_shown_as_zero(values, average):
    first = datetime(2026, 11, 1, tzinfo=UTC).date()
    days = [first + timedelta(days=i) for i in range(len(values))]
    text = _describe_active(days, values)
    assert text.endswith(average + ".")
    assert "0.0" not in text


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
    loader = page.select_one("#charts[data-hx-trigger=load]")
    response = client.htmx_get(loader["data-hx-get"])
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


def test_each_chart_has_its_title_above_it_and_one_empty_state(client, world):
    figures = charts_of(client, world)
    assert list(figures) == ["chart-active", "chart-handins", "chart-grades"]
    empty_states = {
        "chart-active": "No learner visit is recorded for these days.",
        "chart-handins": "Nothing has been handed in yet.",
        "chart-grades": "No work has been graded yet.",
    }
    for key, figure in figures.items():
        first, *rest = figure.find_all(recursive=False)
        assert first.name == "figcaption"  # the title comes before what it names
        assert first.select_one("h3").text in {"Daily active learners", "Hand-ins per day",
                                               "Distribution of grades"}
        assert figure.select_one("svg") is None
        # One empty state, saying what is missing, said once.
        assert [p.text for p in figure.select(".chart-empty")] == [empty_states[key]]
        assert empty_states[key] not in first.text
        assert "No data yet" not in figure.text


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
    # The axis words are not drawn with the line's stroke: no ancestor carries its class.
    for label in active.select("text.chart-axis"):
        assert not [p for p in label.parents if "chart-line" in (p.get("class") or [])]
    assert "the busiest day was 27 Nov 2026 with 2 learners" in active.select_one("desc").text
    # The access window so far: 19 Nov to 29 Nov.
    assert len(active.select("circle.chart-dot")) == 11
    handins = figures["chart-handins"]
    assert [r.title.text for r in handins.select("rect.chart-bar")] == [
        "28 Nov 2026: 1 hand-in"]
    grades = figures["chart-grades"]
    assert [r.title.text for r in grades.select("rect.chart-bar")] == ["80–90%: 1 grade"]
    assert "1 grade" in grades.select_one("desc").text


def test_only_the_chart_without_data_shows_an_empty_state(client, world):
    s, a = world["session"], world["assignment"]
    lea = world["learners"][0]
    db.session.add(Submission(session_id=s.id, assignment_id=a.id, user_id=lea.id, answer="x",
                              submitted_at=NOW - timedelta(days=1)))
    db.session.commit()
    figures = charts_of(client, world)
    assert figures["chart-handins"].select_one("svg") is not None
    assert figures["chart-handins"].select(".chart-empty") == []
    assert [p.text for p in figures["chart-active"].select(".chart-empty")] == [
        "No learner visit is recorded for these days."]
    assert figures["chart-active"].select_one("svg") is None


def test_no_inline_style_or_script_in_the_page(client, world):
    client.login("cora")
    response = client.get(f"/coach/sessions/{world['session'].id}/tracking")
    body = response.get_data(as_text=True)
    assert "style=" not in body and "<script>" not in body
