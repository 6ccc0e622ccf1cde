"""The Serbian Cyrillic catalog (sr_Cyrl) is made from the Serbian Latin one (sr_Latn).

Serbian is written in both scripts and the two map one to one, so sr_Cyrl is never translated
by hand: translate or fix sr_Latn, then `kultialogo translate compile` writes sr_Cyrl and
compiles both. tests/i18n checks that the committed sr_Cyrl is up to date.

Only msgstr text is transliterated. Left as they are: placeholders (%(name)s, %s, {name}),
HTML tags and entities, URLs, and Latin-only tokens that Serbian Cyrillic text keeps in Latin
(the app's name, file formats, technical names; see LATIN_TOKENS). PIN, KB, MB and ID are
transliterated (ПИН, КБ, МБ, ИД), as Serbian Cyrillic usage writes them.
"""
import io
import re
from pathlib import Path

from babel.messages.pofile import read_po, write_po

TRANSLATIONS = Path(__file__).resolve().parent / "translations"
CATALOG_WIDTH = 100  # every catalog's lines, as `kultialogo translate` writes them (cli.py)
SOURCE = TRANSLATIONS / "sr_Latn" / "LC_MESSAGES" / "messages.po"
TARGET = TRANSLATIONS / "sr_Cyrl" / "LC_MESSAGES" / "messages.po"

# Words kept in Latin script (whole words, case-sensitive).
LATIN_TOKENS = [
    "Kultialogo", "QR", "PWA", "UUID", "JSON", "UTF-8", "SHA-256", "ISO", "JPEG", "PNG", "WebP",
    "Opus", "Ogg", "M4A", "MP3", "WAV", "zip", "type", "op", "id", "application/json", "CSV", "UTC",
    # Language codes given as examples: people type them in Latin letters whatever the script.
    "en", "it", "sr", "nl", "uk", "fa", "ar", "ur", "ps", "fr", "sr-Latn", "sr-Cyrl",
]
# Spans never touched: placeholders, {name} fields, HTML tags and entities, URLs, Latin tokens,
# and the JSON key "data" where it follows "id i" (elsewhere "data" is Serbian: "data" = given).
PROTECTED = re.compile(
    r"%\([^)]*\)[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]"
    r"|%[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa%]"
    r"|\{[^{}\s]*\}"
    r"|<[^>]*>"
    r"|&(?:[A-Za-z]+|#\d+|#x[0-9A-Fa-f]+);"
    r"|(?:https?://|www\.)\S+"
    r"|(?<![\w/-])(?:" + "|".join(re.escape(t) for t in sorted(LATIN_TOKENS, key=len, reverse=True)) + r")(?![\w/-])"
    r"|(?<=\bid i )data\b"
)

# Where two Latin letters that look like a digraph are two sounds: a prefix ending in d before ž
# (od-žaliti, nad-živeti, pod-žanr, pred-žetveni: одж, not џ), and n before j in a few loanwords
# and compounds (injekcija, konjunkcija, vanjezički). A marker keeps them apart.
SPLIT = "\ue000"
DIGRAPH_EXCEPTIONS = [
    re.compile(r"(?i)\b(od|nad|pod|pred|ispod|iznad|ponad)(?=ž)"),
    re.compile(r"(?i)\b(in)(?=j[aeiou])"),
    re.compile(r"(?i)\b(kon)(?=junk)"),
    re.compile(r"(?i)\b(van)(?=jezi)"),
]

DIGRAPHS = {"DŽ": "Џ", "Dž": "Џ", "dž": "џ", "LJ": "Љ", "Lj": "Љ", "lj": "љ", "NJ": "Њ", "Nj": "Њ", "nj": "њ"}
LETTERS = dict(zip(
    "ABCČĆDĐEFGHIJKLMNOPRSŠTUVZŽabcčćdđefghijklmnoprsštuvzž",
    "АБЦЧЋДЂЕФГХИЈКЛМНОПРСШТУВЗЖабцчћдђефгхијклмнопрсштувзж",
))
DIGRAPH_RE = re.compile("|".join(DIGRAPHS))


def _plain(text: str) -> str:
    """Transliterate text that holds no protected span."""
    for pattern in DIGRAPH_EXCEPTIONS:
        text = pattern.sub(lambda m: m.group(1) + SPLIT, text)
    text = DIGRAPH_RE.sub(lambda m: DIGRAPHS[m.group(0)], text)
    return "".join(LETTERS.get(ch, ch) for ch in text).replace(SPLIT, "")


def to_cyrillic(text: str) -> str:
    out, last = [], 0
    for match in PROTECTED.finditer(text):
        out.append(_plain(text[last:match.start()]))
        out.append(match.group(0))
        last = match.end()
    out.append(_plain(text[last:]))
    return "".join(out)


def _convert(string):
    if isinstance(string, (tuple, list)):
        return type(string)(to_cyrillic(s) if s else s for s in string)
    return to_cyrillic(string) if string else string


def build(translations: Path = TRANSLATIONS) -> bytes:
    """sr_Cyrl's catalog, made from sr_Latn's in the translations folder given (a checkout's,
    which is not this package's when the package is installed)."""
    source = translations / SOURCE.relative_to(TRANSLATIONS)
    with source.open("rb") as fh:
        catalog = read_po(fh, locale="sr_Latn")
    catalog.locale = "sr_Cyrl"
    catalog.language_team = "Српски (ћирилица)"
    catalog.header_comment = (
        "# Serbian (Cyrillic) translations for Kultialogo.\n"
        "# Copyright (C) 2026 Kultialogo contributors\n"
        "# This file is distributed under the same license as the Kultialogo project.\n"
        "#\n"
        "# GENERATED from sr_Latn by `kultialogo translate compile` (kultialogo/i18n/serbian.py):\n"
        "# do not edit by hand; change sr_Latn/LC_MESSAGES/messages.po and compile again.\n"
        "#"
    )
    for message in list(catalog) + list(catalog.obsolete.values()):
        if message.id:
            message.string = _convert(message.string)
    buffer = io.BytesIO()
    write_po(buffer, catalog, width=CATALOG_WIDTH)
    return _same_generator(buffer.getvalue(), source)


GENERATED_BY = re.compile(rb'^"Generated-By: [^"\n]*\\n"$', re.M)


def _same_generator(data: bytes, source: Path) -> bytes:
    """sr_Cyrl names the Babel that wrote sr_Latn, not whichever Babel runs now, so the file
    does not change (and the check does not fail) with each Babel release."""
    line = GENERATED_BY.search(source.read_bytes())
    return GENERATED_BY.sub(lambda _: line.group(0), data, count=1) if line else data


def write(translations: Path = TRANSLATIONS) -> bool:
    """Write sr_Cyrl from sr_Latn; True if it changed."""
    data = build(translations)
    target = translations / TARGET.relative_to(TRANSLATIONS)
    if target.is_file() and target.read_bytes() == data:
        return False
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    return True
