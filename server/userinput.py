"""User input every domain takes in the same way: cleaning user text and language tags, choice
fields, our own length message.

Shared plumbing: it imports no domain, so accounts, stories, events and the rest can all use
it without importing each other.
"""
import re
import unicodedata
from functools import lru_cache

from babel import Locale
from flask_babel import lazy_gettext as _l

from .errors import Problem

try:
    from wtforms.fields.choices import SelectChoice
except ImportError:  # WTForms < 3.3 takes (value, label, render_kw) tuples, 3.3 deprecates them
    def SelectChoice(value, label, render_kw=None):
        return (value, label, render_kw or {})

__all__ = ["clean_text", "clean_language", "LANGUAGE_TAG_MAX", "SelectChoice", "TOO_LONG"]

# C0/C1 controls except tab and newline; lone surrogates (JSON "\ud800" decodes to one);
# non-characters. Bidi controls are allowed: they are rendered isolated.
_BAD_TEXT = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_LANGTAG = re.compile(
    r"^(?P<lang>[a-z]{2,3})(-(?P<script>[a-z]{4}))?(-(?P<region>[a-z]{2}|[0-9]{3}))?"
    r"(-([a-z0-9]{5,8}|[0-9][a-z0-9]{3}))*$", re.IGNORECASE)

# Our own words for WTForms' length check: its Arabic catalog lacks most plural forms of it.
TOO_LONG = _l("At most %(max)d characters.")

def clean_text(value, field: str, max_len: int, *, multiline: bool) -> str:
    if not isinstance(value, str):
        raise Problem("bad_type", field=field)
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    if not multiline:
        value = value.replace("\n", " ").replace("\t", " ")
    if _BAD_TEXT.search(value):
        raise Problem("bad_text", field=field)
    value = unicodedata.normalize("NFC", value).strip()
    if len(value) > max_len:
        raise Problem("too_long", field=field, max=max_len)
    return value


@lru_cache(maxsize=1)
def _known_languages() -> frozenset[str]:
    return frozenset(code.lower() for code in Locale("en").languages)


LANGUAGE_TAG_MAX = 35  # stories.language is String(35), the length BCP 47 asks every tag store to take


def clean_language(value) -> str:
    if not isinstance(value, str):
        raise Problem("bad_type", field="language")
    if len(value.strip()) > LANGUAGE_TAG_MAX:
        raise Problem("bad_language", field="language")  # PostgreSQL would refuse it with a 500
    match = _LANGTAG.match(value.strip())
    if not match or match.group("lang").lower() not in _known_languages():
        raise Problem("bad_language", field="language")
    # Canonical case: language lower, Script title, REGION upper ("sr-Latn-RS").
    parts = value.strip().split("-")
    out = [parts[0].lower()]
    for part in parts[1:]:
        if len(part) == 4 and part.isalpha():
            out.append(part.title())
        elif len(part) in (2, 3) and (part.isalpha() or part.isdigit()):
            out.append(part.upper())
        else:
            out.append(part.lower())
    return "-".join(out)
