"""Serbian Cyrillic is made from Serbian Latin, never translated twice by hand."""
import pytest

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


def test_the_committed_cyrillic_catalog_is_the_transliterated_latin_one():
    # If this fails: fix sr_Latn and run `kultialogo translate compile`, never edit sr_Cyrl.
    assert serbian.TARGET.read_bytes() == serbian.build()
