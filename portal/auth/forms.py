from flask_wtf import FlaskForm
from wtforms import HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, Length

from ..domain.language import lazy_gettext as _l


class LoginForm(FlaskForm):
    username = StringField(
        _l("Username or e-mail"),
        validators=[DataRequired(message=_l("Enter your username or e-mail.")), Length(max=254)],
        render_kw={"autocomplete": "username", "autofocus": True},
    )
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(message=_l("Enter your password.")), Length(max=1024)],
        render_kw={"autocomplete": "current-password"},
    )
    next = HiddenField()


class LogoutForm(FlaskForm):
    """Empty form: logging out is a POST with a CSRF token."""


class SetPasswordForm(FlaskForm):
    """The first password of an account made for its owner, typed twice."""

    password = PasswordField(
        _l("New password"),
        validators=[DataRequired(message=_l("Choose a password.")), Length(max=1024)],
        render_kw={"autocomplete": "new-password", "autofocus": True},
    )
    repeat = PasswordField(
        _l("Repeat the password"),
        validators=[DataRequired(message=_l("Type the password again.")), Length(max=1024)],
        render_kw={"autocomplete": "new-password"},
    )
