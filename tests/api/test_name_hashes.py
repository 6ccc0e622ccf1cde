"""GET /api/v1/communities/<slug>/name-hashes: the other members' full names as short salted
hashes, for the phone's personal-data warning (pwa/js/disclosure.js). Members only; the names
themselves never leave the server."""
from kultialogo import disclosure
from kultialogo.extensions import db
from tests import factories as f


def _named(username, display_name, slug="siena", **kw):
    account = f.account(username, community_slug=slug, **kw)
    account.display_name = display_name
    db.session.commit()
    return account


def _world():
    _named("paolo", "Paolo Bianchi")
    _named("olena", "Olena Kovalenko")
    _named("jan", "Jan de Vries")
    _named("amina", "Amina")                  # one word: no one in particular
    _named("farid", "Farid Ahmadi", slug="belgrade")  # another community


def test_a_member_gets_the_hashes_of_the_others_full_names_and_not_their_own(client):
    _world()
    response = client.get("/api/v1/communities/siena/name-hashes", headers=f.bearer(f.token(client, "paolo")))
    assert response.status_code == 200
    body = response.get_json()
    assert body["bits"] == 20 and body["words"] == [2, 4] and len(body["salt"]) == 16
    salt = body["salt"]
    assert body["hashes"] == sorted({disclosure.name_hash(salt, "olena kovalenko"),
                                     disclosure.name_hash(salt, "JAN DE VRIES")})
    assert disclosure.name_hash(salt, "Paolo Bianchi") not in body["hashes"]  # the writer's own
    assert disclosure.name_hash(salt, "Farid Ahmadi") not in body["hashes"]   # not in this community
    assert all(0 <= h < 2 ** 20 for h in body["hashes"])
    raw = response.get_data(as_text=True)
    assert "Olena" not in raw and "Kovalenko" not in raw
    assert "no-store" in response.headers["Cache-Control"]
    assert "private" in response.headers["Cache-Control"]


def test_the_salt_is_the_communitys_and_stays_the_same(client):
    _world()
    _named("bojan", "Bojan Petrović", slug="belgrade")
    paolo = f.bearer(f.token(client, "paolo"))
    first = client.get("/api/v1/communities/siena/name-hashes", headers=paolo).get_json()
    again = client.get("/api/v1/communities/siena/name-hashes", headers=paolo).get_json()
    other = client.get("/api/v1/communities/belgrade/name-hashes",
                       headers=f.bearer(f.token(client, "farid"))).get_json()
    assert first == again
    assert other["salt"] != first["salt"]
    assert other["hashes"] == [disclosure.name_hash(other["salt"], "Bojan Petrovic")]  # accents aside


def test_a_non_member_is_refused_and_an_unknown_community_is_not_found(client):
    _world()
    farid = f.bearer(f.token(client, "farid"))
    refused = client.get("/api/v1/communities/siena/name-hashes", headers=farid)
    assert refused.status_code == 403 and refused.get_json()["code"] == "not_member"
    assert "hashes" not in refused.get_json()
    missing = client.get("/api/v1/communities/nowhere/name-hashes", headers=farid)
    assert missing.status_code == 404 and missing.get_json()["code"] == "unknown_community"


def test_without_a_token_or_session_it_answers_401(client):
    _world()
    response = client.get("/api/v1/communities/siena/name-hashes")
    assert response.status_code == 401


def test_a_signed_in_browser_session_is_enough(client):
    _world()
    f.sign_in(client, "olena")
    body = client.get("/api/v1/communities/siena/name-hashes").get_json()
    assert disclosure.name_hash(body["salt"], "Paolo Bianchi") in body["hashes"]
    assert disclosure.name_hash(body["salt"], "Olena Kovalenko") not in body["hashes"]


def test_the_hash_is_fnv1a_of_salt_and_folded_name():
    # FNV-1a 32 of b"s paolo bianchi", computed by hand once: the phone's JS must agree with it
    h = 0x811C9DC5
    for byte in "s paolo bianchi".encode():
        h = ((h ^ byte) * 0x01000193) & 0xFFFFFFFF
    assert disclosure.name_hash("s", "  Páolo   BIANCHI ") == h & 0xFFFFF
    assert disclosure.fold_name("Ахмад  Карими") == "ахмад карими"
    assert disclosure.fold_name("أحمد کریمی") == "احمد کریمی"  # hamza above is a combining mark
