"""Whole-request problems: a plain HTTP error with an application/problem+json body
({"code", "message"}), and stored data left exactly as it was."""
import gzip
import json
from datetime import timedelta

import pytest
from sqlalchemy import update

from kultialogo import create_app, limits
from kultialogo.accounts.auth import revoke_token
from kultialogo.accounts.models import ApiToken
from kultialogo.extensions import db
from kultialogo.timeutil import utcnow
from tests import factories as f

from .conftest import PULL, PUSH, ApiClient, direct_token, push_one, stored_state


def assert_problem(response, status, code=None):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body = response.get_json(force=True)
    assert isinstance(body["code"], str) and body["code"]
    assert isinstance(body["message"], str) and body["message"]
    if code is not None:
        assert body["code"] == code, body
    return body


@pytest.fixture
def seeded(client, people):
    """One stored story, so that 'untouched' means something."""
    push_one(client, people["participant_a"], f.item(title="Already stored"))
    return stored_state()


def post_raw(client, person, data: bytes, **headers):
    return client.post(PUSH, data=data, headers={**person.headers, "Content-Type": "application/json", **headers})


# --- 400 ------------------------------------------------------------------------------------

@pytest.mark.parametrize("raw", [b'{"items": [', b"{items: []}", b"", b"\x00", b'{"items": []} trailing',
                                 b"NaN", b'{"items": [{"id": 1,}]}'])
def test_malformed_json_is_400_bad_json(client, people, seeded, raw):
    assert_problem(post_raw(client, people["participant_a"], raw), 400, "bad_json")
    assert stored_state() == seeded


@pytest.mark.parametrize("raw", [b'{"items": ["\xff\xfe"]}', b'{"items": [], "x": "\xc3\x28"}',
                                 b'\xed\xa0\x80'])
def test_invalid_utf8_is_400_bad_encoding(client, people, seeded, raw):
    assert_problem(post_raw(client, people["participant_a"], raw), 400, "bad_encoding")
    assert stored_state() == seeded


@pytest.mark.parametrize("body", [[], [f.item()], "items", 42, None, {}, {"items": {}}, {"items": "x"},
                                  {"items": None}, {"Items": []}])
def test_a_body_that_is_not_an_object_with_an_items_list_is_400(client, people, seeded, body):
    assert_problem(post_raw(client, people["participant_a"], json.dumps(body).encode()), 400, "bad_request")
    assert stored_state() == seeded


@pytest.mark.parametrize("depth", [520, 10_000, 200_000])
def test_deeply_nested_json_is_400_not_a_crash(client, people, seeded, depth):
    # (Up to 512 levels a push refuses the badly nested item alone: test_push_rejections.py.)
    raw = ('{"items": [' + "[" * depth + "]" * depth + "]}").encode()
    assert len(raw) < limits.PUSH_MAX_BYTES
    assert_problem(post_raw(client, people["participant_a"], raw), 400, "too_deep")
    assert stored_state() == seeded


def deep(depth: int, inner: str = "1") -> bytes:
    return ("[" * depth + inner + "]" * depth).encode()


@pytest.mark.parametrize("raw", [
    deep(5000), deep(20), b'{"username": ' + deep(5000) + b', "password": "x"}',
    b'{"username": "amina", "password": "x", "label": ' + deep(40) + b'}',
    b'{"username": "amina", "password": "x", "label": ' + b'{"a": ' * 2000 + b'1' + b'}' * 2000 + b'}',
])
def test_deeply_nested_json_to_the_token_endpoint_is_400_not_500(client, people, raw):
    response = client.post("/api/v1/auth/token", data=raw, headers={"Content-Type": "application/json"})
    if raw.startswith(b"[") and raw.count(b"[") <= 32:
        assert_problem(response, 400, "bad_request")  # shallow enough: just not an object
    else:
        body = assert_problem(response, 400, "too_deep")
        assert "32" in body["message"]


@pytest.mark.parametrize("label, too_deep", [
    (deep(31), False),  # the object and 31 lists: 32 levels, the limit
    (deep(32), True),
    (b'"' + b"[{" * 100 + b'"', False),  # brackets in a string nest nothing
    (b"[" + b"[], " * 100 + b"[[[[]]]]]", False),  # many lists, side by side
])
def test_only_nesting_counts_towards_the_depth_limit(client, people, label, too_deep):
    raw = b'{"username": "amina", "password": "wrong password", "label": ' + label + b"}"
    response = client.post("/api/v1/auth/token", data=raw, headers={"Content-Type": "application/json"})
    code = response.get_json()["code"]
    assert (code == "too_deep") == too_deep, (response.status_code, code)


@pytest.mark.parametrize("path", ["/api/v1/stories/{id}/reports", "/api/v1/stories/{id}/moderation"])
def test_deeply_nested_json_to_story_endpoints_is_400(client, people, path):
    story = push_one(client, people["participant_a"], f.item(title="Deep"))
    raw = b'{"reason": "spam", "action": "publish", "note": ' + deep(5000) + b"}"
    response = client.post(path.format(id=story["id"]), data=raw,
                           headers={**people["facilitator_a"].headers, "Content-Type": "application/json"})
    assert_problem(response, 400, "too_deep")


def test_deeply_nested_json_to_the_translation_endpoint_is_400(client, people):
    story = push_one(client, people["participant_a"], f.item(title="Deep"))
    raw = b'{"title": "T", "body": ' + deep(5000) + b"}"
    response = client.put(f"/api/v1/stories/{story['id']}/translations/it", data=raw,
                          headers={**people["facilitator_a"].headers, "Content-Type": "application/json"})
    assert_problem(response, 400, "too_deep")


def test_ordinary_nesting_still_passes(client, people):
    item = f.item(title="Nested enough")
    item["data"]["consent"] = {"kind": "self"}
    assert push_one(client, people["participant_a"], item)["result"] == "created"


def test_a_corrupt_gzip_body_is_400(client, people, seeded):
    assert_problem(post_raw(client, people["participant_a"], b"\x1f\x8bnot gzip at all",
                            **{"Content-Encoding": "gzip"}), 400)
    assert stored_state() == seeded


def test_an_unknown_content_encoding_is_refused(client, people, seeded):
    response = post_raw(client, people["participant_a"], b'{"items": []}', **{"Content-Encoding": "br"})
    assert_problem(response, 415)
    assert stored_state() == seeded


def test_a_gzip_encoded_push_is_accepted(client, people):
    item = f.item()
    raw = gzip.compress(json.dumps({"items": [item]}).encode())
    response = post_raw(client, people["participant_a"], raw, **{"Content-Encoding": "gzip"})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["results"][0]["result"] == "created"


# --- 401 ------------------------------------------------------------------------------------

@pytest.mark.parametrize("authorization", [None, "Bearer", "Bearer ", "Bearer not-a-real-token",
                                           "Basic YW1pbmE6cGFzc3dvcmQ=", "Token abc", "Bearer " + "x" * 500,
                                           "bearer"])
def test_a_missing_or_malformed_token_is_401(client, people, seeded, authorization):
    headers = {"Authorization": authorization} if authorization is not None else {}
    response = client.post(PUSH, json={"items": [f.item()]}, headers=headers)
    assert_problem(response, 401)
    assert stored_state() == seeded


def test_a_push_without_credentials_says_how_to_authenticate(client, people):
    response = client.post(PUSH, json={"items": [f.item()]})
    assert_problem(response, 401, "unauthorized")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_an_expired_token_is_401(client, people, seeded):
    amina = people["participant_a"]
    token = direct_token(amina.account)
    db.session.execute(update(ApiToken).values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    for method, url in (("post", PUSH), ("get", PULL)):
        kwargs = {"json": {"items": [f.item()]}} if method == "post" else {}
        response = getattr(client, method)(url, headers=f.bearer(token), **kwargs)
        assert_problem(response, 401, "bad_token")
    assert stored_state() == seeded


def test_a_revoked_token_is_401_on_push_and_pull(client, people, seeded):
    amina = people["participant_a"]
    token = direct_token(amina.account)
    assert client.get(PULL, headers=f.bearer(token)).status_code == 200
    revoke_token(token)
    assert_problem(client.post(PUSH, json={"items": [f.item()]}, headers=f.bearer(token)), 401, "bad_token")
    # A pull with a dead token is refused, not quietly served as anonymous.
    assert_problem(client.get(PULL, headers=f.bearer(token)), 401, "bad_token")
    assert stored_state() == seeded


# --- 413 ------------------------------------------------------------------------------------

def test_more_items_than_the_limit_is_413(client, people, seeded):
    published = client.get("/api/v1/limits").get_json()["push"]["max_items"]
    assert published == limits.PUSH_MAX_ITEMS
    items = [f.item() for _ in range(published + 1)]
    body = assert_problem(client.post(PUSH, json={"items": items}, headers=people["participant_a"].headers),
                          413, "too_many_items")
    assert str(published) in body["message"]
    assert stored_state() == seeded


def test_exactly_the_item_limit_is_accepted(client, people):
    items = [f.item() for _ in range(limits.PUSH_MAX_ITEMS)]
    response = client.post(PUSH, json={"items": items}, headers=people["participant_a"].headers)
    assert response.status_code == 200
    assert {r["result"] for r in response.get_json()["results"]} == {"created"}


def test_more_bytes_than_the_limit_is_413(client, people, seeded):
    max_bytes = client.get("/api/v1/limits").get_json()["push"]["max_bytes"]
    padding = "x" * (max_bytes + 1)
    raw = json.dumps({"items": [f.item(body=padding)]}).encode()
    assert_problem(post_raw(client, people["participant_a"], raw), 413, "too_large")
    assert stored_state() == seeded


@pytest.mark.slow
def test_a_large_chunked_body_without_content_length_is_413_through_a_real_server(people, live_server):
    import requests
    raw = json.dumps({"items": [f.item(body="x" * (limits.PUSH_MAX_BYTES + 10))]}).encode()

    def chunks():
        for start in range(0, len(raw), 65536):
            yield raw[start:start + 65536]

    before = stored_state()
    response = requests.post(live_server.url + PUSH, data=chunks(), timeout=30, headers={
        **people["participant_a"].headers, "Content-Type": "application/json"})
    assert response.request.headers.get("Transfer-Encoding") == "chunked"
    assert response.status_code == 413, response.text
    assert response.headers["Content-Type"].startswith("application/problem+json")
    assert response.json()["code"] == "too_large"
    assert stored_state() == before


def test_a_gzip_body_that_inflates_past_the_limit_is_413(client, people, seeded):
    inflated = json.dumps({"items": [f.item(body=" " * (limits.PUSH_MAX_BYTES * 4))]}).encode()
    raw = gzip.compress(inflated)
    assert len(raw) < limits.PUSH_MAX_BYTES // 100  # small on the wire, a bomb once inflated
    assert_problem(post_raw(client, people["participant_a"], raw, **{"Content-Encoding": "gzip"}),
                   413, "too_large")
    assert stored_state() == seeded


# --- 429 ------------------------------------------------------------------------------------

@pytest.fixture
def limited_client(app_config):
    """An app whose push limit is two requests a minute (the real one is published)."""
    app = create_app({**app_config, "PUSH_RATE_LIMIT_PER_MINUTE": 2})
    app.test_client_class = ApiClient
    with app.app_context():
        yield app.test_client()
        db.session.remove()
        db.engine.dispose()


def test_pushes_past_the_rate_limit_are_429_with_retry_after(limited_client):
    client = limited_client
    f.community("siena")
    amina = f.account("amina", community_slug="siena")
    token = direct_token(amina)
    assert client.get("/api/v1/limits").get_json()["push"]["per_minute"] == 2
    for _ in range(2):
        assert client.post(PUSH, json={"items": [f.item()]}, headers=f.bearer(token)).status_code == 200
    before = stored_state()
    response = client.post(PUSH, json={"items": [f.item()]}, headers=f.bearer(token))
    assert_problem(response, 429, "rate_limited")
    assert int(response.headers["Retry-After"]) > 0
    assert stored_state() == before
    # The limit is per token: someone else is not held back.
    other = f.account("omar", community_slug="siena")
    assert client.post(PUSH, json={"items": [f.item()]}, headers=f.bearer(direct_token(other))).status_code == 200


def test_the_published_push_rate_is_at_least_what_the_contract_promises(client):
    assert client.get("/api/v1/limits").get_json()["push"]["per_minute"] >= 120


# --- other -----------------------------------------------------------------------------------

def test_a_get_on_push_is_405_with_a_problem_body(client, people):
    response = client.get(PUSH, headers=people["participant_a"].headers)
    assert_problem(response, 405)
    assert "POST" in response.headers["Allow"]


def test_an_unknown_api_path_is_404_with_a_problem_body(client):
    assert_problem(client.get("/api/v1/nothing-here"), 404, "not_found")
