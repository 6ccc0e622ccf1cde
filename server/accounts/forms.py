from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from .. import limits


class SignInForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=limits.USERNAME_MAX)],
                           render_kw={"autocomplete": "username", "autocapitalize": "none"})
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=limits.PASSWORD_MAX)],
                             render_kw={"autocomplete": "current-password"})


class SignUpForm(FlaskForm):
    username = StringField(_l("Username or pseudonym"),
                           validators=[DataRequired(), Length(min=limits.USERNAME_MIN, max=limits.USERNAME_MAX)],
                           render_kw={"autocomplete": "username", "autocapitalize": "none"})
    display_name = StringField(_l("Name shown with your stories (optional)"),
                               validators=[Length(max=limits.DISPLAY_NAME_MAX)])
    password = PasswordField(_l("Password"),
                             validators=[DataRequired(), Length(min=limits.PASSWORD_MIN, max=limits.PASSWORD_MAX)],
                             render_kw={"autocomplete": "new-password"})
    confirm = PasswordField(_l("Password again"),
                            validators=[DataRequired(), EqualTo("password", message=_l("The two passwords differ."))],
                            render_kw={"autocomplete": "new-password"})
