"""GET /api/v1/limits, /healthz and /api/v1/communities."""
from kultialogo import limits
from kultialogo.communities.models import Community
from kultialogo.extensions import db
from tests import factories as f


def test_limits_publish_every_enforced_number_without_authentication(client):
    response = client.get("/api/v1/limits")
    assert response.status_code == 200
    body = response.get_json()
    assert body["push"] == {"max_items": limits.PUSH_MAX_ITEMS, "max_bytes": limits.PUSH_MAX_BYTES,
                            "per_minute": limits.PUSH_PER_MINUTE}
    assert body["story"]["title_max"] == limits.STORY_TITLE_MAX
    assert body["story"]["body_max"] == limits.STORY_BODY_MAX
    assert body["pull"] == {"default_limit": limits.PULL_DEFAULT_LIMIT, "max_limit": limits.PULL_MAX_LIMIT}


def test_limits_follow_the_configured_push_rate(app, client):
    app.config["PUSH_RATE_LIMIT_PER_MINUTE"] = 300
    assert client.get("/api/v1/limits").get_json()["push"]["per_minute"] == 300


def test_healthz_checks_the_database_without_authentication(client, database_url):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok"
    assert body["database"] == ("sqlite" if database_url.startswith("sqlite") else "postgresql")
    assert "no-store" in response.headers["Cache-Control"]


def _roles(client, person=None, **headers):
    response = client.get("/api/v1/communities", headers={**(person.headers if person else {}), **headers})
    assert response.status_code == 200
    return {c["slug"]: c for c in response.get_json()}


def test_communities_list_the_requesters_role_in_each(client, people):
    assert {s: c["role"] for s, c in _roles(client).items()} == {"siena": None, "belgrade": None}
    expected = {
        "participant_a": {"siena": "participant", "belgrade": None},
        "participant_b": {"siena": None, "belgrade": "participant"},
        "facilitator_a": {"siena": "facilitator", "belgrade": None},
        "facilitator_b": {"siena": None, "belgrade": "facilitator"},
        "admin": {"siena": "admin", "belgrade": "admin"},
    }
    for name, roles in expected.items():
        assert {s: c["role"] for s, c in _roles(client, people[name]).items()} == roles, name


def test_community_names_come_in_the_requesters_language(client, people):
    siena = db.session.query(Community).filter_by(slug="siena").one()
    siena.names = {"en": "Siena", "it": "Siena (città)", "ar": "سيينا"}
    db.session.commit()
    assert _roles(client)["siena"]["name"] == "Siena"
    assert _roles(client, **{"Accept-Language": "it"})["siena"]["name"] == "Siena (città)"
    assert _roles(client, **{"Accept-Language": "ar"})["siena"]["name"] == "سيينا"
    assert _roles(client, **{"Accept-Language": "fr"})["belgrade"]["name"] == "Belgrade"


def test_communities_with_a_dead_token_are_401(client, people):
    response = client.get("/api/v1/communities", headers=f.bearer("not-a-token"))
    assert response.status_code == 401
