"""How each kind of figure is rounded and written, once, for pages, exports and e-mails.

A value is rounded here (``share``: a percentage to one decimal, half up, as people
round), then written either for a person (``share_text``: "82.5 %", "—" for none) or for
a file (the rounded number itself, which the CSV writes with the reader's decimal mark and
the workbook keeps as a number; an empty cell for none). So a page and its download never
disagree on a figure: both come from the same rounded value.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from .language import gettext as _
from .language import number_text, percent_text

NONE_SHOWN = "—"  # a figure that does not exist (no grade yet, never came)
_TENTH = Decimal("0.1")


def share(percent: float | Decimal | None) -> Decimal | None:
    """A percentage (0–100) to one decimal, half up: 82.45 → 82.5, 67.5 → 67.5."""
    if percent is None:
        return None
    return Decimal(str(percent)).quantize(_TENTH, rounding=ROUND_HALF_UP)


def share_text(percent: float | Decimal | None) -> str:
    """The percentage as a person reads it: "82.5 %" / "82,5 %", "80 %", "—"."""
    value = share(percent)
    if value is None:
        return NONE_SHOWN
    return percent_text(value / 100, decimals=0 if value == value.to_integral() else 1)


def minutes_spent(seconds: int, came: bool) -> int | None:
    """Whole minutes spent, None for someone who never came (not 0: they spent nothing
    because they were never there)."""
    return int(seconds) // 60 if came else None


def duration_text(seconds: int, came: bool) -> str:
    """'12 min', '1 h 05 min', '—' for someone who never came."""
    minutes = minutes_spent(seconds, came)
    if minutes is None:
        return NONE_SHOWN
    if minutes < 60:
        return _("%(minutes)s min", minutes=number_text(minutes))
    hours, minutes = divmod(minutes, 60)
    return _("%(hours)s h %(minutes)s min", hours=number_text(hours),
             minutes=str(minutes).zfill(2))


def file_value(value):
    """A figure as a download's cell: the number itself, or an empty cell for none."""
    return "" if value is None else value
