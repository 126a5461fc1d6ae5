"""The forms of individual dates and suspensions, and the learners each one acts on.

The forms only read what was typed (numbers and dates, in the admin's zone, every
unreadable text a field message); the rules are ``domain.learner_dates``.
"""

import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from flask_wtf import FlaskForm
from wtforms import RadioField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.widgets import NumberInput

from ..domain.dates import DateInputError, input_value, parse_local
from ..domain.language import lazy_gettext as _l
from ..domain.language import ngettext
from ..domain.learner_dates import (
    EXTEND,
    MAX_DAYS,
    MAX_REASON,
    REMOVE,
    WINDOW,
    DatesChange,
    LearnerDatesError,
    check_reason,
    dates_change,
)
from ..domain.session_form import DATE_MAX, too_long
from ..models import Enrolment

NOT_A_NUMBER = _l("Write a whole number of days, for example 5.")
# The hint under the individual dates, for the zone ``zone``: DATE_HINT % {"zone": ...}
# after translation (see portal/admin/learner_dates.py).
DATE_HINT = _l("For an individual window: a date (2027-03-31) or a date and time (2027-03-31 "
               "14:30), in %(zone)s. An end date alone includes that whole day. Leave one "
               "empty to keep the session's.", zone="%(zone)s")
NOTHING_TICKED = _l("Tick one or more learners in the list first.")
_WHOLE_NUMBER = re.compile(r"[+-]?\d{1,9}", re.ASCII)


class DatesForm(FlaskForm):
    # The limits repeat the rules' for the browser; domain.learner_dates checks them.
    kind = RadioField(_l("What to do"), validate_choice=False, default=EXTEND, choices=[
        SelectChoice(EXTEND, _l("Add days to the access end")),
        SelectChoice(WINDOW, _l("Individual access window")),
        SelectChoice(REMOVE, _l("Remove the individual dates (the session's dates apply)")),
    ])
    days = StringField(_l("Days to add"), widget=NumberInput(),
                       render_kw={"min": 1, "max": MAX_DAYS},
                       description=_l("To add days: from 1 to %(max)s.", max=MAX_DAYS))
    start = StringField(_l("Individual start"), render_kw={"maxlength": DATE_MAX})
    end = StringField(_l("Individual end"), render_kw={"maxlength": DATE_MAX})
    reason = StringField(_l("Reason"), render_kw={"maxlength": MAX_REASON},
                         description=_l("Shown with the dates; not needed to remove them."))

    def for_session(self, key: str, duration_mode: bool) -> "DatesForm":
        """Give the inputs ids unique on the page (``key``: the form's id) and word the
        extension for the session: in duration mode it lengthens the N days."""
        _give_ids(self, key)
        if duration_mode:
            self.kind.choices = [SelectChoice(EXTEND, _l("Add days to the duration")),
                                 *self.kind.choices[1:]]
        return self

    def change(self, tz: ZoneInfo) -> DatesChange:
        """The change typed; raises LearnerDatesError with a message per field."""
        kind = (self.kind.data or "").strip()
        unreadable: dict[str, str] = {}
        days = _days(self.days.data, unreadable) if kind == EXTEND else None
        start = end = None
        if kind == WINDOW:
            start = _moment(self.start.data, "start", unreadable, tz, is_end=False)
            end = _moment(self.end.data, "end", unreadable, tz, is_end=True)
        try:
            change = dates_change(kind, days=days, start=start, end=end,
                                  reason=self.reason.data)
        except LearnerDatesError as error:
            raise LearnerDatesError({**error.errors, **unreadable}) from None
        if unreadable:
            raise LearnerDatesError(unreadable)
        return change

    def show_errors(self, errors: dict[str, str]) -> None:
        for name, text in errors.items():
            if name in self:
                self[name].errors = [text]


def _give_ids(form: FlaskForm, key: str) -> None:
    # Several forms may be open on one page (one per learner row): the names stay, the
    # ids (and so the labels' and messages' ids) take the form's key.
    for input_field in form:
        input_field.id = f"{key}-{input_field.short_name}"


def _days(text: str | None, errors: dict[str, str]) -> int | None:
    text = (text or "").strip()
    if not text:
        return None
    if not _WHOLE_NUMBER.fullmatch(text):
        errors["days"] = str(NOT_A_NUMBER)
        return None
    return int(text)


def _moment(text: str | None, name: str, errors: dict[str, str], tz: ZoneInfo, *,
            is_end: bool):
    text = (text or "").strip()
    if len(text) > DATE_MAX:
        errors[name] = too_long(DATE_MAX)
        return None
    try:
        return parse_local(text, tz, is_end=is_end)
    except DateInputError as error:
        errors[name] = str(error)
        return None


def current_dates(e: Enrolment, tz: ZoneInfo) -> dict[str, str]:
    """What the dates form shows when it opens for a learner who has individual dates."""
    if e.own_start is not None or e.own_end is not None:
        return {"kind": WINDOW, "start": input_value(e.own_start, tz, is_end=False),
                "end": input_value(e.own_end, tz, is_end=True), "reason": e.dates_reason}
    if e.extension_days:
        return {"kind": EXTEND, "days": str(e.extension_days), "reason": e.dates_reason}
    return {}


class SuspendForm(FlaskForm):
    reason = StringField(_l("Reason"), render_kw={"maxlength": MAX_REASON},
                         description=_l("Kept with the suspension, and in the History."))

    def for_session(self, key: str) -> "SuspendForm":
        _give_ids(self, key)
        return self

    def given_reason(self) -> str:
        """The reason typed; raises LearnerDatesError when missing or too long."""
        return check_reason(self.reason.data)

    def show_errors(self, errors: dict[str, str]) -> None:
        for name, text in errors.items():
            if name in self:
                self[name].errors = [text]


# --- who a form acts on -------------------------------------------------------------------

# A number bigger than any id names nothing (ids are 32-bit integers).
MAX_ID = 2**31 - 1


def read_ids(values: list[str]) -> tuple[list[int], list[str]]:
    """The ids among ``values`` (ticked boxes), and the values that are not ids."""
    ids, bad = [], []
    for value in values:
        text = (value or "").strip()
        if not text:
            continue
        if text.isdigit() and len(text) <= 10 and 0 < int(text) <= MAX_ID:
            ids.append(int(text))
        else:
            bad.append(text[:20])
    return ids, bad


# Where a form opens: under the learner's row, in the box under the ticked learners' bar,
# or in the box under the linked classes.
ROW, TICKED, CLASS = "row", "ticked", "class"
_TARGETS = {TICKED: "#ticked-box", CLASS: "#class-confirm"}
NAMES_LISTED = 10


@dataclass(frozen=True)
class Chosen:
    """The learners a form acts on: their user ids, how the form names them
    ('Lea Learner', '2 ticked learners', 'the 5 members of the class Red team') and
    where it opens (ROW, TICKED or CLASS); ``learners``: their enrolments when loaded
    (one learner, or the ticked ones)."""

    where: str
    user_ids: tuple[int, ...]
    label: str
    learners: tuple[Enrolment, ...] = ()
    class_id: int | None = None

    @property
    def count(self) -> int:
        return len(self.user_ids)

    @property
    def learner(self) -> Enrolment | None:
        """The one learner of a form opened from their row."""
        return self.learners[0] if self.where == ROW and self.learners else None

    @property
    def in_table(self) -> bool:
        return self.where == ROW

    def key(self, form_name: str) -> str:
        """The form's id, prefix of its inputs' ids: 'dates-3', 'ticked', 'class-2'."""
        if self.where == ROW:
            return f"{form_name}-{self.user_ids[0]}"
        return TICKED if self.where == TICKED else f"class-{self.class_id}"

    def target(self, form_name: str) -> str:
        """What the form's answer replaces when it comes back with messages."""
        return _TARGETS.get(self.where) or "#" + self.key(form_name)

    @property
    def posted_ids(self) -> tuple[int, ...]:
        return self.user_ids if self.where == TICKED else ()

    def names(self, suspended_only: bool = False) -> str:
        """'Lea Learner, Leo Second', 'Ann A, … and 12 others' (empty when not loaded)."""
        names = [e.user.full_name for e in self.learners
                 if not suspended_only or e.suspended_at is not None]
        shown = ", ".join(names[:NAMES_LISTED])
        more = len(names) - NAMES_LISTED
        return ngettext("%(names)s and %(num)s other", "%(names)s and %(num)s others", more,
                        names=shown) if more > 0 else shown


def learners_label(count: int) -> str:
    return ngettext("%(num)s learner", "%(num)s learners", count)
