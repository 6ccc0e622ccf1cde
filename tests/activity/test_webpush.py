"""Web Push: subscriptions, and a notification delivered end to end to a push receiver the test
runs itself (no outside service): encrypted for the subscription's keys, signed by the app."""
import base64
import json
import os
import stat
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import http_ece
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from sqlalchemy import select

from kultialogo import jobs
from kultialogo.extensions import db
from kultialogo.webpush import keys
from kultialogo.webpush import service as webpush
from kultialogo.webpush.models import PushSubscription
from tests.moderation.conftest import story_in

SUBS = "/api/v1/webpush/subscriptions"


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Receiver:
    """A push service on localhost: keeps each request, answers ``status``."""

    def __init__(self):
        self.received, self.status = [], 201
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                owner.received.append((self.path, {k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(owner.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_port}"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver(app):
    app.config["WEBPUSH_SCHEMES"] = ("https", "http")  # the test's receiver is plain http
    made = Receiver()
    yield made
    made.close()


class Browser:
    """What a browser makes when it subscribes: a P-256 key pair and a 16-byte auth secret."""

    def __init__(self, endpoint):
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.auth = os.urandom(16)
        self.endpoint = endpoint

    def subscription(self) -> dict:
        public = self.key.public_key().public_bytes(serialization.Encoding.X962,
                                                    serialization.PublicFormat.UncompressedPoint)
        return {"endpoint": self.endpoint, "keys": {"p256dh": b64(public), "auth": b64(self.auth)}}

    def decrypt(self, body: bytes) -> dict:
        return json.loads(http_ece.decrypt(body, private_key=self.key, auth_secret=self.auth, version="aes128gcm"))


def stored(account_id=None):
    db.session.rollback()
    query = select(PushSubscription)
    if account_id is not None:
        query = query.where(PushSubscription.account_id == account_id)
    return list(db.session.scalars(query))


def test_the_public_key_is_made_once_kept_private_and_served_to_the_signed_in(client, cast, app):
    assert client.get("/api/v1/webpush/key").status_code == 401
    first = client.get("/api/v1/webpush/key", headers=cast["author"].headers).get_json()["public_key"]
    again = client.get("/api/v1/webpush/key", headers=cast["other_participant"].headers).get_json()["public_key"]
    assert first == again and len(unb64(first)) == 65
    with app.app_context():
        path = keys.key_path()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_subscribing_stores_and_unsubscribing_removes_idempotently(client, cast, receiver):
    browser = Browser(receiver.url + "/push/a")
    amina = cast["author"]
    assert client.post(SUBS, json=browser.subscription()).status_code == 401
    created = client.post(SUBS, json=browser.subscription(), headers=amina.headers)
    again = client.post(SUBS, json=browser.subscription(), headers=amina.headers)
    assert (created.status_code, again.status_code) == (201, 200)
    assert [s.endpoint for s in stored(amina.id)] == [browser.endpoint]
    # someone else cannot remove it
    assert client.delete(SUBS, json={"endpoint": browser.endpoint}, headers=cast["other_participant"].headers).status_code == 204
    assert len(stored(amina.id)) == 1
    for _ in range(2):
        assert client.delete(SUBS, json={"endpoint": browser.endpoint}, headers=amina.headers).status_code == 204
    assert stored(amina.id) == []
    assert client.delete(SUBS, json={"endpoint": browser.endpoint}).status_code == 401


@pytest.mark.parametrize("change,field", [
    (lambda s: s.update(endpoint="ftp://push.example/x"), "endpoint"),
    (lambda s: s.update(endpoint="https://" + "a" * 1100), "endpoint"),
    (lambda s: s["keys"].update(p256dh="not-base64!!"), "keys.p256dh"),
    (lambda s: s["keys"].update(auth=b64(b"short")), "keys.auth"),
    (lambda s: s.pop("keys"), "keys"),
])
def test_a_bad_subscription_is_refused_with_a_code(client, cast, receiver, change, field):
    sub = Browser(receiver.url + "/push/b").subscription()
    change(sub)
    response = client.post(SUBS, json=sub, headers=cast["author"].headers)
    assert response.status_code == 400
    assert response.get_json()["code"] == "bad_subscription" and response.get_json()["field"] == field
    assert stored() == []


def test_one_account_holds_a_limited_number_of_subscriptions(client, cast, receiver, monkeypatch):
    from kultialogo import limits
    monkeypatch.setattr(limits, "WEBPUSH_SUBSCRIPTIONS_MAX", 2)
    for n in range(2):
        assert client.post(SUBS, json=Browser(f"{receiver.url}/push/{n}").subscription(),
                           headers=cast["author"].headers).status_code == 201
    refused = client.post(SUBS, json=Browser(receiver.url + "/push/9").subscription(), headers=cast["author"].headers)
    assert refused.status_code == 409 and refused.get_json()["code"] == "too_many_subscriptions"
    assert len(stored(cast["author"].id)) == 2


def _verify_vapid(headers: dict, public_key_b64: str, audience: str) -> None:
    scheme, _, params = headers["authorization"].partition(" ")
    assert scheme == "vapid"
    fields = dict(part.strip().split("=", 1) for part in params.split(","))
    assert fields["k"] == public_key_b64
    header, payload, signature = fields["t"].split(".")
    raw = unb64(signature)
    public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64(public_key_b64))
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    public.verify(der, f"{header}.{payload}".encode(), ec.ECDSA(hashes.SHA256()))  # raises if not
    claims = json.loads(unb64(payload))
    assert claims["aud"] == audience and claims["sub"].startswith("mailto:")


def test_a_story_published_in_a_followed_community_is_pushed_encrypted_and_neutral(client, cast, web, receiver, app):
    bilal = web("other_participant")
    assert bilal.form("/follow/community/siena", {"next": "/activity"}, page="/activity").status_code == 302
    phone = Browser(receiver.url + "/push/bilal")
    assert client.post(SUBS, json=phone.subscription(), headers=cast["other_participant"].headers).status_code == 201
    outsider = Browser(receiver.url + "/push/milica")  # follows nothing
    assert client.post(SUBS, json=outsider.subscription(), headers=cast["other_facilitator"].headers).status_code == 201

    story_in("published", cast["author"].account, cast["facilitator"].account, title="Secret title")
    jobs.run_pending()  # the queued Web Push jobs, as a worker would

    assert [path for path, _h, _b in receiver.received] == ["/push/bilal"]
    _path, headers, body = receiver.received[0]
    assert headers["content-encoding"] == "aes128gcm"
    message = phone.decrypt(body)
    assert message == {"body": "Something new for you in Kultialogo", "url": "/activity"}
    with app.app_context():
        _verify_vapid(headers, keys.public_key(), receiver.url)


def test_the_line_is_in_the_language_the_browser_subscribed_in(client, cast, receiver, app):
    phone = Browser(receiver.url + "/push/fr")
    headers = {**cast["author"].headers, "Accept-Language": "fr"}
    assert client.post(SUBS, json=phone.subscription(), headers=headers).status_code == 201
    assert stored(cast["author"].id)[0].locale == "fr"
    with app.app_context():
        webpush.notify([cast["author"].id])
        db.session.commit()  # the job is queued with the caller's transaction
    jobs.run_pending()  # the queued Web Push jobs, as a worker would
    line = phone.decrypt(receiver.received[0][2])["body"]
    assert line and "Secret" not in line


def test_a_subscription_the_push_service_calls_gone_is_removed(client, cast, receiver, app):
    phone = Browser(receiver.url + "/push/gone")
    assert client.post(SUBS, json=phone.subscription(), headers=cast["author"].headers).status_code == 201
    receiver.status = 410
    with app.app_context():
        webpush.notify([cast["author"].id])
        db.session.commit()  # the job is queued with the caller's transaction
    jobs.run_pending()  # the queued Web Push jobs, as a worker would
    assert len(receiver.received) == 1
    assert stored(cast["author"].id) == []


def test_a_notification_is_queued_with_its_transaction_never_after_a_rollback(client, cast, web, app):
    from kultialogo.activity import notifications
    from kultialogo.database import write_transaction
    from kultialogo.jobs.models import Job
    from kultialogo.stories.models import Story
    from tests.moderation.conftest import write_story

    bilal = web("other_participant")
    assert bilal.form("/follow/community/siena", {"next": "/activity"}, page="/activity").status_code == 302
    story_id = write_story(cast["author"].account)

    def queued() -> int:
        db.session.commit()
        return len(list(db.session.scalars(select(Job).where(Job.kind == "activity.notify"))))

    assert queued() == 0
    with pytest.raises(RuntimeError):
        with write_transaction():
            notifications.story_published(db.session.get(Story, story_id))
            raise RuntimeError("the write failed after its publish point")
    assert queued() == 0

    with pytest.raises(RuntimeError):
        with write_transaction():
            with db.session.begin_nested():  # a pushed item's savepoint, released
                notifications.story_published(db.session.get(Story, story_id))
            raise RuntimeError("the batch around it failed")
    assert queued() == 0

    with write_transaction():
        with db.session.begin_nested():
            notifications.story_published(db.session.get(Story, story_id))
    assert queued() == 1  # one job for the whole transaction, with it
