"""Small charts as pictures: geometry for server-rendered SVG bar and line charts.

Like portal/timeline.py, this only computes coordinates and words; the template
(templates/partials/_chart.html) draws them, with a title, a description and the
numbers as a table for people who do not see the picture.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from .language import gettext as _
from .language import number_text

# The picture is drawn narrow and its words large, in the picture's own units: it is
# scaled to the width of its column, so on a 390 px phone (about 350 px of picture) a
# label of FONT_LARGEST units is still about 13 px. static/css/charts.css sets the font
# size by the width of the chart's column (FONT in a wide one, up to FONT_LARGEST in a
# narrow one); the margins are laid out for the largest, so that no size clips a label.
WIDTH = 480
HEIGHT = 220
FONT = 13
FONT_LARGEST = 18
# Advance of a character, in em, on the wide side of common sans-serif fonts (DejaVu Sans
# is among the widest): enough to keep a label inside the picture in any of them.
CHAR_WIDTHS = {"digit": 0.64, "%": 0.96, " ": 0.32, "upper": 0.76, "other": 0.64}
GAP = 0.8  # the least space between two labels, in em
TICK_ROOM = 6  # between a value label and the axis
RIGHT = 8
TOP = 12  # half a value label stands above the top tick
BOTTOM = round(FONT_LARGEST * 1.7)  # one line of category labels under the baseline
LABEL_DROP = 6  # from the baseline to the top of the category labels' line
STEPS = (1, 2, 5)
MAX_TICKS = 5


def text_width(text: str, font: float = FONT_LARGEST) -> float:
    """An estimate (on the wide side) of how long ``text`` is drawn at ``font`` units."""
    def advance(char: str) -> float:
        if char.isdigit():
            return CHAR_WIDTHS["digit"]
        if char.isupper():
            return CHAR_WIDTHS["upper"]
        return CHAR_WIDTHS.get(char, CHAR_WIDTHS["other"])

    return sum(advance(char) for char in text) * font


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
    anchor: str = "middle"  # text-anchor: "end" for the value labels, left of the axis


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
    left: int = TICK_ROOM  # build_chart makes room for the widest value label
    right: int = WIDTH - RIGHT
    top: int = TOP
    baseline: int = HEIGHT - BOTTOM

    @property
    def category_label_y(self) -> int:
        """The category labels' line (they are drawn one em below it)."""
        return self.baseline + LABEL_DROP

    @property
    def value_label_x(self) -> int:
        """Where the value labels end, right-aligned, TICK_ROOM left of the axis."""
        return self.left - TICK_ROOM

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
    """English only: a chart of the portal passes ``count_text`` (ngettext) instead."""
    return f"{count} {unit}" if count == 1 else f"{count} {unit}s"


def _spread(count: int, shown: int) -> list[int]:
    """``shown`` indices out of ``count``, evenly spread, first and last included."""
    if shown >= count:
        return list(range(count))
    if shown <= 1:
        return [0]
    return sorted({round(i * (count - 1) / (shown - 1)) for i in range(shown)})


def _fitting(labels: list[str], room: float) -> int:
    """How many of ``labels`` fit side by side in ``room`` units at the largest size."""
    widest = max((text_width(label) for label in labels), default=0.0)
    gap = GAP * FONT_LARGEST
    return max(1, int((room + gap) // (widest + gap)))


def _inside(position: float, label: str) -> Tick:
    """A label centred on ``position``, moved in just enough to stay inside the picture."""
    half = text_width(label) / 2 + 1
    return Tick(round(min(max(position, half), WIDTH - half), 1), label)


def build_chart(key: str, title: str, description: str, labels: list[str], values: list[int],
                *, kind: str = "bar", unit: str = "item",
                count_text: Callable[[int], str] | None = None,
                columns: tuple[str, str] = ("", ""),
                axis_labels: list[str] | None = None, edge_labels: list[str] | None = None,
                max_axis_labels: int = 6) -> Chart:
    """Lay out ``values`` (counts, one per label) as bars or a line.

    A value is said in words by ``count_text`` ("12 learners", in the reader's
    language), else by ``unit`` with an English plural.
    ``labels`` name each value in tooltips and the data table; ``axis_labels``
    (default: ``labels``) are the shorter words under each value, or ``edge_labels``
    (one more than values) the words at the edges between them, as on a histogram.
    Of either, at most ``max_axis_labels`` are written, fewer if they would touch,
    evenly spread (the first and the last of ``axis_labels`` always).
    """
    if kind not in ("bar", "line"):
        raise ValueError(f"unknown chart kind {kind!r}")
    axis_labels = axis_labels or labels
    n = len(values)
    top_value = max(values, default=0)
    step = nice_step(top_value)
    y_max = step * max(1, -(-top_value // step))
    y_values = range(0, y_max + 1, step)
    value_labels = {v: number_text(v) for v in y_values}  # "1,000", "1 000"
    left = math.ceil(max(text_width(label) for label in value_labels.values())) + TICK_ROOM + 1
    baseline = HEIGHT - BOTTOM
    plot_height = baseline - TOP
    plot_width = WIDTH - RIGHT - left
    slot = plot_width / max(n, 1)

    def y_of(value: int) -> float:
        return round(baseline - value / y_max * plot_height, 1)

    marks = []
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        if kind == "bar":
            width = max(slot * 0.8, 1.0)
            x = left + i * slot + (slot - width) / 2
        else:
            width = 0.0
            x = left + i * slot + slot / 2
        y = y_of(value)
        marks.append(Mark(x=round(x, 1), y=y, width=round(width, 1),
                          height=round(baseline - y, 1), label=label, value=value,
                          text=_("%(label)s: %(count)s", label=label,
                                 count=count_text(value) if count_text else _plural(value, unit))))
    points = " ".join(f"{m.x},{m.y}" for m in marks) if kind == "line" else ""
    y_ticks = [Tick(y_of(v), value_labels[v], "end") for v in y_values]
    if edge_labels is not None:
        # Every k-th edge, so that the edges named are evenly spaced (0%, 20%, … 100%).
        fit = min(max_axis_labels, _fitting(edge_labels, WIDTH))
        every = max(1, -(-n // max(fit - 1, 1)))
        x_ticks = [_inside(left + i * slot, edge_labels[i]) for i in range(0, n + 1, every)]
    else:
        fit = min(max_axis_labels, _fitting(axis_labels, WIDTH - left))
        x_ticks = [_inside(left + i * slot + slot / 2, axis_labels[i]) for i in _spread(n, fit)]
    return Chart(
        key=key, title=title, description=description, kind=kind, marks=marks,
        y_ticks=y_ticks, x_ticks=x_ticks, points=points, columns=columns,
        rows=list(zip(labels, values, strict=True)), left=left, baseline=baseline,
    )
