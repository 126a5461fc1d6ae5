"""The three windows of a session as a picture: geometry for an SVG timeline."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from .dates import bound_day, day_text, format_local, shifted, to_local, window_words
from .language import gettext as _

WIDTH = 640
ROW_HEIGHT = 28
TOP = 24
RIGHT_MARGIN = 10
# Room for a label line at the SVG's 11px font: a generous character width, so that no
# label runs into the bars whatever sans-serif font the browser picks.
CHAR_WIDTH = 7
MIN_LABEL_WIDTH = 72
AXIS_CHAR_WIDTH = 6.5


@dataclass(frozen=True)
class Bar:
    label: str
    lines: tuple[str, ...]  # the label as drawn: a long one on two lines
    css: str
    x: float
    width: float
    y: float
    open_start: bool  # drawn to the left edge: no start
    open_end: bool  # drawn to the right edge: no end
    text: str  # the window in words, for the text alternative


@dataclass(frozen=True)
class AxisLabel:
    x: float
    text: str
    anchor: str  # SVG text-anchor: start, middle or end


@dataclass(frozen=True)
class Timeline:
    bars: list[Bar]
    today_x: float | None
    axis: list[AxisLabel]
    height: float
    description: str
    width: int = WIDTH
    label_width: int = MIN_LABEL_WIDTH


def label_lines(label: str) -> tuple[str, ...]:
    """'Coach access (as access)' -> ('Coach access', '(as access)'): the remark in
    brackets goes on its own line so the label column stays narrow."""
    head, bracket, rest = label.partition(" (")
    return (head, bracket.strip() + rest) if bracket else (label,)


def bar_text(label: str, words: str) -> str:
    """'Access: from 3 Dec 2026': a window's name and its dates."""
    return _("%(window)s: %(dates)s", window=label, dates=words)


def build_timeline(windows: dict[str, tuple[datetime | None, datetime | None]], now: datetime,
                   tz: ZoneInfo, css: dict[str, str] | None = None) -> Timeline:
    """Lay out ``windows`` ({"Display": (start, end), ...}) on one time axis with ``now``.
    The axis names the earliest and the latest date drawn, under their place; with no
    date at all it says so. Any datetime Python holds can be drawn: the margins stop at
    its limits. ``css``: label -> the bar's class (display, access, coach), for labels
    in another language; by default the label's first word."""
    bounds = [(m, is_end) for pair in windows.values()
              for m, is_end in zip(pair, (False, True), strict=True) if m is not None]
    moments = [m for m, _is_end in bounds] + [now]
    low, high = min(moments), max(moments)
    margin = max(high - low, timedelta(days=1)) * 0.08
    axis_low, axis_high = shifted(low, -margin), shifted(high, margin)
    lines = {label: label_lines(label) for label in windows}
    label_width = max([MIN_LABEL_WIDTH] + [len(line) * CHAR_WIDTH + 12
                                           for parts in lines.values() for line in parts])
    plot = WIDTH - label_width - RIGHT_MARGIN

    def x_of(moment: datetime) -> float:
        return round(label_width + (moment - axis_low) / (axis_high - axis_low) * plot, 1)

    bars = []
    for i, (label, (start, end)) in enumerate(windows.items()):
        x1 = x_of(start) if start else label_width
        x2 = x_of(end) if end else label_width + plot
        bars.append(Bar(
            label=label,
            lines=lines[label],
            css=(css or {}).get(label) or label.lower().split()[0],
            x=x1,
            width=max(x2 - x1, 2),
            y=TOP + i * ROW_HEIGHT,
            open_start=start is None,
            open_end=end is None,
            text=window_words(start, end, tz),
        ))
    description = _("%(windows)s. Today is %(today)s.",
                    windows="; ".join(bar_text(b.label, b.text) for b in bars),
                    today=format_local(now, tz))
    return Timeline(
        bars=bars,
        today_x=x_of(now),
        axis=_axis(bounds, now, tz, x_of, label_width + plot / 2),
        height=TOP + len(bars) * ROW_HEIGHT + 22,
        description=description,
        label_width=label_width,
    )


def _axis(bounds, now, tz, x_of, middle: float) -> list[AxisLabel]:
    """The first and last day on the axis, each under its place, named as the bounds
    read elsewhere (an end at midnight is its last day); one label when they are the
    same day, a note when no window has a date."""
    if not bounds:
        return [AxisLabel(middle, _("No dates: every window is always open"), "middle")]
    days = [(m, bound_day(m, tz, is_end=is_end) or to_local(m, tz).date())
            for m, is_end in bounds]
    days.append((now, to_local(now, tz).date()))
    first, last = min(days, key=lambda d: d[0]), max(days, key=lambda d: d[0])
    labels = [first] if first[1] == last[1] else [first, last]
    return [_placed(x_of(moment), day_text(day)) for moment, day in labels]


def _placed(x: float, text: str) -> AxisLabel:
    """A label centred under ``x``, or held at an edge of the picture, never cut."""
    half = len(text) * AXIS_CHAR_WIDTH / 2
    if x - half < 2:
        return AxisLabel(2, text, "start")
    if x + half > WIDTH - 2:
        return AxisLabel(WIDTH - 2, text, "end")
    return AxisLabel(x, text, "middle")


def session_timeline(session, now: datetime, tz: ZoneInfo) -> Timeline:
    """The timeline of a saved session (or of anything with the six window attributes)."""
    coach_start, coach_end = session.coach_start, session.coach_end
    coach_label = _("Coach access")
    if coach_start is None and coach_end is None:
        coach_start, coach_end = session.access_start, session.access_end
        coach_label = _("Coach access (as access)")
    display_label, access_label = _("Display"), _("Access")
    return build_timeline(
        {
            display_label: (session.display_start, session.display_end),
            access_label: (session.access_start, session.access_end),
            coach_label: (coach_start, coach_end),
        },
        now,
        tz,
        css={display_label: "display", access_label: "access", coach_label: "coach"},
    )
