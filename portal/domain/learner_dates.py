"""Individual dates and suspensions of learners: what an admin may set, and how it reads.

A learner may have, with a reason, either an extension ("+N days" on their access end, or
on their duration in duration mode) or an individual access window whose set bounds
replace the session's (``access.learner_window`` applies both). A suspended learner keeps
their work but opens nothing inside the session (``access.decide`` answers SUSPENDED).
The writes go through the enrolment write path: ``enrolment.change_learner_dates`` and
``enrolment.change_suspension``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from .access import LearnerFacts, SessionRules, WindowKind, learner_window, learner_window_kind
from .dates import days_text, format_bound
from .language import gettext as _

MAX_DAYS = 3650  # ten years: more is a typing mistake
MAX_REASON = 200

# What the admin chose in the form.
EXTEND, WINDOW, REMOVE = "extend", "window", "remove"
KINDS = (EXTEND, WINDOW, REMOVE)


class LearnerDatesError(ValueError):
    """Field name -> message, for the form to show next to each field."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(errors.values()))
        self.errors = errors


@dataclass(frozen=True)
class DatesChange:
    """The individual dates to give learners; all empty: remove them."""

    extension_days: int = 0
    own_start: datetime | None = None
    own_end: datetime | None = None
    reason: str | None = None

    @property
    def values(self) -> dict:
        """The enrolment's columns as this change sets them."""
        return {"extension_days": self.extension_days, "own_start": self.own_start,
                "own_end": self.own_end, "dates_reason": self.reason}


REMOVAL = DatesChange()


def check_reason(reason: str | None, field: str = "reason") -> str:
    """The reason, stripped; a missing or too long one is a field error."""
    reason = (reason or "").strip()
    if not reason:
        raise LearnerDatesError({field: _("Give a reason (it is shown with the dates).")})
    if len(reason) > MAX_REASON:
        raise LearnerDatesError({field: _("Keep the reason to %(max)s characters (it has "
                                          "%(count)s).", max=MAX_REASON, count=len(reason))})
    return reason


def dates_change(kind: str, *, days: int | None = None, start: datetime | None = None,
                 end: datetime | None = None, reason: str | None = None) -> DatesChange:
    """Check what the form gave (numbers and moments already parsed) and return the
    change; raises LearnerDatesError with a message per field."""
    if kind == REMOVE:
        return REMOVAL
    if kind not in KINDS:
        raise LearnerDatesError({"kind": _("Choose an extension, an individual window or "
                                             "removal.")})
    errors: dict[str, str] = {}
    if kind == EXTEND:
        if days is None:
            errors["days"] = _("Give the number of days to add, for example 5.")
        elif not 1 <= days <= MAX_DAYS:
            errors["days"] = _("Give a number of days from 1 to %(max)s.", max=MAX_DAYS)
    else:
        if start is None and end is None:
            errors["start"] = _("Give a start, an end, or both.")
        elif start is not None and end is not None and end <= start:
            errors["end"] = _("The end must be after the start.")
    try:
        reason = check_reason(reason)
    except LearnerDatesError as error:
        errors.update(error.errors)
    if errors:
        raise LearnerDatesError(errors)
    if kind == EXTEND:
        return DatesChange(extension_days=days, reason=reason)
    return DatesChange(own_start=start, own_end=end, reason=reason)



def dates_words(rules: SessionRules, facts: LearnerFacts, reason: str | None, now: datetime,
                tz: ZoneInfo) -> str:
    """The learner's individual dates in plain words, '' when they have none:
    'until 20 Jul 2027 — extended by 5 days: medical leave',
    'from 3 Jan 2027 until 20 Jul 2027 — individual dates: works nights'."""
    kind = learner_window_kind(rules, facts)
    if kind is WindowKind.INDIVIDUAL:
        window = learner_window(rules, facts, now)
        start = format_bound(window.start, tz, is_end=False) if window.start else None
        end = format_bound(window.end, tz, is_end=True) if window.end else None
        if start and end:
            bounds = _("from %(start)s until %(end)s", start=start, end=end)
        elif start:
            bounds = _("from %(start)s", start=start)
        elif end:
            bounds = _("until %(end)s", end=end)
        else:
            bounds = _("no dates")
        return (_("%(bounds)s — individual dates: %(reason)s", bounds=bounds, reason=reason)
                if reason else _("%(bounds)s — individual dates", bounds=bounds))
    if not facts.extension_days:
        return ""
    days = days_text(facts.extension_days)
    extended = (_("extended by %(days)s: %(reason)s", days=days, reason=reason) if reason
                else _("extended by %(days)s", days=days))
    if kind is WindowKind.DURATION:
        if facts.first_access_at is None:
            return _("%(days)s from the first visit — %(extended)s",
                     days=days_text(rules.duration_days + facts.extension_days),
                     extended=extended)
        window = learner_window(rules, facts, now)
        return _("until %(end)s — %(extended)s", end=format_bound(window.end, tz, is_end=True),
                 extended=extended)
    if kind is WindowKind.EXTENDED:
        window = learner_window(rules, facts, now)
        return _("until %(end)s — %(extended)s", end=format_bound(window.end, tz, is_end=True),
                 extended=extended)
    return _("%(extended)s (the session has no end date, so it changes nothing)",
             extended=extended)


def suspension_words(reason: str | None) -> str:
    """'Suspended: unpaid fees'."""
    return _("Suspended: %(reason)s", reason=reason) if reason else _("Suspended")
