"""Serbian Cyrillic is made from Serbian Latin, never translated twice by hand."""
import io

import babel.messages.catalog
import pytest
from babel.messages.pofile import read_po

from kultialogo.i18n import serbian


@pytest.mark.parametrize("latin, cyrillic", [
    ("Njegova ljubav i džep", "Његова љубав и џеп"),
    ("LJUBAV", "ЉУБАВ"),
    ("injekcija, konjunkcija, odžaliti", "инјекција, конјункција, оджалити"),  # two sounds, not digraphs
    ("Zdravo, %(name)s!", "Здраво, %(name)s!"),                               # placeholders kept
    ("Otvori <a href=\"%(url)s\">Kultialogo</a> &amp; JSON", "Отвори <a href=\"%(url)s\">Kultialogo</a> &amp; JSON"),
])
def test_transliteration(latin, cyrillic):
    assert serbian.to_cyrillic(latin) == cyrillic


def _entries(data: bytes) -> dict:
    """What a catalog says: its messages and its headers, but not which Babel wrote it."""
    catalog = read_po(io.BytesIO(data))
    headers = {k: v for k, v in catalog.mime_headers if k != "Generated-By"}
    messages = {(m.id, m.context): (m.string, sorted(m.flags), m.auto_comments, m.user_comments, m.locations)
                for m in catalog}
    return {"headers": headers, "header_comment": catalog.header_comment, "messages": messages,
            "obsolete": {k: m.string for k, m in catalog.obsolete.items()}}


def test_the_committed_cyrillic_catalog_is_the_transliterated_latin_one():
    # If this fails: fix sr_Latn and run `kultialogo translate compile`, never edit sr_Cyrl.
    assert _entries(serbian.TARGET.read_bytes()) == _entries(serbian.build())


def test_a_newer_babel_does_not_change_the_cyrillic_catalog(monkeypatch):
    # Babel writes its own version into Generated-By; sr_Cyrl keeps sr_Latn's, so a fresh clone
    # with another Babel neither fails the check above nor rewrites the file on compile.
    monkeypatch.setattr(babel.messages.catalog, "VERSION", "99.0.0")
    built = serbian.build()
    assert b"99.0.0" not in built
    assert serbian.TARGET.read_bytes() == built
