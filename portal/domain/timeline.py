"""The three windows of a session as a picture: geometry for an SVG timeline."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from .dates import format_local, shifted

WIDTH = 640
LABEL_WIDTH = 120
ROW_HEIGHT = 28
TOP = 24


@dataclass(frozen=True)
class Bar:
    label: str
    css: str
    x: float
    width: float
    y: float
    open_start: bool  # drawn to the left edge: no start
    open_end: bool  # drawn to the right edge: no end
    text: str  # the window in words, for the text alternative


@dataclass(frozen=True)
class Timeline:
    bars: list[Bar]
    today_x: float | None
    first_label: str
    last_label: str
    height: float
    description: str
    width: int = WIDTH
    label_width: int = LABEL_WIDTH


def _window_text(start, end, tz) -> str:
    if start is None and end is None:
        return "always"
    if start is None:
        return f"until {format_local(end, tz)}"
    if end is None:
        return f"from {format_local(start, tz)}, no end"
    return f"{format_local(start, tz)} to {format_local(end, tz)}"


def build_timeline(windows: dict[str, tuple[datetime | None, datetime | None]], now: datetime,
                   tz: ZoneInfo) -> Timeline:
    """Lay out ``windows`` ({"Display": (start, end), ...}) on one time axis with ``now``.
    Any datetime Python holds can be drawn: the margins stop at its limits."""
    moments = [m for pair in windows.values() for m in pair if m is not None] + [now]
    low, high = min(moments), max(moments)
    margin = max(high - low, timedelta(days=1)) * 0.08
    low, high = shifted(low, -margin), shifted(high, margin)
    plot = WIDTH - LABEL_WIDTH - 10

    def x_of(moment: datetime) -> float:
        return round(LABEL_WIDTH + (moment - low) / (high - low) * plot, 1)

    bars = []
    for i, (label, (start, end)) in enumerate(windows.items()):
        x1 = x_of(start) if start else LABEL_WIDTH
        x2 = x_of(end) if end else LABEL_WIDTH + plot
        bars.append(Bar(
            label=label,
            css=label.lower().split()[0],
            x=x1,
            width=max(x2 - x1, 2),
            y=TOP + i * ROW_HEIGHT,
            open_start=start is None,
            open_end=end is None,
            text=_window_text(start, end, tz),
        ))
    description = "; ".join(f"{b.label}: {b.text}" for b in bars)
    description += f". Today is {format_local(now, tz)}."
    return Timeline(
        bars=bars,
        today_x=x_of(now),
        first_label=format_local(low, tz, with_time=False),
        last_label=format_local(high, tz, with_time=False),
        height=TOP + len(bars) * ROW_HEIGHT + 22,
        description=description,
    )


def session_timeline(session, now: datetime, tz: ZoneInfo) -> Timeline:
    """The timeline of a saved session (or of anything with the six window attributes)."""
    coach_start, coach_end = session.coach_start, session.coach_end
    coach_label = "Coach access"
    if coach_start is None and coach_end is None:
        coach_start, coach_end = session.access_start, session.access_end
        coach_label = "Coach access (as access)"
    return build_timeline(
        {
            "Display": (session.display_start, session.display_end),
            "Access": (session.access_start, session.access_end),
            coach_label: (coach_start, coach_end),
        },
        now,
        tz,
    )
