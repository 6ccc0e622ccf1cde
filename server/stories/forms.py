from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from .. import limits

# Languages offered in the write form; the API accepts any BCP 47 tag.
STORY_LANGUAGES = [
    ("en", "English"), ("it", "Italiano"), ("ar", "العربية"), ("uk", "Українська"),
    ("sr", "Srpski"), ("nl", "Nederlands"), ("fr", "Français"), ("fa", "فارسی"),
    ("ur", "اردو"), ("ps", "پښتو"), ("ru", "Русский"), ("tr", "Türkçe"), ("es", "Español"),
]


class StoryForm(FlaskForm):
    # Made on the server when the form is shown: posting the same form twice stores one story.
    id = HiddenField()
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=limits.STORY_TITLE_MAX)])
    body = TextAreaField(_l("Your story"), validators=[DataRequired(), Length(max=limits.STORY_BODY_MAX)])
    language = SelectField(_l("Language of the story"), choices=STORY_LANGUAGES)
    community = SelectField(_l("Community"), choices=[])
    visibility = RadioField(_l("Who may read it?"), default="community", choices=[
        ("public", _l("Everyone (public)")),
        ("community", _l("Only my community")),
        ("facilitators", _l("Only the facilitators")),
    ])
    author_display = RadioField(_l("Show me as"), default="pseudonym", choices=[
        ("pseudonym", _l("My username")),
        ("name", _l("My name")),
        ("anonymous", _l("Anonymous")),
    ])
    base_etag = HiddenField()


class ModerationForm(FlaskForm):
    reason = StringField(_l("Reason (sent to the author)"), validators=[Length(max=1000)])
