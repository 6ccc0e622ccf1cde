"""The words for reason codes, translated when shown (never stored as text).

A decision is stored as a code, so its author reads why in their own language, whichever
language the facilitator uses, and a client can translate the code itself.
"""
from flask_babel import lazy_gettext as _l

from .models import MODERATION_REASONS, REASON_REPORTED, REPORT_REASONS

# Why a facilitator rejected or hid a story, as its author reads it.
MODERATION_REASON_LABELS = {
    "personal_data": _l("It shows personal details (a full name, an address, a face or a phone number) that could put someone at risk."),
    "hateful": _l("It is hateful or hurtful towards people."),
    "off_topic": _l("It does not belong in this community's stories."),
    "spam": _l("It is advertising or spam."),
    "other": _l("Another reason: please read the facilitator's note or ask them."),
    REASON_REPORTED: _l("Several people reported it. It is hidden until a facilitator looks at it."),
}

# Short names of the same codes, for the facilitator's choice.
MODERATION_REASON_CHOICES = {
    "personal_data": _l("Personal details"),
    "hateful": _l("Hateful or hurtful"),
    "off_topic": _l("Off topic"),
    "spam": _l("Spam"),
    "other": _l("Other"),
    REASON_REPORTED: _l("Reported by several people"),
}

# Why a person reports a story.
REPORT_REASON_LABELS = {
    "personal_data": _l("It exposes someone's personal details"),
    "hateful": _l("It is hateful or hurtful"),
    "spam": _l("It is spam or advertising"),
    "other": _l("Something else"),
}

assert set(MODERATION_REASONS) | {REASON_REPORTED} == set(MODERATION_REASON_LABELS) == set(MODERATION_REASON_CHOICES)
assert set(REPORT_REASONS) == set(REPORT_REASON_LABELS)


def moderation_reason_text(code: str | None) -> str | None:
    """The author's explanation for a rejection or hide, in the current language."""
    if not code:
        return None
    return str(MODERATION_REASON_LABELS.get(code, MODERATION_REASON_LABELS["other"]))


def moderation_reason_name(code: str | None) -> str:
    return str(MODERATION_REASON_CHOICES.get(code or "other", MODERATION_REASON_CHOICES["other"]))


def report_reason_text(code: str) -> str:
    return str(REPORT_REASON_LABELS.get(code, REPORT_REASON_LABELS["other"]))
