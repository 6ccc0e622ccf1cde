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
import hashlib
import re
import unicodedata
from dataclasses import dataclass

import phonenumbers
from flask_babel import force_locale, gettext

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


def placeholder(kind: str, language: str) -> str:
    """What replaces a span, in the language of the text it stands in (a moderator's redaction,
    and the writer's own choice on the phone, which uses the same msgids)."""
    with force_locale((language or "en").replace("-", "_")):
        return {PHONE: gettext("[phone number removed]"),
                EMAIL: gettext("[e-mail removed]"),
                ADDRESS: gettext("[address removed]"),
                ID_NUMBER: gettext("[document number removed]"),
                NAME: gettext("[name removed]")}[kind]


def kind_labels() -> dict:
    """The kinds as people are shown them (moderation queue, the writer's form), in their language."""
    return {PHONE: gettext("Phone number"), EMAIL: gettext("E-mail address"),
            ADDRESS: gettext("Street address"), ID_NUMBER: gettext("Document number"),
            NAME: gettext("Full name of someone in the community")}


def digest(text: str) -> str:
    """Names a span's words in a form without them (a form carries it back)."""
    return hashlib.sha256(text.encode()).hexdigest()[:16]


# --- A plain form's second look (no JavaScript) ----------------------------------------------
# The form is shown again once with what was found, a Keep / Remove / Replace choice per span
# (radio `pii-<n>`, where it is in `pii-<n>-at`: "field:start:end:kind:digest") and the hidden
# `pii_checked`; the post that carries `pii_checked` is stored with the choices made. Nothing is
# ever refused: a span whose words moved (the person edited the text) is kept as it is.
CHOICES = ("keep", "remove", "replace")


@dataclass(frozen=True)
class Asked:
    n: int
    field: str
    span: Span

    @property
    def at(self) -> str:
        return f"{self.field}:{self.span.start}:{self.span.end}:{self.span.kind}:{digest(self.span.text)}"


def to_ask(fields: dict, language: str | None, names=()) -> list[Asked]:
    """The spans to ask about in a form's text fields ({name: text}), numbered."""
    found = [(name, span) for name, text in fields.items() for span in find(text or "", language, names)]
    return [Asked(n, name, span) for n, (name, span) in enumerate(found)]


def _cut(text: str, start: int, end: int, instead: str) -> str:
    before, after = text[:start], text[end:]
    if not instead and re.match(r"[\s.,;:!?)]", after):
        before = before.rstrip()  # removed: one space where there were two
    return before + instead + after


def chosen(fields: dict, form, language: str | None) -> dict:
    """The text fields with the person's choices made (``form``: the posted MultiDict)."""
    out = dict(fields)
    picked = []
    for key in form:
        match = re.fullmatch(r"pii-(\d{1,3})-at", key)
        if not match:
            continue
        try:
            field, start, end, kind, words = form[key].split(":")
            start, end = int(start), int(end)
        except ValueError:
            continue
        what = form.get(f"pii-{match.group(1)}", "keep")
        text = out.get(field)
        if (what in ("remove", "replace") and kind in KINDS and isinstance(text, str)
                and 0 <= start < end <= len(text) and digest(text[start:end]) == words):
            picked.append((field, start, end, kind, what))
    for field, start, end, kind, what in sorted(picked, key=lambda p: -p[1]):  # from the end
        out[field] = _cut(out[field], start, end, placeholder(kind, language) if what == "replace" else "")
    return out


def second_look(form, fields: dict, language: str | None, names=()) -> tuple[dict, list[Asked]]:
    """A plain form's text fields ({name: text}) as they are to be stored, and the spans to ask
    about first (none once the form says it was asked: `pii_checked`)."""
    if form.get("pii_checked"):
        return (fields if form.get("pii_as_is") else chosen(fields, form, language)), []
    return fields, to_ask(fields, language, names)


def second_look_page(form, asked: list[Asked]):
    """The page that asks (for forms under a story, which otherwise go back to the story): the
    post's own fields carried as they were, the choices, and Send / Send as it is to the same
    address. A file cannot be carried: a post with one is not asked about (the caller checks)."""
    from flask import render_template, request
    carried = [(key, value) for key in form if key != "csrf_token" and not key.startswith("pii")
               for value in form.getlist(key)]
    return render_template("pii_confirm.html", action=request.path, carried=carried, pii=asked,
                           pii_labels=kind_labels())


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


# --- Names on the phone, without a list of names (pwa/js/disclosure.js) ---------------------
# The phone gets short salted hashes of the other members' full names (GET
# /api/v1/communities/<slug>/name-hashes) and hashes each run of 2-4 words of the text the same
# way. 20 bits: with a few hundred members a match is a likely name, and each hash stands for
# thousands of possible names, so the list does not reveal who is in the community.
NAME_HASH_BITS = 20
NAME_WORDS = (2, 4)  # the phone looks at runs of this many words (a longer name is not sent)


def fold_name(name: str) -> str:
    """Lower case, accents and other combining marks away, words single-spaced."""
    text = "".join(c for c in unicodedata.normalize("NFD", name or "") if unicodedata.category(c) != "Mn")
    return " ".join(text.lower().split())


def name_hash(salt: str, name: str) -> int:
    """FNV-1a (32 bits) of "<salt> <folded name>" in UTF-8, cut to NAME_HASH_BITS (the low bits)."""
    h = 0x811C9DC5
    for byte in f"{salt} {fold_name(name)}".encode():
        h = ((h ^ byte) * 0x01000193) & 0xFFFFFFFF
    return h & ((1 << NAME_HASH_BITS) - 1)


def name_hashes(salt: str, names) -> list[int]:
    """The sorted, distinct hashes of the full names (2-4 words) among ``names``."""
    low, high = NAME_WORDS
    return sorted({name_hash(salt, n) for n in names if low <= len((n or "").split()) <= high})
