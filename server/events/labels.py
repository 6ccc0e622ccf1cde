"""Event kinds and attendance answers in words, translated when shown (pages, dashboard)."""
from flask_babel import lazy_gettext as _l

from .models import NOT_GIVEN

KIND_LABELS = {
    "assembly": _l("Assembly"),
    "storytelling": _l("Storytelling session"),
    "exchange": _l("Intercultural exchange"),
    "camp": _l("Summer camp"),
    "training": _l("Training"),
}

DIMENSION_NAMES = {"gender": _l("Gender"), "age": _l("Age"), "origin": _l("Newcomer or local")}

ANSWER_LABELS = {
    "gender": {"woman": _l("Woman"), "man": _l("Man"), "other": _l("Other or self-described"),
               NOT_GIVEN: _l("Not given")},
    "age": {"under_18": _l("Under 18"), "18_25": _l("18 to 25"), "26_40": _l("26 to 40"),
            "41_65": _l("41 to 65"), "over_65": _l("Over 65"), NOT_GIVEN: _l("Not given")},
    "origin": {"newcomer": _l("Newcomer"), "local": _l("Local"), NOT_GIVEN: _l("Not given")},
}
