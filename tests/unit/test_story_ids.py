"""A story's id is time first (UUID v7, docs/sync.md, Ids) wherever the server makes one, so
the indexes of story ids grow at their end; the server still takes any canonical UUID."""
import time
import uuid

from kultialogo.people import service as people_service
from kultialogo.records import parse_uuid, uuid7
from tests import factories as f
from tests.pages.util import hidden_value
from tests.people.helpers import Fresh


def ms_of(value: uuid.UUID) -> int:
    return value.int >> 80


def test_uuid7_is_a_version_7_uuid_with_the_time_first():
    before = time.time_ns() // 1_000_000
    made = [uuid7() for _ in range(10_000)]
    after = time.time_ns() // 1_000_000
    assert {m.version for m in made} == {7}
    assert {m.variant for m in made} == {uuid.RFC_4122}
    assert len(set(made)) == len(made)
    assert all(before <= ms_of(m) <= after for m in made)
    # What the phone sends back is what parse_uuid reads: canonical text, the same UUID.
    assert parse_uuid(str(made[0]), "id") == made[0]


def test_uuid7s_made_later_sort_after_earlier_ones():
    first = uuid7()
    time.sleep(0.003)
    later = uuid7()
    assert ms_of(first) < ms_of(later)
    assert first < later and str(first) < str(later)


def test_random_bits_fill_the_rest():
    # 74 random bits: within one millisecond, ids still differ in both random parts.
    made = [uuid7() for _ in range(2_000)]
    assert len({m.int >> 64 & 0xFFF for m in made}) > 1_000  # rand_a, 12 bits
    assert len({m.int & (1 << 62) - 1 for m in made}) == len(made)  # rand_b, 62 bits


def test_the_server_forms_make_time_first_story_ids(app):
    f.community("siena")
    facilitator = f.account("fac", community_slug="siena", role="facilitator")
    person = people_service.create_managed(facilitator, f.community("siena"), "Managed")
    web = Fresh(app)
    web.sign_in("fac")
    before = time.time_ns() // 1_000_000
    pages = [web.get("/write"), web.get(f"/communities/siena/people/{person.id}/record")]
    after = time.time_ns() // 1_000_000
    for page in pages:
        assert page.status_code == 200
        made = uuid.UUID(hidden_value(page.get_data(as_text=True), "id"))
        assert made.version == 7 and before <= ms_of(made) <= after
