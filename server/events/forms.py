from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from ..userinput import TOO_LONG, SelectChoice
from .labels import ANSWER_LABELS, KIND_LABELS
from .models import DIMENSIONS, EVENT_KINDS, EVENT_PLACE_MAX, EVENT_TITLE_MAX, HEAD_COUNT_MAX

COUNT_RANGE = _l("Enter a whole number from 0 to %(max)s.")


class EventForm(FlaskForm):
    kind = SelectField(_l("Kind of event"), choices=[SelectChoice(k, KIND_LABELS[k]) for k in EVENT_KINDS])
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=EVENT_TITLE_MAX, message=TOO_LONG)])
    starts_on = DateField(_l("Date (the first day)"), validators=[DataRequired()])
    ends_on = DateField(_l("Last day (optional, for camps and events of several days)"), validators=[Optional()])
    place = StringField(_l("Where? (optional)"),
                        description=_l("A town or a few words, such as: the community centre. Never an address, map link or coordinates."),
                        validators=[Length(max=EVENT_PLACE_MAX, message=TOO_LONG)])


class AttendanceForm(FlaskForm):
    """The head count and the anonymous counts; the members who came are rows of checkboxes and
    selects named present-<id>, gender-<id>, age-<id>, origin-<id> (events/routes.py reads them)."""
    head_count = IntegerField(_l("How many people came, in all?"),
                              validators=[InputRequired(), NumberRange(min=0, max=HEAD_COUNT_MAX, message=COUNT_RANGE)],
                              render_kw={"inputmode": "numeric", "min": 0})


def tally_field_name(dimension: str, value: str) -> str:
    return f"{dimension}_{value}"


for _dimension, _values in DIMENSIONS.items():
    for _value in _values:
        setattr(AttendanceForm, tally_field_name(_dimension, _value), IntegerField(
            ANSWER_LABELS[_dimension][_value],
            validators=[Optional(), NumberRange(min=0, max=HEAD_COUNT_MAX, message=COUNT_RANGE)],
            render_kw={"inputmode": "numeric", "min": 0}))


class DeleteEventForm(FlaskForm):
    confirm = BooleanField(_l("Delete this event and its attendance. Stories told at it stay."),
                           validators=[DataRequired()])
