"""Forms of the learner area."""

from babel.support import LazyProxy
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import PasswordField, SelectField, StringField, TextAreaField, ValidationError
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, Length

from ..domain.hand_in import ALLOWED_EXTENSIONS, MAX_ANSWER_CHARS
from ..domain.language import LANGUAGES, number_text
from ..domain.language import lazy_gettext as _l
from ..domain.zones import is_valid_zone, unknown_zone_message


class HandInForm(FlaskForm):
    """One assignment's hand-in; its prefix (``a<assignment id>``) keeps ids unique
    when a course page shows several."""

    answer = TextAreaField(
        _l("Your answer"),
        # The count formatted when the message is read, in the reader's language.
        validators=[Length(max=MAX_ANSWER_CHARS,
                           message=_l("Write at most %(count)s characters.",
                                      count=LazyProxy(number_text, MAX_ANSWER_CHARS,
                                                      enable_cache=False)))],
        render_kw={"rows": 6},
    )
    attachment = FileField(
        _l("Attach a file (optional)"),
        render_kw={"accept": ",".join(f".{ext}" for ext in ALLOWED_EXTENSIONS)},
    )


class PasswordForm(FlaskForm):
    current_password = PasswordField(
        _l("Current password"),
        validators=[DataRequired(message=_l("Enter your current password."))],
        render_kw={"autocomplete": "current-password"},
    )
    new_password = PasswordField(
        _l("New password"),
        validators=[DataRequired(message=_l("Choose a new password.")), Length(max=1024)],
        render_kw={"autocomplete": "new-password"},
    )
    confirm_password = PasswordField(
        _l("New password again"),
        validators=[DataRequired(message=_l("Type the new password a second time.")),
                    EqualTo("new_password", message=_l("The two new passwords differ."))],
        render_kw={"autocomplete": "new-password"},
    )


class TimezoneForm(FlaskForm):
    # A text input with the canonical zones as suggestions (a <datalist>); any valid zone,
    # old names included, is accepted, so a zone stored long ago saves unchanged.
    timezone = StringField(_l("Time zone"), filters=[lambda value: (value or "").strip()],
                           render_kw={"list": "zone-options", "autocomplete": "off",
                                      "maxlength": 64})

    def validate_timezone(self, field):
        if field.data and not is_valid_zone(field.data):
            raise ValidationError(unknown_zone_message(field.data))


class LanguageForm(FlaskForm):
    # "" follows the browser (then the portal); the names are each language's own.
    language = SelectField(_l("Language"), choices=[
        SelectChoice("", _l("The browser’s language")),
        *(SelectChoice(code, name) for code, name in LANGUAGES.items())])


class EmptyForm(FlaskForm):
    """A button that POSTs with a CSRF token (reset the calendar address)."""
