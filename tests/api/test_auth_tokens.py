"""Bearer tokens: issue, use, revoke, expire."""
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select, update

from kultialogo.accounts.models import ApiToken
from kultialogo.extensions import db
from kultialogo.timeutil import utcnow
from tests import factories as f

from .conftest import PULL, PUSH

TOKEN = "/api/v1/auth/token"
REVOKE = "/api/v1/auth/revoke"


@pytest.fixture
def amina(app):
    f.community("siena")
    return f.account("amina", community_slug="siena")


def test_a_token_is_issued_for_the_right_password_and_works(client, amina):
    response = client.post(TOKEN, json={"username": "amina", "password": f.PASSWORD})
    assert response.status_code == 200
    assert "no-store" in response.headers["Cache-Control"]
    body = response.get_json()
    expires = datetime.fromisoformat(body["expires_at"].replace("Z", "+00:00"))
    assert timedelta(days=1) < expires - datetime.now(timezone.utc) < timedelta(days=400)
    push = client.post(PUSH, json={"items": [f.item()]}, headers=f.bearer(body["token"]))
    assert push.status_code == 200
    assert push.get_json()["results"][0]["result"] == "created"


def test_only_a_hash_of_the_token_is_stored(client, amina):
    token = client.post(TOKEN, json={"username": "amina", "password": f.PASSWORD}).get_json()["token"]
    db.session.rollback()
    stored = db.session.scalars(select(ApiToken.token_hash)).all()
    assert stored and token not in stored


def test_usernames_are_case_insensitive(client, amina):
    assert client.post(TOKEN, json={"username": " Amina ", "password": f.PASSWORD}).status_code == 200


@pytest.mark.parametrize("body", [{"username": "amina", "password": "wrong password"},
                                  {"username": "nobody", "password": f.PASSWORD}])
def test_wrong_credentials_are_401_and_do_not_say_which(client, amina, body):
    response = client.post(TOKEN, json=body)
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["code"] == "bad_credentials"


@pytest.mark.parametrize("body,code", [
    ({"username": "amina"}, "missing_field"), ({"password": "x"}, "missing_field"),
    ({"username": 1, "password": "x"}, "bad_type"),
    ({"username": "amina", "password": 1}, "bad_type"), ([], "bad_request")])
def test_a_malformed_token_request_is_400(client, amina, body, code):
    response = client.post(TOKEN, json=body)
    assert response.status_code == 400
    assert response.get_json()["code"] == code


def test_a_revoked_token_gets_401(client, amina):
    token = client.post(TOKEN, json={"username": "amina", "password": f.PASSWORD}).get_json()["token"]
    assert client.post(REVOKE, headers=f.bearer(token)).status_code == 204
    for response in (client.post(PUSH, json={"items": [f.item()]}, headers=f.bearer(token)),
                     client.get(PULL, headers=f.bearer(token)),
                     client.post(REVOKE, headers=f.bearer(token))):
        assert response.status_code == 401
        assert response.get_json()["code"] == "bad_token"


def test_revoking_one_token_leaves_the_others_working(client, amina):
    one = client.post(TOKEN, json={"username": "amina", "password": f.PASSWORD}).get_json()["token"]
    two = client.post(TOKEN, json={"username": "amina", "password": f.PASSWORD}).get_json()["token"]
    client.post(REVOKE, headers=f.bearer(one))
    assert client.get(PULL, headers=f.bearer(two)).status_code == 200


def test_an_expired_token_gets_401(client, amina):
    token = client.post(TOKEN, json={"username": "amina", "password": f.PASSWORD}).get_json()["token"]
    assert client.get(PULL, headers=f.bearer(token)).status_code == 200
    db.session.rollback()  # end this session's read snapshot: SQLite refuses to upgrade a stale one
    db.session.execute(update(ApiToken).values(expires_at=utcnow() - timedelta(minutes=1)))
    db.session.commit()
    response = client.post(PUSH, json={"items": [f.item()]}, headers=f.bearer(token))
    assert response.status_code == 401
    assert response.get_json()["code"] == "bad_token"


def test_revoke_without_a_token_is_401(client, amina):
    assert client.post(REVOKE).status_code == 401


def test_token_requests_past_the_sign_in_limit_are_429(client, amina):
    statuses = [client.post(TOKEN, json={"username": "amina", "password": "wrong password"}).status_code
                for _ in range(12)]
    assert statuses[:10] == [401] * 10
    assert statuses[-1] == 429
    limited = client.post(TOKEN, json={"username": "amina", "password": f.PASSWORD})
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) > 0
