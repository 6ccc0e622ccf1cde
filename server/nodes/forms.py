"""The form that issues a node token. tokens.issue() checks every value again."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length

from ..userinput import TOO_LONG
from .tokens import LABEL_MAX


class IssueTokenForm(FlaskForm):
    # The service decides who may issue for which community (a 403, not "not a valid choice").
    community = SelectField(_l("Community"), validators=[DataRequired()], choices=[], validate_choice=False)
    # Rendered by hand (events grouped by community, as the write form's); "" is none.
    event = StringField(_l("For one event only (optional)"))
    label = StringField(_l("Name of the node, e.g. the camp and the laptop"),
                        validators=[Length(max=LABEL_MAX, message=TOO_LONG)])
