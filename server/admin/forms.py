"""Forms of the admin pages. The service checks every value again (admin/service.py)."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, FieldList, Form, FormField, IntegerField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import Length, NumberRange, Optional

from ..communities.models import MODERATION_REVIEW, MODERATION_TRUSTED
from ..userinput import TOO_LONG, SelectChoice
from .service import DESCRIPTION_MAX, NAME_MAX, REPORTS_TO_HIDE_MAX

# Rows for names in more languages than the interface's, shown blank below them.
EXTRA_NAME_ROWS = 2


class NameEntry(Form):
    """One name of the community in one language (a plain Form: the outer form has the CSRF token)."""
    language = StringField(_l("Language code"), validators=[Length(max=35)],
                           render_kw={"autocapitalize": "none", "dir": "ltr", "size": 6})
    name = StringField(_l("Name"), validators=[Length(max=NAME_MAX, message=TOO_LONG)])


class CommunityForm(FlaskForm):
    slug = StringField(_l("Short name (in links, cannot be changed later)"), validators=[Length(max=40)],
                       render_kw={"autocapitalize": "none", "dir": "ltr"})
    names = FieldList(FormField(NameEntry), label=_l("Name in each language"), min_entries=1)
    description = TextAreaField(_l("Description"), validators=[Length(max=DESCRIPTION_MAX, message=TOO_LONG)])
    default_language = StringField(_l("Main language (code, such as it, sr or nl)"), validators=[Length(max=35)],
                                   render_kw={"autocapitalize": "none", "dir": "ltr"})
    moderation = RadioField(_l("Who publishes stories?"), default=MODERATION_REVIEW, choices=[
        SelectChoice(MODERATION_REVIEW, _l("A facilitator reviews every story first")),
        SelectChoice(MODERATION_TRUSTED, _l("Members publish directly (facilitators can still hide stories)")),
    ])
    reports_to_hide = IntegerField(
        _l("Reports that hide a story at once (empty: the site's number)"),
        validators=[Optional(), NumberRange(min=1, max=REPORTS_TO_HIDE_MAX)])


class RoleForm(FlaskForm):
    role = SelectField(_l("Role"), choices=[SelectChoice("participant", _l("participant")),
                                            SelectChoice("facilitator", _l("facilitator"))])


class AddMemberForm(FlaskForm):
    username = StringField(_l("Username of an existing account"), validators=[Length(max=40)],
                           render_kw={"autocapitalize": "none", "dir": "auto"})
    role = SelectField(_l("Role"), choices=[SelectChoice("participant", _l("participant")),
                                            SelectChoice("facilitator", _l("facilitator"))])


class HelpsForm(FlaskForm):
    """Whether a facilitator answers help requests (help/) as a mediator, a coach or both."""
    is_mediator = BooleanField(_l("Mediator"))
    is_coach = BooleanField(_l("Coach"))
