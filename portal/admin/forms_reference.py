"""Forms of the reference data pages: users, courses and assignments, classes, categories.

Lengths match the model columns, so no input can reach the database too long.
Uniqueness is checked here against the database (the route still catches the
IntegrityError of a race and answers with the same message).
"""

import functools

from babel.support import LazyProxy, NullTranslations, Translations
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    IntegerField,
    PasswordField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.i18n import messages_path
from wtforms.validators import DataRequired, Length, NumberRange, Regexp, ValidationError

from ..domain.courses import AssignmentValues, CourseValues
from ..domain.language import _l, current, current_code, number_text
from ..domain.lookups import is_taken
from ..domain.passwords import password_problem
from ..domain.users import ROLE_LABELS, UserValues
from ..domain.zones import is_valid_zone, unknown_zone_message
from ..extensions import db
from ..models import Course, PlatformRole, SessionCategory, User, UserClass

LONG_TEXT = 20_000  # description, instructions: Text columns, capped to keep pages sane

ROLE_CHOICES = [SelectChoice(role.value, ROLE_LABELS[role.value]) for role in (
    PlatformRole.LEARNER, PlatformRole.TEACHER, PlatformRole.ADMIN)]


def at_most(count: int) -> LazyProxy:
    """The message of a Length(max=count), its number written as the reader's language
    writes it (both read when the message is shown)."""
    return _l("Use at most %(max)s characters.",
              max=LazyProxy(number_text, count, enable_cache=False))


def strip(value):
    return value.strip() if isinstance(value, str) else value


def _title_field() -> StringField:
    return StringField(
        _l("Title"),
        filters=[strip],
        validators=[DataRequired(message=_l("Enter a title.")),
                    Length(max=200, message=at_most(200))],
    )


def _long_text_field(label, rows: int) -> TextAreaField:
    """Free text (descriptions, instructions): any length up to LONG_TEXT (NULs are
    dropped from every input by the request, see portal.PortalRequest)."""
    return TextAreaField(
        label,
        validators=[Length(max=LONG_TEXT, message=at_most(LONG_TEXT))],
        render_kw={"rows": rows},
    )


class Unique:
    """Fails when another row already has this value in ``column``.

    The form's ``editing_id`` (the row being edited, or None) is left out of the check.
    """

    def __init__(self, column, message, normalise=strip):
        self.column = column
        self.message = message
        self.normalise = normalise

    def __call__(self, form, field):
        if not field.data:
            return
        value = self.normalise(field.data)
        if is_taken(db.session, self.column, value, other_than=form.editing_id):
            raise ValidationError(str(self.message) % {"value": value})


def _unique_field(label, column, taken, *, required, max_length: int,
                  also=(), normalise=strip, **kwargs) -> StringField:
    """A required one-line field whose value no other row of ``column`` may have (a
    username, an e-mail, a course code, a class or category name); ``also``: validators
    checked after the length, before the database."""
    return StringField(
        label,
        filters=[strip],
        validators=[DataRequired(message=required),
                    Length(max=max_length, message=at_most(max_length)),
                    *also, Unique(column, taken, normalise)],
        **kwargs,
    )


@functools.cache
def _wtforms_catalog(code: str) -> NullTranslations:
    return Translations.load(messages_path(), [code], domain="wtforms")


class _WTFormsTexts:
    """WTForms' own messages ("Not a valid choice.") in the reader's language: the
    portal's catalog when it has them (its house style), else the catalogs WTForms ships
    (Flask-WTF would look for Flask-Babel, which the portal does not use)."""

    def gettext(self, string):
        text = current().translations.gettext(string)  # a lookup: the text is WTForms'
        return text if text != string else _wtforms_catalog(current_code()).gettext(string)

    def ngettext(self, singular, plural, n):
        return _wtforms_catalog(current_code()).ngettext(singular, plural, n)


WTFORMS_TEXTS = _WTFormsTexts()


class TranslatedForm(FlaskForm):
    class Meta:
        def get_translations(self, form):
            return WTFORMS_TEXTS


class ReferenceForm(TranslatedForm):
    def __init__(self, *args, editing_id: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.editing_id = editing_id


WHOLE_NUMBER = _l("Enter a whole number.")


class WholeNumberField(IntegerField):
    """An IntegerField whose parse error says what to type."""

    def __init__(self, *args, parse_message=WHOLE_NUMBER, **kwargs):
        super().__init__(*args, **kwargs)
        self.parse_message = parse_message

    MAX_DIGITS = 18  # beyond, NumberRange's float conversion overflows (a 500)

    def process_formdata(self, valuelist):
        if valuelist and len(str(valuelist[0]).strip().lstrip("+-")) > self.MAX_DIGITS:
            raise ValueError(self.parse_message)
        try:
            super().process_formdata(valuelist)
        except ValueError as error:
            raise ValueError(self.parse_message) from error


class UserForm(ReferenceForm):
    username = _unique_field(
        _l("Username"), User.username, _l("The username %(value)s is already taken."),
        required=_l("Enter a username."), max_length=80,
        also=[Regexp(r"^[^\s@]+$", message=_l("A username has no spaces and no @."))],
        normalise=User.normalise_username, render_kw={"autocomplete": "off"},
    )
    first_name = StringField(
        _l("First name"), filters=[strip],
        validators=[Length(max=100, message=at_most(100))],
    )
    last_name = StringField(
        _l("Last name"), filters=[strip],
        validators=[Length(max=100, message=at_most(100))],
    )
    email = _unique_field(
        _l("E-mail"), User.email, _l("The e-mail %(value)s already belongs to another user."),
        required=_l("Enter an e-mail address."), max_length=254,
        also=[Regexp(r"^[^@\s]+@[^@\s]+\.[^@\s]+$",
                     message=_l("Enter an e-mail address such as ann@example.org."))],
        normalise=User.normalise_email, render_kw={"type": "email", "autocomplete": "off"},
    )
    role = SelectField(_l("Platform role"), choices=ROLE_CHOICES,
                       default=PlatformRole.LEARNER.value)
    timezone = StringField(
        _l("Time zone"),
        filters=[strip],
        validators=[Length(max=64, message=at_most(64))],
        render_kw={"list": "zone-options", "autocomplete": "off"},
    )
    active = BooleanField(_l("Active (may log in)"), default=True)
    password = PasswordField(
        _l("Set a password"),
        validators=[Length(max=1024, message=at_most(1024))],
        render_kw={"autocomplete": "new-password"},
    )

    def __init__(self, *args, password_required: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.password_required = password_required

    def validate_timezone(self, field):
        if field.data and not is_valid_zone(field.data):
            raise ValidationError(unknown_zone_message(field.data))

    def validate_password(self, field):
        if not field.data:
            if self.password_required:
                raise ValidationError(_l("Set a password for the new user."))
            return
        problem = password_problem(field.data, (self.username.data, self.email.data,
                                                self.first_name.data, self.last_name.data))
        if problem:
            raise ValidationError(problem)

    def values(self) -> UserValues:
        """The answers, as the user write functions take them."""
        return UserValues(
            username=self.username.data, email=self.email.data,
            first_name=self.first_name.data or "", last_name=self.last_name.data or "",
            role=self.role.data, timezone=self.timezone.data or None,
            active=bool(self.active.data), password=self.password.data or None,
        )


class CourseForm(ReferenceForm):
    code = _unique_field(_l("Code"), Course.code,
                         _l("The course code %(value)s is already used by another course."),
                         required=_l("Enter a course code."), max_length=40)
    title = _title_field()
    description = _long_text_field(_l("Description"), rows=6)

    def values(self) -> CourseValues:
        return CourseValues(self.code.data, self.title.data, self.description.data or "")


class AssignmentForm(TranslatedForm):
    title = _title_field()
    instructions = _long_text_field(_l("Instructions"), rows=6)
    max_score = WholeNumberField(
        _l("Maximum score"),
        default=100,
        parse_message=_l("Enter a whole number from 1 to 1000."),
        validators=[DataRequired(message=_l("Enter a whole number from 1 to 1000.")),
                    NumberRange(min=1, max=1000,
                                message=_l("Enter a whole number from 1 to 1000."))],
        render_kw={"inputmode": "numeric"},
    )

    def values(self) -> AssignmentValues:
        return AssignmentValues(self.title.data, self.instructions.data or "",
                                self.max_score.data)


class ClassForm(ReferenceForm):
    name = _unique_field(_l("Name"), UserClass.name, _l("A class named %(value)s already exists."),
                         required=_l("Enter a name."), max_length=120)
    description = _long_text_field(_l("Description"), rows=3)


class MemberForm(TranslatedForm):
    username = StringField(
        _l("Add a member"),
        filters=[strip],
        validators=[DataRequired(message=_l("Type the username of the person to add.")),
                    Length(max=254, message=at_most(254))],
    )


class CategoryForm(ReferenceForm):
    name = _unique_field(_l("Name"), SessionCategory.name,
                         _l("A category named %(value)s already exists."),
                         required=_l("Enter a name."), max_length=120)


__all__ = [
    "AssignmentForm", "CategoryForm", "ClassForm", "CourseForm", "MemberForm", "UserForm",
]
