from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, RadioField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from .. import limits
from ..accounts.codes import JOIN_CODE_MAX_DAYS, JOIN_CODE_MAX_USES
from ..userinput import TOO_LONG, SelectChoice


class JoinCodeForm(FlaskForm):
    label = StringField(_l("Note for yourself (optional), e.g. where the code is posted"),
                        validators=[Length(max=80, message=TOO_LONG)])
    days = IntegerField(_l("Valid for how many days?"), default=14,
                        validators=[DataRequired(), NumberRange(min=1, max=JOIN_CODE_MAX_DAYS)])
    max_uses = IntegerField(_l("How many people may use it?"), default=30,
                            validators=[DataRequired(), NumberRange(min=1, max=JOIN_CODE_MAX_USES)])


class ManagedPersonForm(FlaskForm):
    display_name = StringField(_l("Name or pseudonym the person chose"),
                               validators=[DataRequired(), Length(max=limits.DISPLAY_NAME_MAX, message=TOO_LONG)])
    username = StringField(_l("Username for them to claim the account later (optional)"),
                           validators=[Optional(), Length(min=limits.USERNAME_MIN, max=limits.USERNAME_MAX)],
                           render_kw={"autocapitalize": "none"})


class ConsentForm(FlaskForm):
    """The consent part of a story recorded on someone's behalf (with the story fields)."""
    consent_kind = RadioField(_l("How did the person agree?"), default="verbal", choices=[
        SelectChoice("verbal", _l("They agreed aloud (verbal consent)")),
        SelectChoice("written", _l("They signed a consent form (written consent)")),
    ])


class DeletePersonForm(FlaskForm):
    stories = RadioField(_l("What should happen to their stories?"), default="delete", choices=[
        SelectChoice("delete", _l("Delete them")),
        SelectChoice("anonymise", _l("Keep them, without any name (anonymous)")),
    ])
    confirm = BooleanField(_l("The person asked for this, and understands it cannot be undone"),
                           validators=[DataRequired()])
