"""A pseudo-locale built at test time: every interface string accented and made about 40% longer,
placeholders and HTML left intact. A page in it shows any string that skipped the catalogs
(plain English letters) and any box too small for longer translations.

The strings are extracted from the sources now (as `kultialogo translate extract` does), not
read from messages.pot: a string marked for translation but not yet in the template is still
translated here, so this test is about marking, and tests/i18n about the catalogs being current.

The catalog gets the code ``el``: its CLDR data (dates, numbers, two plural forms) is Greek, so
whatever Babel or the browser's Intl formats comes out in Greek script, and a date spelt out in
English by hand would show up too. No real Greek catalog exists; the test checks that.
"""
import math
import re
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import write_po

ROOT = Path(__file__).resolve().parents[2]
CODE = "el"
# What must come through untouched: Python placeholders, HTML tags, entities, JS-style braces.
KEEP = re.compile(r"(%\(\w+\)[sdifr]|%[sdifr%]|<[^>]*>|&#?\w+;|\{\w*\})")
PLAIN = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
ACCENTED = "åƀçđéƒĝĥîĵķļɱñöþǫŕšţûṽŵẋýžÅƁÇĐÉƑĜĤÎĴĶĻṀÑÖÞǪŔŠŢÛṼŴẊÝŽ"
ACCENT = str.maketrans(PLAIN, ACCENTED)
# Filler words (accented too), so longer text can wrap as real translations do.
FILLER = "ţŵö ţĥŕéé ƒöûŕ ƒîṽé šîẋ šéṽéñ éîĝĥţ ñîñé ţéñ éļéṽéñ ţŵéļṽé"
# The keywords `kultialogo translate extract` passes for Python, beside babel.cfg's own.
PYTHON_KEYWORDS = {"_l": None, "lazy_gettext": None, "lazy_ngettext": (1, 2)}


def pseudo(text: str) -> str:
    """'Sign in as %(name)s' -> '[Šîĝñ îñ åš %(name)s ţŵö ţĥŕ]': accented, 40% longer, bracketed."""
    if not text:
        return text
    parts = KEEP.split(text)
    out = "".join(part if n % 2 else part.translate(ACCENT) for n, part in enumerate(parts))
    visible = sum(len(part) for n, part in enumerate(parts) if not n % 2)
    extra = math.ceil(visible * 0.4)
    padding = (FILLER * (extra // len(FILLER) + 1))[:extra].strip()
    return f"[{out}{' ' + padding if padding else ''}]"


def extract() -> list:
    """(msgid or (singular, plural), [(file, line)]) for every marked string of the sources."""
    from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
    from babel.messages.frontend import parse_mapping_cfg
    with (ROOT / "babel.cfg").open() as fh:
        method_map, options_map = parse_mapping_cfg(fh)
    found = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
            str(ROOT), method_map, options_map, keywords={**DEFAULT_KEYWORDS, **PYTHON_KEYWORDS}):
        key = message if isinstance(message, str) else tuple(message[:2])
        found.setdefault(key, []).append((filename, lineno))
    return list(found.items())


def build(folder: Path) -> Path:
    """Write <folder>/el/LC_MESSAGES/messages.po and .mo; returns folder (a translations dir)."""
    catalog = Catalog(locale=CODE, project="Kultialogo pseudo-locale")
    for message, locations in extract():
        if isinstance(message, tuple):
            forms = [pseudo(message[0])] + [pseudo(message[1])] * (catalog.num_plurals - 1)
            catalog.add(message, tuple(forms), locations=locations)
        elif message:
            catalog.add(message, pseudo(message), locations=locations)
    target = folder / CODE / "LC_MESSAGES"
    target.mkdir(parents=True, exist_ok=True)
    with (target / "messages.po").open("wb") as fh:
        write_po(fh, catalog, width=0)
    with (target / "messages.mo").open("wb") as fh:
        write_mo(fh, catalog)
    return folder
