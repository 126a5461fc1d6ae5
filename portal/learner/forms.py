"""Forms of the learner area."""

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import PasswordField, SelectField, TextAreaField
from wtforms.validators import DataRequired, EqualTo, Length

from ..domain.dates import available_zone_names
from ..domain.hand_in import ALLOWED_EXTENSIONS, MAX_ANSWER_CHARS


class HandInForm(FlaskForm):
    """One assignment's hand-in; its prefix (``a<assignment id>``) keeps ids unique
    when a course page shows several."""

    answer = TextAreaField(
        "Your answer",
        validators=[Length(max=MAX_ANSWER_CHARS,
                           message=f"Write at most {MAX_ANSWER_CHARS:,} characters.")],
        render_kw={"rows": 6},
    )
    attachment = FileField(
        "Attach a file (optional)",
        render_kw={"accept": ",".join(f".{ext}" for ext in ALLOWED_EXTENSIONS)},
    )


class PasswordForm(FlaskForm):
    current_password = PasswordField(
        "Current password",
        validators=[DataRequired(message="Enter your current password.")],
        render_kw={"autocomplete": "current-password"},
    )
    new_password = PasswordField(
        "New password",
        validators=[DataRequired(message="Choose a new password."), Length(max=1024)],
        render_kw={"autocomplete": "new-password"},
    )
    confirm_password = PasswordField(
        "New password again",
        validators=[DataRequired(message="Type the new password a second time."),
                    EqualTo("new_password", message="The two new passwords differ.")],
        render_kw={"autocomplete": "new-password"},
    )


class TimezoneForm(FlaskForm):
    timezone = SelectField("Time zone", validate_choice=True)

    def load_choices(self, portal_zone: str) -> None:
        self.timezone.choices = [("", f"The portal's zone ({portal_zone})")] + [
            (name, name) for name in available_zone_names()
        ]


class EmptyForm(FlaskForm):
    """A button that POSTs with a CSRF token (reset the calendar address)."""
