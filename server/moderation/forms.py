"""Forms of the review pages and of the report button. The service checks every value again
(moderation/service.py); these give the plain HTML forms their CSRF token and their words."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField, TextAreaField
from wtforms.validators import Length

from .. import limits
from ..userinput import TOO_LONG, SelectChoice
from .models import MODERATION_REASONS, REPORT_REASONS
from .reasons import MODERATION_REASON_CHOICES, REPORT_REASON_LABELS


class ModerationForm(FlaskForm):
    """Publish, reject, hide, unhide; and the answers to reports (dismiss, hide, reject).

    ``reason`` is a code; anything else is taken as a note (service.parse_reason)."""
    reason = SelectField(_l("Reason (the author sees it in their language)"), validate_choice=False, default="",
                         choices=[SelectChoice("", _l("Choose a reason"))] +
                         [SelectChoice(code, MODERATION_REASON_CHOICES[code]) for code in MODERATION_REASONS])
    note = TextAreaField(_l("Note to the author (optional)"),
                         validators=[Length(max=limits.REPORT_NOTE_MAX, message=TOO_LONG)])


class ReportForm(FlaskForm):
    reason = RadioField(_l("What is wrong with this story?"), validate_choice=False,
                        choices=[SelectChoice(code, REPORT_REASON_LABELS[code]) for code in REPORT_REASONS])
    note = TextAreaField(_l("Anything the facilitators should know (optional)"),
                         validators=[Length(max=limits.REPORT_NOTE_MAX, message=TOO_LONG)])
