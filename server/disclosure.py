"""Personal data in a text: where a story, translation or reply names someone's phone number,
e-mail, street address, identity document or full name.

The phone points these out before sending (pwa/js/disclosure.js); the server finds the same
kinds again for the moderation queue, where a moderator may redact a span
(moderation/redaction.py). Detection only ever points: it never refuses a text.

Plumbing: pure functions over text, no database, no domain. Phone numbers come from
`phonenumbers` (Google's libphonenumber data: every country's formats and valid ranges);
the rest are patterns, tuned to miss years, dates, times and prices (tests/unit/test_disclosure.py
lists the false positives accepted).
"""
import re
import unicodedata
from dataclasses import dataclass

import phonenumbers

PHONE, EMAIL, ADDRESS, ID_NUMBER, NAME = "phone", "email", "address", "id_number", "name"
KINDS = (PHONE, EMAIL, ADDRESS, ID_NUMBER, NAME)

# Where the project works (Italy, Serbia, the Netherlands) and where many of its people come
# from (Ukraine, Afghanistan, Pakistan, Syria, Iran): a national number written without its
# +country code is recognised in any of them. The text's language is tried first.
_REGIONS = ("IT", "RS", "NL", "UA", "AF", "PK", "SY", "IR", "FR", "GB")
_LANGUAGE_REGIONS = {"it": "IT", "sr": "RS", "nl": "NL", "uk": "UA", "ps": "AF", "fa": "AF", "ur": "PK",
                     "ar": "SY", "fr": "FR", "en": "GB"}

_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[^\W\d_]{2,}(?!\w)")

# A street word and a house number near it, in every supported language. Latin and Cyrillic
# words stand before the street's name (Via Roma 12, ul. Kralja Petra 5, вул. Шевченка, 5) or
# end it (Kerkstraat 12, Baker Street, 12 rue de la Paix); Arabic-script words stand first
# (شارع الحمرا 12). The number: 1-4 digits (Western or Arabic-Indic), a letter or /n allowed.
_NUM = r"[0-9٠-٩۰-۹]{1,4}(?:[a-zA-Z](?!\w))?(?:/[0-9]{1,3})?"
_BEFORE = (r"via|viale|piazza|piazzale|corso|vicolo|largo|strada|"
           r"ulica|ulici|ulicu|ul\.|bulevar|trg|улица|улици|улицу|ул\.|булевар|трг|"
           r"вулиця|вул\.|проспект|просп\.|провулок|пров\.|площа|"
           r"rue|avenue|av\.|boulevard|bd\.|place|chemin|allée|impasse|"
           r"شارع|طريق|حي|خیابان|کوچه|بلوار|جاده|گلی|سڑک|روڈ|محلہ|سړک|کوڅه|واټ")
_ENDING_NL = r"[^\W\d_]+(?:straat|weg|laan|plein|gracht|kade|singel|dijk|steeg|hof)"
_ENDING_EN = r"(?:street|st\.|road|rd\.|avenue|ave\.|lane|drive|square|way)"
_WORDS = r"[^\W\d_][\w'’.-]*"
_ADDRESS = re.compile(
    rf"(?:\b(?:{_BEFORE})(?:\s+{_WORDS}){{1,4}},?\s+{_NUM}(?!\d)"          # Via dei Rossi 12, вул. Шевченка, 5
    rf"|(?<!\w)(?:{_BEFORE})\s+(?:{_WORDS}\s+){{0,3}}{_NUM}(?!\d)"        # شارع الحمرا 12 (Arabic script: no \b)
    rf"|\b{_ENDING_NL}\s+{_NUM}(?!\d)"                                     # Kerkstraat 12
    rf"|\b{_NUM}\s+(?:{_WORDS}\s+){{0,3}}{_ENDING_EN}(?!\w)"              # 12 Baker Street
    rf"|\b{_NUM},?\s+(?:rue|avenue|boulevard|place|chemin|allée|impasse)"  # 12 rue de la Paix, 3 avenue Victor Hugo
    r"(?:\s+(?:de|du|des|la|le|l'|d'|de la)){0,2}\s*(?-i:[A-ZÀ-Ý][\w'’-]*(?:\s+[A-ZÀ-Ý][\w'’-]*)?))",
    re.IGNORECASE)

# Identity documents: a passport or ID card (one or two letters and 6-9 digits: YA1234567,
# AB123456, CA12345AB), an IBAN (two letters, two digits, 11-30 letters or digits, maybe in
# groups of four), an Italian fiscal code (6 letters, 2 digits, a letter, 2 digits, a letter,
# 3 digits, a letter), a Pakistani CNIC (12345-1234567-1) or a Serbian JMBG (13 digits).
# Shorter runs of digits alone are phone numbers, years or amounts, never documents here.
_ID = re.compile(
    r"\b(?:[A-Z]{2}\d{2}(?:\s?[A-Z0-9]{4}){2,7}(?:\s?[A-Z0-9]{1,3})?"     # IBAN
    r"|[A-Z]{6}\d{2}[A-Z]\d{2}[A-Z]\d{3}[A-Z]"                             # codice fiscale
    r"|[A-Z]{1,2}\d{6,9}|[A-Z]{2}\d{5}[A-Z]{2}"
    r"|\d{5}-\d{7}-\d|\d{13})\b")                                             # Pakistani CNIC, Serbian JMBG


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    kind: str
    text: str


def _regions(language: str | None) -> list[str]:
    first = _LANGUAGE_REGIONS.get((language or "").split("-")[0].lower())
    return ([first] if first else []) + [r for r in _REGIONS if r != first]


# A date such as 12.05.2023 is a valid number in some country's plan: never a phone here.
_DATE = re.compile(r"^\d{1,4}[./-]\d{1,2}[./-]\d{1,4}$")


def _phones(text: str, language: str | None) -> list[Span]:
    out = []
    for region in _regions(language):
        for match in phonenumbers.PhoneNumberMatcher(text, region, leniency=phonenumbers.Leniency.VALID):
            if not _DATE.match(match.raw_string):
                out.append(Span(match.start, match.end, PHONE, match.raw_string))
    return out


def _fold(text: str) -> str:
    """Case and accents away, length kept (so offsets in the folded text are the text's)."""
    out = []
    for ch in text:
        base = unicodedata.normalize("NFD", ch)[0].casefold()
        out.append(base if len(base) == 1 else ch)
    return "".join(out)


def _names(text: str, names) -> list[Span]:
    folded, out = _fold(text), []
    for name in names:
        words = (name or "").split()
        if len(words) < 2:  # a first name alone names nobody in particular
            continue
        pattern = re.compile(r"(?<!\w)" + r"\s+".join(re.escape(_fold(w)) for w in words) + r"(?!\w)")
        out += [Span(m.start(), m.end(), NAME, text[m.start():m.end()]) for m in pattern.finditer(folded)]
    return out


def find(text: str, language: str | None = None, names=()) -> list[Span]:
    """Every span of personal data in ``text``, in order, overlaps merged (the longer wins).

    ``language``: the text's BCP 47 tag (its country's phone formats are tried first).
    ``names``: full names of the other people of the community (the author's own excluded).
    """
    if not text:
        return []
    found = _phones(text, language)
    found += [Span(m.start(), m.end(), EMAIL, m.group()) for m in _EMAIL.finditer(text)]
    found += [Span(m.start(), m.end(), ADDRESS, m.group()) for m in _ADDRESS.finditer(text)]
    found += [Span(m.start(), m.end(), ID_NUMBER, m.group()) for m in _ID.finditer(text)]
    found += _names(text, names)
    out: list[Span] = []
    for span in sorted(found, key=lambda s: (s.start, -(s.end - s.start))):
        if out and span.start < out[-1].end:
            continue  # inside or across the one before: an e-mail's digits, a number in an address
        out.append(span)
    return out


def pieces(text: str, spans) -> list[tuple[str, Span | None]]:
    """The text cut at the spans, for a template: [(words, None), (number, span), ...]."""
    out, at = [], 0
    for span in spans:
        if span.start > at:
            out.append((text[at:span.start], None))
        out.append((text[span.start:span.end], span))
        at = span.end
    if at < len(text):
        out.append((text[at:], None))
    return out
