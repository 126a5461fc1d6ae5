"""Forms of the reference data pages: users, courses and assignments, classes, categories.

Lengths match the model columns, so no input can reach the database too long.
Uniqueness is checked here against the database (the route still catches the
IntegrityError of a race and answers with the same message).
"""

from flask_wtf import FlaskForm
from sqlalchemy import exists, select
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

from ..domain.dates import is_known_zone
from ..domain.passwords import password_problem
from ..extensions import db
from ..models import Course, PlatformRole, SessionCategory, User, UserClass

LONG_TEXT = 20_000  # description, instructions: Text columns, capped to keep pages sane

ROLE_CHOICES = [
    SelectChoice(PlatformRole.LEARNER.value, "Learner"),
    SelectChoice(PlatformRole.TEACHER.value, "Teacher"),
    SelectChoice(PlatformRole.ADMIN.value, "Admin"),
]


def no_nul(value):
    # PostgreSQL refuses NUL characters in text: drop them rather than fail on save.
    return value.replace("\x00", "") if isinstance(value, str) else value


def strip(value):
    return no_nul(value).strip() if isinstance(value, str) else value



def _title_field() -> StringField:
    return StringField(
        "Title",
        filters=[strip],
        validators=[DataRequired(message="Enter a title."),
                    Length(max=200, message="Use at most 200 characters.")],
    )


def _long_text_field(label: str, rows: int) -> TextAreaField:
    """Free text (descriptions, instructions): any length up to LONG_TEXT, NULs removed."""
    return TextAreaField(
        label,
        filters=[no_nul],
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
        model = self.column.class_
        condition = [self.column == value]
        if form.editing_id is not None:
            condition.append(model.id != form.editing_id)
        if db.session.scalar(select(exists().where(*condition))):
            raise ValidationError(self.message.format(value=value))


class ReferenceForm(FlaskForm):
    def __init__(self, *args, editing_id: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.editing_id = editing_id


class WholeNumberField(IntegerField):
    """An IntegerField whose parse error says what to type."""

    def __init__(self, *args, parse_message: str = "Enter a whole number.", **kwargs):
        super().__init__(*args, **kwargs)
        self.parse_message = parse_message

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError as error:
            raise ValueError(self.parse_message) from error


class UserForm(ReferenceForm):
    username = StringField(
        "Username",
        filters=[strip],
        validators=[
            DataRequired(message="Enter a username."),
            Length(max=80, message="Use at most 80 characters."),
            Regexp(r"^[^\s@]+$", message="A username has no spaces and no @."),
            Unique(User.username, "The username {value} is already taken.",
                   User.normalise_username),
        ],
        render_kw={"autocomplete": "off"},
    )
    first_name = StringField(
        "First name", filters=[strip],
        validators=[Length(max=100, message="Use at most 100 characters.")],
    )
    last_name = StringField(
        "Last name", filters=[strip],
        validators=[Length(max=100, message="Use at most 100 characters.")],
    )
    email = StringField(
        "E-mail",
        filters=[strip],
        validators=[
            DataRequired(message="Enter an e-mail address."),
            Length(max=254, message="Use at most 254 characters."),
            Regexp(r"^[^@\s]+@[^@\s]+\.[^@\s]+$",
                   message="Enter an e-mail address such as ann@example.org."),
            Unique(User.email, "The e-mail {value} already belongs to another user.",
                   User.normalise_email),
        ],
        render_kw={"type": "email", "autocomplete": "off"},
    )
    role = SelectField("Platform role", choices=ROLE_CHOICES,
                       default=PlatformRole.LEARNER.value)
    timezone = StringField(
        "Time zone",
        filters=[strip],
        validators=[Length(max=64, message="Use at most 64 characters.")],
        render_kw={"list": "zone-names", "autocomplete": "off"},
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
        if field.data and not is_known_zone(field.data):
            raise ValidationError(
                f"{field.data} is not a time zone we know. Pick one from the list, "
                "such as Europe/Paris, or leave it empty for the portal's zone."
            )

    def validate_password(self, field):
        if not field.data:
            if self.password_required:
                raise ValidationError("Set a password for the new user.")
            return
        problem = password_problem(field.data)
        if problem:
            raise ValidationError(problem)


class CourseForm(ReferenceForm):
    code = StringField(
        "Code",
        filters=[strip],
        validators=[
            DataRequired(message="Enter a course code."),
            Length(max=40, message="Use at most 40 characters."),
            Unique(Course.code, "The course code {value} is already used by another course."),
        ],
    )
    title = _title_field()
    description = _long_text_field("Description", rows=6)


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


class ClassForm(ReferenceForm):
    name = StringField(
        "Name",
        filters=[strip],
        validators=[
            DataRequired(message="Enter a name."),
            Length(max=120, message="Use at most 120 characters."),
            Unique(UserClass.name, "A class named {value} already exists."),
        ],
    )
    description = _long_text_field("Description", rows=3)


class MemberForm(FlaskForm):
    username = StringField(
        "Add a member",
        filters=[strip],
        validators=[DataRequired(message="Type the username of the person to add."),
                    Length(max=254, message="Use at most 254 characters.")],
    )


class CategoryForm(ReferenceForm):
    name = StringField(
        "Name",
        filters=[strip],
        validators=[
            DataRequired(message="Enter a name."),
            Length(max=120, message="Use at most 120 characters."),
            Unique(SessionCategory.name, "A category named {value} already exists."),
        ],
    )


__all__ = [
    "AssignmentForm", "CategoryForm", "ClassForm", "CourseForm", "MemberForm", "UserForm",
]
