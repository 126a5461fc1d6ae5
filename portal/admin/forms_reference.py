"""Forms of the reference data pages: users, courses and assignments, classes, categories.

Lengths match the model columns, so no input can reach the database too long.
Uniqueness is checked here against the database (the route still catches the
IntegrityError of a race and answers with the same message).
"""

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
from wtforms.validators import DataRequired, Length, NumberRange, Regexp, ValidationError

from ..domain.courses import AssignmentValues, CourseValues
from ..domain.lookups import is_taken
from ..domain.passwords import password_problem
from ..domain.users import UserValues
from ..domain.zones import is_valid_zone, unknown_zone_message
from ..extensions import db
from ..models import Course, PlatformRole, SessionCategory, User, UserClass

LONG_TEXT = 20_000  # description, instructions: Text columns, capped to keep pages sane

ROLE_CHOICES = [
    SelectChoice(PlatformRole.LEARNER.value, "Learner"),
    SelectChoice(PlatformRole.TEACHER.value, "Teacher"),
    SelectChoice(PlatformRole.ADMIN.value, "Admin"),
]


def strip(value):
    return value.strip() if isinstance(value, str) else value


def _title_field() -> StringField:
    return StringField(
        "Title",
        filters=[strip],
        validators=[DataRequired(message="Enter a title."),
                    Length(max=200, message="Use at most 200 characters.")],
    )


def _long_text_field(label: str, rows: int) -> TextAreaField:
    """Free text (descriptions, instructions): any length up to LONG_TEXT (NULs are
    dropped from every input by the request, see portal.PortalRequest)."""
    return TextAreaField(
        label,
        validators=[Length(max=LONG_TEXT, message=f"Use at most {LONG_TEXT} characters.")],
        render_kw={"rows": rows},
    )


class Unique:
    """Fails when another row already has this value in ``column``.

    The form's ``editing_id`` (the row being edited, or None) is left out of the check.
    """

    def __init__(self, column, message: str, normalise=strip):
        self.column = column
        self.message = message
        self.normalise = normalise

    def __call__(self, form, field):
        if not field.data:
            return
        value = self.normalise(field.data)
        if is_taken(db.session, self.column, value, other_than=form.editing_id):
            raise ValidationError(self.message.format(value=value))


def _unique_field(label: str, column, taken: str, *, required: str, max_length: int,
                  also=(), normalise=strip, **kwargs) -> StringField:
    """A required one-line field whose value no other row of ``column`` may have (a
    username, an e-mail, a course code, a class or category name); ``also``: validators
    checked after the length, before the database."""
    return StringField(
        label,
        filters=[strip],
        validators=[DataRequired(message=required),
                    Length(max=max_length, message=f"Use at most {max_length} characters."),
                    *also, Unique(column, taken, normalise)],
        **kwargs,
    )


class ReferenceForm(FlaskForm):
    def __init__(self, *args, editing_id: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.editing_id = editing_id


class WholeNumberField(IntegerField):
    """An IntegerField whose parse error says what to type."""

    def __init__(self, *args, parse_message: str = "Enter a whole number.", **kwargs):
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
        "Username", User.username, "The username {value} is already taken.",
        required="Enter a username.", max_length=80,
        also=[Regexp(r"^[^\s@]+$", message="A username has no spaces and no @.")],
        normalise=User.normalise_username, render_kw={"autocomplete": "off"},
    )
    first_name = StringField(
        "First name", filters=[strip],
        validators=[Length(max=100, message="Use at most 100 characters.")],
    )
    last_name = StringField(
        "Last name", filters=[strip],
        validators=[Length(max=100, message="Use at most 100 characters.")],
    )
    email = _unique_field(
        "E-mail", User.email, "The e-mail {value} already belongs to another user.",
        required="Enter an e-mail address.", max_length=254,
        also=[Regexp(r"^[^@\s]+@[^@\s]+\.[^@\s]+$",
                     message="Enter an e-mail address such as ann@example.org.")],
        normalise=User.normalise_email, render_kw={"type": "email", "autocomplete": "off"},
    )
    role = SelectField("Platform role", choices=ROLE_CHOICES,
                       default=PlatformRole.LEARNER.value)
    timezone = StringField(
        "Time zone",
        filters=[strip],
        validators=[Length(max=64, message="Use at most 64 characters.")],
        render_kw={"list": "zone-options", "autocomplete": "off"},
    )
    active = BooleanField("Active (may log in)", default=True)
    password = PasswordField(
        "Set a password",
        validators=[Length(max=1024, message="Use at most 1024 characters.")],
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
                raise ValidationError("Set a password for the new user.")
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
    code = _unique_field("Code", Course.code,
                         "The course code {value} is already used by another course.",
                         required="Enter a course code.", max_length=40)
    title = _title_field()
    description = _long_text_field("Description", rows=6)

    def values(self) -> CourseValues:
        return CourseValues(self.code.data, self.title.data, self.description.data or "")


class AssignmentForm(FlaskForm):
    title = _title_field()
    instructions = _long_text_field("Instructions", rows=6)
    max_score = WholeNumberField(
        "Maximum score",
        default=100,
        parse_message="Enter a whole number from 1 to 1000.",
        validators=[DataRequired(message="Enter a whole number from 1 to 1000."),
                    NumberRange(min=1, max=1000,
                                message="Enter a whole number from 1 to 1000.")],
        render_kw={"inputmode": "numeric"},
    )

    def values(self) -> AssignmentValues:
        return AssignmentValues(self.title.data, self.instructions.data or "",
                                self.max_score.data)


class ClassForm(ReferenceForm):
    name = _unique_field("Name", UserClass.name, "A class named {value} already exists.",
                         required="Enter a name.", max_length=120)
    description = _long_text_field("Description", rows=3)


class MemberForm(FlaskForm):
    username = StringField(
        "Add a member",
        filters=[strip],
        validators=[DataRequired(message="Type the username of the person to add."),
                    Length(max=254, message="Use at most 254 characters.")],
    )


class CategoryForm(ReferenceForm):
    name = _unique_field("Name", SessionCategory.name,
                         "A category named {value} already exists.",
                         required="Enter a name.", max_length=120)


__all__ = [
    "AssignmentForm", "CategoryForm", "ClassForm", "CourseForm", "MemberForm", "UserForm",
]
