"""One small form per detail row of the session page, and how each is saved."""

from dataclasses import dataclass

from flask_wtf import FlaskForm
from wtforms import HiddenField

from ..domain.dates import DateInputError, input_value, parse_local
from ..domain.sessions import coach_window_warning, name_taken, window_order_errors
from .session_forms import (
    DURATION_WITH_DATES,
    NAME_TAKEN,
    SessionForm,
    find_user,
    unknown_user_message,
)

POLICY_LABELS = {"read_only": "Read only", "open": "Still open", "closed": "Closed"}


class RowForm(FlaskForm):
    # The session's version when the form was opened: a save against a newer one is refused.
    version = HiddenField()


class NameForm(RowForm):
    name = SessionForm.name


class DescriptionForm(RowForm):
    description = SessionForm.description


class CategoryForm(RowForm):
    category_id = SessionForm.category_id


class CoachForm(RowForm):
    coach = SessionForm.coach


class PolicyForm(RowForm):
    after_end_policy = SessionForm.after_end_policy


class DisplayForm(RowForm):
    display_start = SessionForm.display_start
    display_end = SessionForm.display_end


class AccessForm(RowForm):
    access_start = SessionForm.access_start
    access_end = SessionForm.access_end
    duration_days = SessionForm.duration_days


class CoachWindowForm(RowForm):
    coach_start = SessionForm.coach_start
    coach_end = SessionForm.coach_end


@dataclass(frozen=True)
class Row:
    key: str
    label: str
    form: type[RowForm]
    dates: tuple[str, ...] = ()


ROWS = {
    row.key: row
    for row in (
        Row("name", "Session name", NameForm),
        Row("description", "Description", DescriptionForm),
        Row("category", "Category", CategoryForm),
        Row("coach", "Session coach", CoachForm),
        Row("policy", "After the access end", PolicyForm),
        Row("display", "Display dates", DisplayForm, ("display_start", "display_end")),
        Row("access", "Access dates", AccessForm, ("access_start", "access_end")),
        Row("coach_window", "Coach access dates", CoachWindowForm, ("coach_start", "coach_end")),
    )
}


def form_for(row: Row, session, tz, db, formdata=None) -> RowForm:
    """The row's form, filled from ``formdata`` when posted, else from the session."""
    if formdata is not None:
        form = row.form(formdata=formdata)
    else:
        form = row.form(formdata=None, data=_current_values(row, session, tz))
    if hasattr(form, "category_id"):
        SessionForm.load_categories(form, db)
    return form


def _current_values(row: Row, session, tz) -> dict:
    values = {"version": str(session.version)}
    if row.key == "coach":
        values["coach"] = session.coach.username
    elif row.key == "category":
        values["category_id"] = session.category_id or 0
    for name in row.dates:
        values[name] = input_value(getattr(session, name), tz, is_end=name.endswith("_end"))
    for name in ("name", "description", "after_end_policy", "duration_days"):
        if hasattr(row.form, name):
            values[name] = getattr(session, name)
    return values


def validate_row(row: Row, form: RowForm, session, tz, db) -> tuple[dict, str | None]:
    """Check a posted row. Returns the new column values (empty on error) and a warning."""
    ok = form.validate()
    changes: dict = {}
    if row.key == "name" and ok:
        name = form.name.data.strip()
        if name_taken(db, name, except_id=session.id):
            form.name.errors = [*form.name.errors, NAME_TAKEN]
        changes["name"] = name
    elif row.key == "description":
        changes["description"] = form.description.data or ""
    elif row.key == "category":
        changes["category_id"] = form.category_id.data or None
    elif row.key == "coach" and ok:
        coach = find_user(db, form.coach.data)
        if coach is None:
            form.coach.errors = [*form.coach.errors, unknown_user_message(form.coach.data)]
        else:
            changes["coach_id"] = coach.id
    elif row.key == "policy":
        changes["after_end_policy"] = form.after_end_policy.data
    for name in row.dates:
        try:
            changes[name] = parse_local(getattr(form, name).data or "", tz,
                                        is_end=name.endswith("_end"))
        except DateInputError as error:
            getattr(form, name).errors = [*getattr(form, name).errors, str(error)]
    if row.dates:
        for name, message in window_order_errors(changes).items():
            getattr(form, name).errors = [*getattr(form, name).errors, message]
    if row.key == "access":
        days = form.duration_days.data
        if days and (changes.get("access_start") or changes.get("access_end")):
            form.duration_days.errors = [*form.duration_days.errors, DURATION_WITH_DATES]
        changes["duration_days"] = days or None
    if any(field.errors for field in form):
        return {}, None
    warning = None
    if row.key in ("access", "coach_window"):
        merged = {name: getattr(session, name) for name in
                  ("access_start", "access_end", "coach_start", "coach_end")}
        merged.update(changes)
        warning = coach_window_warning(merged)
    return changes, warning
