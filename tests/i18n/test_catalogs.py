"""The translation catalogs: complete, consistent with the sources, and compiled as committed."""
import gettext
import re
from configparser import ConfigParser
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from kultialogo.config import Config

ROOT = Path(__file__).resolve().parents[2]
I18N = ROOT / "server" / "i18n"
LOCALES = [code for code in Config.SUPPORTED_LOCALES if code != Config.BABEL_DEFAULT_LOCALE]
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")
# The keywords `kultialogo translate extract` passes for Python, beside babel.cfg's own.
PYTHON_KEYWORDS = {"_l": None, "lazy_gettext": None, "lazy_ngettext": (1, 2)}


def _po(locale: str) -> Catalog:
    with (I18N / "translations" / locale / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        return read_po(fh, locale=locale)


def _source_msgids() -> set[str]:
    """Extract the sources now, the way `kultialogo translate extract` does."""
    from babel.messages.extract import DEFAULT_KEYWORDS
    from babel.messages.frontend import parse_mapping_cfg
    with (ROOT / "babel.cfg").open() as fh:
        method_map, options_map = parse_mapping_cfg(fh)
    keywords = {**DEFAULT_KEYWORDS, **PYTHON_KEYWORDS}
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
            str(ROOT), method_map, options_map, keywords=keywords):
        found.add(message[0] if isinstance(message, tuple) else message)
    return found


def _placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text))


def test_template_has_every_marked_string_of_the_sources():
    with (I18N / "messages.pot").open("rb") as fh:
        template = {m.id[0] if m.pluralizable else m.id for m in read_po(fh) if m.id}
    missing = _source_msgids() - template
    assert not missing, f"run `kultialogo translate update` and translate: {sorted(missing)}"


@pytest.mark.parametrize("locale", LOCALES)
def test_catalog_translates_every_message_without_fuzzy_entries(locale):
    with (I18N / "messages.pot").open("rb") as fh:
        template = read_po(fh)
    catalog = _po(locale)
    assert not catalog.fuzzy, "the catalog header is marked fuzzy"
    for message in template:
        if not message.id:
            continue
        entry = catalog.get(message.id)
        assert entry is not None, f"{locale}: missing {message.id!r}"
        assert not entry.fuzzy, f"{locale}: fuzzy {message.id!r}"
        forms = entry.string if entry.pluralizable else (entry.string,)
        assert len(forms) == (catalog.num_plurals if entry.pluralizable else 1)
        assert all(forms), f"{locale}: untranslated {message.id!r}"
    assert not [m.id for m in catalog.obsolete.values()], f"{locale}: obsolete entries"


@pytest.mark.parametrize("locale", LOCALES)
def test_translations_keep_the_placeholders(locale):
    catalog = _po(locale)
    assert not [(m.id, errors) for m, errors in catalog.check()], "babel's checkers found problems"
    for message in catalog:
        if not message.id:
            continue
        if message.pluralizable:
            expected = _placeholders(message.id[0]) | _placeholders(message.id[1])
            for form in message.string:
                # A form for exactly zero, one or two may spell the number out instead of %(num)s.
                assert expected - {"num"} <= _placeholders(form) <= expected, (message.id, form)
        else:
            assert _placeholders(message.string) == _placeholders(message.id), (message.id, message.string)


@pytest.mark.parametrize("locale", LOCALES)
def test_committed_mo_matches_the_po(locale):
    catalog = _po(locale)
    with (I18N / "translations" / locale / "LC_MESSAGES" / "messages.mo").open("rb") as fh:
        compiled = read_mo(fh)
    def key(message):  # plural messages' ids and strings come back as lists or tuples
        return tuple(message.id) if isinstance(message.id, (list, tuple)) else message.id

    def text(message):
        return tuple(message.string) if isinstance(message.string, (list, tuple)) else message.string

    expected = {key(m): text(m) for m in catalog if m.id and not m.fuzzy and m.string}
    got = {key(m): text(m) for m in compiled if m.id}
    assert got == expected, "run `kultialogo translate compile` and commit the .mo files"
    assert compiled.plural_forms == catalog.plural_forms


def test_arabic_has_six_plural_forms_by_the_gettext_rule():
    catalog = _po("ar")
    assert catalog.num_plurals == 6
    rule = gettext.c2py(catalog.plural_expr)
    # zero, one, two, few (3-10), many (11-99), other (100-102 ...), as CLDR says.
    assert [rule(n) for n in (0, 1, 2, 3, 10, 11, 99, 100, 101, 102, 103, 111, 1000)] == \
        [0, 1, 2, 3, 3, 4, 4, 5, 5, 5, 3, 4, 5]


def test_the_app_ships_a_compiled_catalog_for_each_supported_locale():
    for locale in LOCALES:
        assert gettext.translation("messages", str(I18N / "translations"), languages=[locale])
