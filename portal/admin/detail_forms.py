"""The detail rows of a session's page: one definition per row, and the form each edits.

A row lists its label, the inputs of its edit form (and how each is drawn), and how
its value is shown; ``templates/admin/session/_detail_row.html`` draws any row from
that. The inputs are checked by ``domain.session_form.validate_session_values``.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from wtforms import HiddenField

from ..domain.dates import date_range
from ..domain.language import gettext as _
from ..domain.language import lazy_gettext as _l
from ..domain.language import ngettext
from ..domain.markdown_text import render_markdown
from ..domain.session_form import POLICY_LABELS, form_values
from ..models import TrainingSession
from .session_forms import SessionForm, SessionInputs

# How an input is drawn: the field macro ("text"; "textarea" with four rows), the
# user picker, or a group of radio buttons.
INPUT_KINDS = ("text", "textarea", "user_picker", "radios")


class RowForm(SessionInputs):
    # The session's version when the form was opened: a save against a newer one is refused.
    version = HiddenField()


@dataclass(frozen=True)
class Row:
    """One detail row: its key (in URLs and element ids), its label, its inputs as
    (input name, kind), and ``show(session, tz)``: the value it reads in view mode."""

    key: str
    label: str
    inputs: tuple[tuple[str, str], ...]
    show: Callable[[TrainingSession, ZoneInfo], str]
    form: type[RowForm] = field(init=False, repr=False)

    def __post_init__(self):
        for name, kind in self.inputs:
            if kind not in INPUT_KINDS or not hasattr(SessionForm, name):
                raise ValueError(f"row {self.key}: bad input {name} ({kind})")
        fields = {name: getattr(SessionForm, name) for name, _ in self.inputs}
        object.__setattr__(self, "form", type(f"{self.key.title()}RowForm", (RowForm,), fields))

    @property
    def input_names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.inputs)


def _access(s: TrainingSession, tz: ZoneInfo) -> str:
    if s.duration_days:
        return ngettext("%(num)s day from each learner's first access",
                        "%(num)s days from each learner's first access", s.duration_days)
    return date_range(s.access_start, s.access_end, tz)


def _coach_window(s: TrainingSession, tz: ZoneInfo) -> str:
    if s.coach_start or s.coach_end:
        return date_range(s.coach_start, s.coach_end, tz)
    return _("Same as access")


def _messages(s: TrainingSession, tz: ZoneInfo) -> str:
    sent = []
    if s.welcome_message:
        sent.append(_("welcome with invitation"))
    if s.remind_days_before_end:
        sent.append(ngettext("reminder %(num)s day before the end",
                             "reminder %(num)s days before the end", s.remind_days_before_end))
    if s.coach_remind_days_before_end:
        sent.append(ngettext("coach reminder %(num)s day before the end",
                             "coach reminder %(num)s days before the end",
                             s.coach_remind_days_before_end))
    if s.grade_released_message:
        sent.append(_("each grade"))
    return _("E-mails: %(list)s", list=", ".join(sent)) if sent else _("No e-mail")


ROWS = {
    row.key: row
    for row in (
        Row("name", _l("Session name"), (("name", "text"),), lambda s, tz: s.name),
        Row("description", _l("Description"), (("description", "textarea"),),
            lambda s, tz: render_markdown(s.description) if s.description else "—"),
        Row("category", _l("Category"), (("category_id", "text"),),
            lambda s, tz: s.category.name if s.category else "—"),
        Row("coach", _l("Session coach"), (("coach", "user_picker"),),
            lambda s, tz: f"{s.coach.full_name} ({s.coach.username})"),
        Row("policy", _l("After the access end"), (("after_end_policy", "radios"),),
            lambda s, tz: POLICY_LABELS[s.after_end_policy]),
        Row("display", _l("Display dates"), (("display_start", "text"), ("display_end", "text")),
            lambda s, tz: date_range(s.display_start, s.display_end, tz)),
        Row("access", _l("Access dates"), (("access_start", "text"), ("access_end", "text"),
                                       ("duration_days", "text")), _access),
        Row("coach_window", _l("Coach access dates"),
            (("coach_start", "text"), ("coach_end", "text")), _coach_window),
        Row("messages", _l("Messages"), (("welcome_message", "text"),
                                     ("remind_days_before_end", "text"),
                                     ("coach_remind_days_before_end", "text"),
                                     ("grade_released_message", "text")), _messages),
    )
}


def shown_values(session: TrainingSession, tz: ZoneInfo) -> dict[str, str]:
    """What each row reads in view mode, by row key."""
    return {key: row.show(session, tz) for key, row in ROWS.items()}


def form_for(row: Row, session: TrainingSession, tz: ZoneInfo, db, formdata=None) -> RowForm:
    """The row's form, filled from ``formdata`` when posted, else from the session."""
    if formdata is not None:
        form = row.form(formdata=formdata)
    else:
        current = form_values(session, tz)
        form = row.form(formdata=None, data={"version": str(session.version),
                                             **{n: current[n] for n in row.input_names}})
    form.load_categories(db)
    return form


def posted_version(form: RowForm) -> int | None:
    """The version the posted form was opened at; None when it is not a number."""
    text = (form.version.data or "").strip()
    return int(text) if text.isdigit() and len(text) < 10 else None
