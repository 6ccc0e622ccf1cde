"""Forms of the help pages. The service checks every value again (help/service.py)."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import HiddenField, RadioField, SelectField, TextAreaField
from wtforms.validators import DataRequired, Length

from .. import limits
from ..stories.forms import STORY_LANGUAGES, RequiredUnlessMedia
from ..userinput import TOO_LONG, SelectChoice
from .labels import OUTCOME_LABELS, TOPIC_LABELS


class HelpRequestForm(FlaskForm):
    id = HiddenField()  # made when the form is shown: sending it twice stores one request
    community = SelectField(_l("Community"), choices=[])
    topic = RadioField(_l("What do you need help with?"), default="education_school",
                       choices=[SelectChoice(code, label) for code, label in TOPIC_LABELS.items()])
    language = SelectField(_l("Language"), choices=STORY_LANGUAGES)
    body = TextAreaField(_l("Tell us what you need, in your own words"),
                         validators=[RequiredUnlessMedia(), Length(max=limits.HELP_BODY_MAX, message=TOO_LONG)],
                         render_kw={"rows": 6, "maxlength": limits.HELP_BODY_MAX})
    # Asked by voice, from the phone's own recorder: words, a recording or both.
    audio = FileField(_l("A voice recording (optional)"), render_kw={"accept": "audio/*", "capture": True})
    # Only for a facilitator: whom the request is for (empty: themselves), and how they agreed.
    on_behalf = SelectField(_l("On behalf of"), choices=[], default="")
    consent_kind = RadioField(_l("How did the person agree?"), default="verbal", choices=[
        SelectChoice("verbal", _l("They agreed aloud (verbal consent)")),
        SelectChoice("written", _l("They signed a consent form (written consent)")),
    ])


class HelpMessageForm(FlaskForm):
    id = HiddenField()
    body = TextAreaField(_l("Your message"),
                         validators=[RequiredUnlessMedia(), Length(max=limits.HELP_MESSAGE_MAX, message=TOO_LONG)],
                         render_kw={"rows": 4, "maxlength": limits.HELP_MESSAGE_MAX})
    audio = FileField(_l("A voice recording (optional)"), render_kw={"accept": "audio/*", "capture": True})


class CloseForm(FlaskForm):
    outcome = RadioField(_l("How did it end?"), default="resolved",
                         choices=[SelectChoice(code, label) for code, label in OUTCOME_LABELS.items()])


class ClaimForm(FlaskForm):
    pass
