from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, RadioField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from .. import limits
from ..userinput import TOO_LONG, SelectChoice


class SignInForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=limits.USERNAME_MAX, message=TOO_LONG)],
                           render_kw={"autocomplete": "username", "autocapitalize": "none"})
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=limits.PASSWORD_MAX, message=TOO_LONG)],
                             render_kw={"autocomplete": "current-password"})


class SignUpForm(FlaskForm):
    username = StringField(_l("Username or pseudonym"),
                           validators=[DataRequired(), Length(min=limits.USERNAME_MIN, max=limits.USERNAME_MAX)],
                           render_kw={"autocomplete": "username", "autocapitalize": "none"})
    display_name = StringField(_l("Name shown with your stories (optional)"),
                               validators=[Length(max=limits.DISPLAY_NAME_MAX, message=TOO_LONG)])
    password = PasswordField(_l("Password"),
                             validators=[DataRequired(), Length(min=limits.PASSWORD_MIN, max=limits.PASSWORD_MAX)],
                             render_kw={"autocomplete": "new-password"})
    confirm = PasswordField(_l("Password again"),
                            validators=[DataRequired(), EqualTo("password", message=_l("The two passwords differ."))],
                            render_kw={"autocomplete": "new-password"})


class JoinForm(FlaskForm):
    """Join with a code from a facilitator: no email, a password or a 6-digit PIN."""
    code = StringField(_l("Join code"), validators=[DataRequired(), Length(max=64, message=TOO_LONG)],
                       render_kw={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"})
    username = StringField(_l("Username or pseudonym"),
                           validators=[DataRequired(), Length(min=limits.USERNAME_MIN, max=limits.USERNAME_MAX)],
                           render_kw={"autocomplete": "username", "autocapitalize": "none"})
    display_name = StringField(_l("Name shown with your stories (optional)"),
                               validators=[Length(max=limits.DISPLAY_NAME_MAX, message=TOO_LONG)])
    password = PasswordField(_l("Password, or a PIN of 6 digits"),
                             validators=[DataRequired(), Length(max=limits.PASSWORD_MAX, message=TOO_LONG)],
                             render_kw={"autocomplete": "new-password"})
    confirm = PasswordField(_l("Password or PIN again"),
                            validators=[DataRequired(), EqualTo("password", message=_l("The two passwords differ."))],
                            render_kw={"autocomplete": "new-password"})


class ResetForm(FlaskForm):
    """A new password or PIN with the one-time code a facilitator gave (also claims a managed account)."""
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=limits.USERNAME_MAX, message=TOO_LONG)],
                           render_kw={"autocomplete": "username", "autocapitalize": "none"})
    code = StringField(_l("Code from your facilitator"), validators=[DataRequired(), Length(max=64, message=TOO_LONG)],
                       render_kw={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"})
    password = PasswordField(_l("New password, or a PIN of 6 digits"),
                             validators=[DataRequired(), Length(max=limits.PASSWORD_MAX, message=TOO_LONG)],
                             render_kw={"autocomplete": "new-password"})
    confirm = PasswordField(_l("New password or PIN again"),
                            validators=[DataRequired(), EqualTo("password", message=_l("The two passwords differ."))],
                            render_kw={"autocomplete": "new-password"})


class JoinCommunityForm(FlaskForm):
    code = StringField(_l("Join code for another community"), validators=[DataRequired(), Length(max=64, message=TOO_LONG)],
                       render_kw={"autocomplete": "off", "autocapitalize": "characters"})


class DeleteAccountForm(FlaskForm):
    stories = RadioField(_l("What should happen to your stories?"), default="delete", choices=[
        SelectChoice("delete", _l("Delete them everywhere")),
        SelectChoice("anonymise", _l("Keep them, without my name (anonymous)")),
    ])
    password = PasswordField(_l("Your password or PIN, to confirm"),
                             validators=[DataRequired(), Length(max=limits.PASSWORD_MAX, message=TOO_LONG)],
                             render_kw={"autocomplete": "current-password"})
    confirm = BooleanField(_l("I understand this cannot be undone"), validators=[DataRequired()])
