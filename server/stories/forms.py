from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, HiddenField, RadioField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import Length, StopValidation

from .. import limits
from ..userinput import TOO_LONG, SelectChoice

# Languages offered in the write form, each named in itself (lang= so it is read and shaped
# right); the API accepts any BCP 47 tag.
STORY_LANGUAGES = [SelectChoice(code, name, render_kw={"lang": code}) for code, name in (
    ("en", "English"), ("it", "Italiano"), ("ar", "العربية"), ("uk", "Українська"),
    ("sr", "Srpski"), ("nl", "Nederlands"), ("fr", "Français"), ("fa", "فارسی"),
    ("ur", "اردو"), ("ps", "پښتو"), ("ru", "Русский"), ("tr", "Türkçe"), ("es", "Español"),
)]


# Tells the page's script (pwa/js/compose.js) that the field stops being required once a photo
# or a recording is attached.
OPTIONAL_WITH_MEDIA = {"data-optional-with-media": True}


class RequiredUnlessMedia:
    """Required, unless the story has a photo or a recording: a voice story may have no words
    at all (the schema's rule, stories/schema.py; said here in the form's own words)."""
    field_flags = {"required": True}
    message = _l("Write something here, or add a photo or a voice recording.")

    def __call__(self, form, field):
        if field.data and field.data.strip():
            return
        files = [getattr(form, name, None) for name in ("photo", "audio")]
        if any(f is not None and getattr(f.data, "filename", None) for f in files) or form.kept_media.data:
            raise StopValidation()
        raise StopValidation(self.message)


class StoryForm(FlaskForm):
    # Made on the server when the form is shown: posting the same form twice stores one story.
    id = HiddenField()
    title = StringField(_l("Title"), validators=[RequiredUnlessMedia(), Length(max=limits.STORY_TITLE_MAX, message=TOO_LONG)],
                        render_kw=OPTIONAL_WITH_MEDIA)
    body = TextAreaField(_l("Your story"), validators=[RequiredUnlessMedia(), Length(max=limits.STORY_BODY_MAX, message=TOO_LONG)],
                         render_kw=OPTIONAL_WITH_MEDIA)
    language = SelectField(_l("Language of the story"), choices=STORY_LANGUAGES)
    community = SelectField(_l("Community"), choices=[])
    # An event id of the chosen community, or "" (templates/stories/_event_select.html draws it
    # grouped by community); the story service checks it (unknown_event), not the form.
    event = SelectField(_l("Told at an event (optional)"), choices=[], validate_choice=False, default="")
    visibility = RadioField(_l("Who may read it?"), default="community", choices=[
        SelectChoice("public", _l("Everyone (public)")),
        SelectChoice("community", _l("Only my community")),
        SelectChoice("facilitators", _l("Only the facilitators")),
    ])
    author_display = RadioField(_l("Show me as"), default="pseudonym", choices=[
        SelectChoice("pseudonym", _l("My username")),
        SelectChoice("name", _l("My name")),
        SelectChoice("anonymous", _l("Anonymous")),
    ])
    base_etag = HiddenField()
    # Without JavaScript a story still takes a photo and a recording (checked like tus uploads).
    photo = FileField(_l("A photo (optional)"), render_kw={"accept": "image/jpeg,image/png,image/webp"})
    # capture: phones offer their sound recorder at once (the app's own recorder, with JS, drops it).
    audio = FileField(_l("A voice recording (optional)"), render_kw={"accept": "audio/*", "capture": True})
    # Checked unless the author shows their name (the safe default, also without JavaScript:
    # author_display defaults to "pseudonym"); the server disguises the recording in memory.
    disguise_voice = BooleanField(_l("Disguise my voice"), default=True,
                                  description=_l("Your voice is made higher or lower so people who know it do not recognise it; the words stay clear."))
    # A public story with a photo or a recording is shown back before it is published (#17,
    # templates/stories/confirm.html): its files are stored by then and come back here by
    # SHA-256 (media/ keeps only the person's own), and "confirmed" says the person saw it.
    kept_media = SelectMultipleField(choices=[], validate_choice=False, default=[])
    confirmed = HiddenField()
    # Safety choices, asked in plain words (schema.py checks them for the API too).
    place = StringField(_l("Where did it happen? (optional)"),
                        description=_l("A town or a few words, such as: a town by the sea. Never an address, map link or coordinates."),
                        validators=[Length(max=limits.STORY_PLACE_MAX, message=TOO_LONG)])
    about_minor = BooleanField(_l("This story is about or by a child (under 18)"))
    guardian_consent = BooleanField(_l("A parent or guardian agrees to sharing it"))
    # A reminder, not stored: the person ticks what they checked.
    check_face = BooleanField(_l("No photo shows a face that could be recognised"))
    check_name = BooleanField(_l("No full names (mine or anyone else's)"))
    check_place = BooleanField(_l("No exact place: no address, camp section or workplace"))
