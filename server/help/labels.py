"""What the fixed codes of help requests are called, in the reader's language."""
from flask_babel import lazy_gettext as _l

TOPIC_LABELS = {
    "education_school": _l("Education and school enrolment"),
    "work": _l("Work"),
    "housing": _l("Housing"),
    "health": _l("Health"),
    "documents": _l("Documents and public services"),
    "family": _l("Family"),
    "other": _l("Other"),
}
STATE_LABELS = {
    "open": _l("Waiting for a mediator or coach"),
    "claimed": _l("A mediator or coach is helping"),
    "closed": _l("Closed"),
}
OUTCOME_LABELS = {
    "resolved": _l("Resolved"),
    "referred": _l("Referred to another service"),
    "no_longer_needed": _l("No longer needed"),
    "could_not_help": _l("We could not help"),
}
