"""The "Add a translation" form on a story page. The service checks every value again."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import Length

from .. import limits
from ..stories.forms import STORY_LANGUAGES
from ..userinput import TOO_LONG, SelectChoice


class TranslationForm(FlaskForm):
    language = SelectField(_l("Language of the translation"), choices=STORY_LANGUAGES, validate_choice=False)
    title = StringField(_l("Title"), validators=[Length(max=limits.STORY_TITLE_MAX, message=TOO_LONG)])
    body = TextAreaField(_l("Translation"), validators=[Length(max=limits.STORY_BODY_MAX, message=TOO_LONG)])
    translator_display = RadioField(_l("Show me as"), default="pseudonym", choices=[
        SelectChoice("pseudonym", _l("My username")),
        SelectChoice("name", _l("My name")),
        SelectChoice("anonymous", _l("Anonymous")),
    ])


class TranslationActionForm(FlaskForm):
    """Publish, reject or remove: a CSRF token and nothing else."""
