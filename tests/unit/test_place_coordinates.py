"""A story's place is words or a town, never coordinates in any notation or script (issue #13).

The legitimate places below must pass: they are what people write (camps, blocks, streets, years).
Known false positives, accepted to keep people safe: two or three numbers followed by a compass
letter ("Room 12 3 W" reads as 12°3'W), and words joined by two dots ("word.word.word").
"""
import pytest

from kultialogo.errors import Problem
from kultialogo.stories.schema import clean_place, looks_like_coordinates

COORDINATES = [
    # The review's examples.
    "43.3188N11.3308E", "N43.3188 E11.3308", "43 19 06 N 11 19 51 E", "٤٣٫٣١٨٨، ١١٫٣٣٠٨",
    "///filled.count.soap", "8FHJ+QX",
    # Decimal pairs, any separator and script.
    "43.3188, 11.3308", "43,3188 11,3308", "-33.8688, 151.2093", "43.3188;11.3308", "۴۳٫۳۱۸۸ ۱۱٫۳۳۰۸",
    "४३.३१८८, ११.३३०८", "４３．３１８８, １１．３３０８",
    # Hemisphere letters before or after, with or without spaces and degree signs.
    "43.3188 N, 11.3308 E", "43.3188° N, 11.3308° E", "43.3188n11.3308e", "n43.3188 e11.3308", "S33.86 E151.20",
    "near 43.3188N",
    # Degrees, minutes, seconds: with symbols, without, with colons.
    "43°19′06″N 11°19′51″E", "43° 19' 06\" N", "43 19 06N", "43 19.1 N", "N 43 19 06", "43:19:06N 11:19:51E",
    "43 19' 06''", "45°26'N 10°59'E",
    # Other notations and links.
    "filled.count.soap", "what3words filled count soap", "8FHJ+QX Siena", "8FVC9G8F+6X", "geo:43.3,11.3",
    "https://maps.app.goo.gl/abc", "google.com/maps/@43.3,11.3", "www.openstreetmap.org/#map=17/43.3/11.3",
    "lat 43 lon 11", "33T 680000 4800000",
]

PLACES = [
    "Siena", "Novi Sad", "Via Roma", "Via Roma 12", "Camp 2", "Block 11", "Camp 2, Block 11", "2024",
    "Belgrade, 2015", "Lesbos 2020-2021", "Osijek 1991", "a small town by the sea", "Lampedusa, Italy",
    "near the old port", "Piazza del Campo", "Utrecht-Noord", "Saint-Denis", "St. Mary's Church",
    "N. Macedonia", "S. Maria Novella", "Route 66 N", "Camp 2 E", "Hall 3 W", "Gate 4", "Sector 3 East",
    "E45 motorway", "A1 exit 22", "Kilometre 12.5", "between 12.30 and 13.30", "tra le 12.30 e 13.30",
    "Zone B, row 4", "Block 11 2nd floor", "مخيم الزعتري", "کابل", "Київ", "Нови Сад", "مخيم ٢",
]


@pytest.mark.parametrize("place", COORDINATES)
def test_coordinates_in_any_notation_are_refused(place):
    assert looks_like_coordinates(place)
    with pytest.raises(Problem) as refused:
        clean_place(place)
    assert refused.value.code == "place_coordinates" and refused.value.field == "place"


@pytest.mark.parametrize("place", PLACES)
def test_places_people_write_pass(place):
    assert not looks_like_coordinates(place)
    assert clean_place(place) == place
