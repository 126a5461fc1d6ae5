"""The tracking page of a demo session, as a coach sees it on a laptop and on a phone:
every chart titled above its picture, labels readable and inside it, the table's last
column in view."""

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from portal.extensions import db
from portal.models import TrainingSession
from portal.tools.demo import DEMO_LOGINS, load_demo
from tests.e2e.conftest import check_accessibility, login

SESSION = "Leading Remote Teams — Autumn"


@pytest.fixture
def tracking_url(seed):
    def demo():
        load_demo(db.session)
        return db.session.scalar(select(TrainingSession.id).where(TrainingSession.name == SESSION))

    return f"/coach/sessions/{seed(demo)}/tracking"


CHART_GEOMETRY = """() => [...document.querySelectorAll('figure.chart')].map(figure => {
  const caption = figure.querySelector('figcaption').getBoundingClientRect();
  const svg = figure.querySelector('svg');
  const box = svg.getBoundingClientRect();
  const labels = [...svg.querySelectorAll('text.chart-axis')].map(t => {
    const r = t.getBoundingClientRect();
    const style = getComputedStyle(t);
    return {left: r.left, right: r.right, height: r.height, stroke: style.stroke,
            fontSize: parseFloat(style.fontSize) * box.width / svg.viewBox.baseVal.width};
  });
  return {id: figure.id, captionBottom: caption.bottom, svgTop: box.top,
          svgLeft: box.left, svgRight: box.right, labels};
})"""


@pytest.mark.parametrize("width", [1280, 390])
def test_demo_tracking_reads_well_on_a_laptop_and_a_phone(page, tracking_url, width):
    page.set_viewport_size({"width": width, "height": 900})
    login(page, "coach", dict((u, p) for _, u, p in DEMO_LOGINS)["coach"])
    page.goto(tracking_url)
    expect(page.locator("figure.chart svg")).to_have_count(3)  # loaded by htmx, all with data

    for chart in page.evaluate(CHART_GEOMETRY):
        assert chart["captionBottom"] <= chart["svgTop"], chart["id"]  # the title is above
        assert chart["labels"], chart["id"]
        for label in chart["labels"]:
            assert label["stroke"] == "none"  # not drawn with the line's stroke
            assert label["fontSize"] >= 12, (chart["id"], label)  # readable on the screen
            # Inside the picture, not clipped by its edges.
            assert chart["svgLeft"] - 1 <= label["left"] and label["right"] <= \
                chart["svgRight"] + 1, (chart["id"], label)

    assert page.evaluate("document.documentElement.scrollWidth") <= width
    wrap = page.locator(".table-wrap")
    progress = page.locator(".tracking-table thead th").last
    expect(progress).to_have_text("Access until")
    if width >= 1280:
        # The whole table fits: its last column is in view without scrolling.
        assert wrap.evaluate("w => w.scrollWidth <= w.clientWidth")
        assert progress.bounding_box()["x"] + progress.bounding_box()["width"] <= \
            wrap.bounding_box()["x"] + wrap.bounding_box()["width"] + 1
    else:
        # It scrolls in its own frame, the learner's name staying in view.
        wrap.evaluate("w => { w.scrollLeft = w.scrollWidth; }")
        name = page.locator(".tracking-table tbody th[scope=row]").first
        assert name.bounding_box()["x"] >= wrap.bounding_box()["x"] - 1
        progress_box = progress.bounding_box()
        assert progress_box["x"] + progress_box["width"] <= width
    check_accessibility(page, f"demo-tracking-{width}")
    assert page.problems == []
