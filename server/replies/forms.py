"""The reply form and the small action forms under a story. The service checks every value again."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, HiddenField, TextAreaField
from wtforms.validators import Length

from .. import limits
from ..userinput import TOO_LONG


class ReplyForm(FlaskForm):
    # The id the phone made (forms.js fills it), so a form sent twice is stored once.
    id = HiddenField()
    body = TextAreaField(_l("Your reply"), validators=[Length(max=limits.REPLY_BODY_MAX, message=TOO_LONG)])
    # A short recording from the phone's own recorder (checked by content, audio only, at most
    # limits.REPLY_AUDIO_MAX_BYTES); words, a recording or both.
    audio = FileField(_l("A voice recording (optional)"), render_kw={"accept": "audio/*", "capture": True})
    # A reply shows the username, as a story by "My username" does: the voice is disguised
    # unless the person unticks it, the same rule as the story form's (#17).
    disguise_voice = BooleanField(_l("Disguise my voice"), default=True,
                                  description=_l("Your voice is made higher or lower so people who know it do not recognise it; the words stay clear."))


class ReplyActionForm(FlaskForm):
    """A reaction, delete, publish, hide, replies off/on: a CSRF token and nothing else."""
