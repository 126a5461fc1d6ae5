"""Small charts as pictures: geometry for server-rendered SVG bar and line charts.

Like portal/timeline.py, this only computes coordinates and words; the template
(templates/partials/_chart.html) draws them, with a title, a description and the
numbers as a table for people who do not see the picture.
"""

from __future__ import annotations

from dataclasses import dataclass

WIDTH = 640
HEIGHT = 200
LEFT = 40  # room for the value axis labels
RIGHT = 10
TOP = 12
BOTTOM = 28  # room for the category labels
STEPS = (1, 2, 5)
MAX_TICKS = 5
LABEL_ROOM = 48  # a slot narrower than this cannot centre its label at the edges


@dataclass(frozen=True)
class Mark:
    """One value: a bar (x, y, width, height) or a point of a line (cx, cy in x, y)."""

    x: float
    y: float
    width: float
    height: float
    label: str
    value: int
    text: str  # "3 Oct 2026: 12 learners", the mark's tooltip


@dataclass(frozen=True)
class Tick:
    position: float
    label: str
    anchor: str = "middle"  # text-anchor: the first and last labels stay inside the picture


@dataclass(frozen=True)
class Chart:
    key: str  # unique on the page: ids of the title and description
    title: str
    description: str
    kind: str  # "bar" or "line"
    marks: list[Mark]
    y_ticks: list[Tick]
    x_ticks: list[Tick]
    points: str  # the polyline of a line chart
    columns: tuple[str, str]  # headings of the data table
    rows: list[tuple[str, int]]  # the data table
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    right: int = WIDTH - RIGHT
    top: int = TOP
    baseline: int = HEIGHT - BOTTOM

    @property
    def empty(self) -> bool:
        return not any(mark.value for mark in self.marks)


def nice_step(top: int) -> int:
    """The smallest 1-2-5 step that reaches ``top`` in MAX_TICKS - 1 steps (at least 1)."""
    scale = 1
    while True:
        for step in STEPS:
            if step * scale * (MAX_TICKS - 1) >= top:
                return step * scale
        scale *= 10


def _plural(count: int, unit: str) -> str:
    return f"{count} {unit}" if count == 1 else f"{count} {unit}s"


def build_chart(key: str, title: str, description: str, labels: list[str], values: list[int],
                *, kind: str = "bar", unit: str = "item", columns: tuple[str, str] = ("", ""),
                axis_labels: list[str] | None = None, max_axis_labels: int = 6) -> Chart:
    """Lay out ``values`` (counts, one per label) as bars or a line.

    ``labels`` name each value in tooltips and the data table; ``axis_labels``
    (default: ``labels``) are the shorter words under the axis, of which at most
    ``max_axis_labels``, evenly spread, are written.
    """
    if kind not in ("bar", "line"):
        raise ValueError(f"unknown chart kind {kind!r}")
    axis_labels = axis_labels or labels
    n = len(values)
    top_value = max(values, default=0)
    step = nice_step(top_value)
    y_max = step * max(1, -(-top_value // step))
    baseline = HEIGHT - BOTTOM
    plot_height = baseline - TOP
    slot = (WIDTH - RIGHT - LEFT) / max(n, 1)

    def y_of(value: int) -> float:
        return round(baseline - value / y_max * plot_height, 1)

    marks = []
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        if kind == "bar":
            width = max(slot * 0.8, 1.0)
            x = LEFT + i * slot + (slot - width) / 2
        else:
            width = 0.0
            x = LEFT + i * slot + slot / 2
        y = y_of(value)
        marks.append(Mark(x=round(x, 1), y=y, width=round(width, 1),
                          height=round(baseline - y, 1), label=label, value=value,
                          text=f"{label}: {_plural(value, unit)}"))
    points = " ".join(f"{m.x},{m.y}" for m in marks) if kind == "line" else ""
    y_ticks = [Tick(y_of(v), str(v)) for v in range(0, y_max + 1, step)]
    if n <= max_axis_labels:
        shown = list(range(n))
    else:
        shown = sorted({round(i * (n - 1) / (max_axis_labels - 1))
                        for i in range(max_axis_labels)})
    x_ticks = []
    for i in shown:
        position, anchor = LEFT + i * slot + slot / 2, "middle"
        if slot < LABEL_ROOM and i == 0:
            position, anchor = LEFT + i * slot, "start"
        elif slot < LABEL_ROOM and i == n - 1:
            position, anchor = LEFT + (i + 1) * slot, "end"
        x_ticks.append(Tick(round(position, 1), axis_labels[i], anchor))
    return Chart(
        key=key, title=title, description=description, kind=kind, marks=marks,
        y_ticks=y_ticks, x_ticks=x_ticks, points=points, columns=columns,
        rows=list(zip(labels, values, strict=True)),
    )
