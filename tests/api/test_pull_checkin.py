"""A phone checking in with nothing new is answered in front of the app (sync/checkin.py) with
exactly the answer the app gives: the same status, headers and body, a 304 when the phone has
it; anything else reaches the app."""
import json
import logging

import pytest
from flask import request_started
from sqlalchemy import update
from werkzeug.test import Client

from kultialogo import create_app, front
from kultialogo.accounts.models import ApiToken, Membership
from kultialogo.extensions import db
from kultialogo.observability.logs import ACCESS_LOGGER, JsonFormatter
from kultialogo.sync.checkin import CheckIn
from kultialogo.timeutil import utcnow
from tests import factories as f

from .conftest import PULL, pull_all, push_one


def _checkin(app) -> CheckIn:
    layer = app.wsgi_app
    while not isinstance(layer, CheckIn):
        layer = layer.wsgi_app
    return layer


@pytest.fixture
def dispatched(app):
    """How many requests reached a view (Flask's request_started), as a one-item list."""
    seen = [0]

    def count(sender, **extra):
        seen[0] += 1

    request_started.connect(count, app)
    yield seen
    request_started.disconnect(count, app)


def _same(fast, slow) -> None:
    """Two answers are the same but for their request ids (and in the same header order)."""
    assert fast.status == slow.status
    strip = lambda r: [(k, v) for k, v in r.headers.items() if k != "X-Request-ID"]  # noqa: E731
    assert strip(fast) == strip(slow)
    assert fast.get_data() == slow.get_data()
    assert fast.headers["X-Request-ID"] != slow.headers["X-Request-ID"]


def _quiet(client, people):
    """A reader whose phone holds everything: the cursor of "nothing new"."""
    writer, reader = people["facilitator_a"], people["participant_a"]
    push_one(client, writer, f.item(visibility="community", title="Already on the phone"))
    _items, cursor = pull_all(client, reader)
    return reader, cursor


@pytest.mark.parametrize("query", ["limit=50&cursor={c}", "cursor={c}&kinds=story,translation", "cursor={c}"])
def test_a_check_in_with_nothing_new_is_answered_in_front_as_the_app_answers_it(app, client, people,
                                                                               dispatched, query):
    reader, cursor = _quiet(client, people)
    url = f"{PULL}?{query.format(c=cursor)}"
    headers = {**reader.headers, "Accept-Encoding": "gzip, br", "Accept-Language": "ar"}
    first = client.get(url, headers=headers)  # the first of its kind: the app answers, its headers kept
    seen = dispatched[0]
    fast = client.get(url, headers=headers)
    assert dispatched[0] == seen, "answered in front of the app"
    assert fast.status_code == 200 and fast.get_json()["items"] == [] and fast.get_json()["more"] is False
    _same(fast, first)
    # The app's own answer now, bypassing the layer: still the same.
    _same(fast, Client(_checkin(app).wsgi_app).get(url, headers=headers))

    # The phone has that page: 304, in front of the app too, with the app's headers.
    again = {**headers, "If-None-Match": fast.headers["ETag"]}
    client.get(url, headers=again)
    seen = dispatched[0]
    not_modified = client.get(url, headers=again)
    assert dispatched[0] == seen and not_modified.status_code == 304 and not_modified.get_data() == b""
    _same(not_modified, Client(_checkin(app).wsgi_app).get(url, headers=again))


def _refuse(statement) -> None:
    db.session.rollback()
    db.session.execute(statement)
    db.session.commit()


def test_whatever_is_not_a_quiet_check_in_reaches_the_app(app, client, people, dispatched):
    reader, cursor = _quiet(client, people)
    url = f"{PULL}?cursor={cursor}"
    client.get(url, headers=reader.headers)  # the kept headers exist from here on
    assert client.get(url, headers=reader.headers).get_json()["items"] == []

    def reaches_app(path, headers=None, method="GET"):
        seen = dispatched[0]
        response = client.open(path, method=method, headers=headers or reader.headers)
        assert dispatched[0] == seen + 1, path
        return response

    assert reaches_app(f"{PULL}?cursor=nonsense").get_json()["code"] == "bad_cursor"
    assert reaches_app(f"{url}&limit=0").get_json()["code"] == "bad_limit"
    assert reaches_app(f"{url}&kinds=nonsense").get_json()["code"] == "bad_kinds"
    assert reaches_app(f"{url}&other=1").status_code == 200
    assert reaches_app(f"{url}&cursor={cursor}").status_code == 200  # a name twice
    assert reaches_app(PULL).status_code == 200  # no cursor: a page from the start
    assert reaches_app(url, method="HEAD").status_code == 200
    client.set_cookie("session", "x")  # a browser's
    assert reaches_app(url).status_code == 200
    client.delete_cookie("session")
    said = {}
    for language in ("en", "it"):
        answer = reaches_app(url, headers={"Authorization": "Basic eDp5", "Accept-Language": language})
        assert answer.status_code == 401 and answer.get_json()["code"] == "bad_token"
        said[language] = answer.get_json()["message"]
    assert said["it"] != said["en"]  # in the person's language

    # Something new since the cursor: the page, from the app.
    push_one(client, people["facilitator_a"], f.item(visibility="community", title="New since"))
    page = reaches_app(url).get_json()
    assert [item["title"] for item in page["items"]] == ["New since"]

    # The reader's scope changed (joined a community): the app's reset.
    new_cursor = page["cursor"]
    f.community("novi-sad")
    _refuse(update(Membership).where(Membership.account_id == reader.id).values(role="facilitator"))
    assert reaches_app(f"{PULL}?cursor={new_cursor}").get_json().get("reset") is True

    # A revoked token: 401 from the app, in the person's language.
    _refuse(update(ApiToken).where(ApiToken.account_id == reader.id).values(revoked_at=utcnow()))
    refused = reaches_app(f"{PULL}?cursor={new_cursor}", headers={**reader.headers, "Accept-Language": "ar"})
    assert refused.status_code == 401 and refused.get_json()["code"] == "bad_token"
    assert refused.get_json()["message"] not in said.values()  # in Arabic


def _access(caplog) -> list[dict]:
    return [json.loads(JsonFormatter().format(r)) for r in caplog.records if r.name == ACCESS_LOGGER]


def _counted(client, status: str) -> float:
    text = client.get("/metrics").get_data(as_text=True)
    for line in text.splitlines():
        if line.startswith(f'kultialogo_http_requests_total{{method="GET",route="{PULL}",status="{status}"}}'):
            return float(line.split()[-1])
    return 0.0


def test_an_answer_in_front_counts_in_the_metrics_and_writes_the_apps_access_line(app, client, people, caplog,
                                                                               dispatched):
    app.extensions["kultialogo_access_log"] = True
    caplog.set_level(logging.DEBUG)
    reader, cursor = _quiet(client, people)
    url = f"{PULL}?cursor={cursor}"
    caplog.clear()
    by_app = client.get(url, headers=reader.headers)
    before, seen = _counted(client, "200"), dispatched[0]
    in_front = client.get(url, headers={**reader.headers, "X-Request-ID": "phone-0001"})
    assert dispatched[0] == seen  # in front of the app
    assert _counted(client, "200") == before + 1
    lines = [line for line in _access(caplog) if line["route"] == PULL]
    assert len(lines) == 2
    drop = ("request_id", "duration_ms", "ts", "msg")
    assert {k: v for k, v in lines[1].items() if k not in drop} == {k: v for k, v in lines[0].items() if k not in drop}
    assert lines[1]["request_id"] == "phone-0001" == in_front.headers["X-Request-ID"]
    assert lines[1]["bytes"] == len(by_app.get_data()) and lines[1]["role"] == lines[0]["role"] == "participant"
    assert "amina" not in caplog.text and reader.token not in caplog.text  # no person in the log


def test_headers_are_kept_per_scheme_behind_a_trusted_proxy(app_config, people, client):
    reader, cursor = _quiet(client, people)
    proxied = create_app({**app_config, "TRUST_PROXY": 1})
    phone = proxied.test_client()
    url = f"{PULL}?cursor={cursor}"
    for _ in range(2):  # the second of each is answered in front of the app
        secure = phone.get(url, headers={**reader.headers, "X-Forwarded-Proto": "https"})
        plain = phone.get(url, headers=reader.headers)
        assert secure.headers["Strict-Transport-Security"] == "max-age=31536000"
        assert "Strict-Transport-Security" not in plain.headers
    with proxied.app_context():
        db.engine.dispose()


def test_kept_headers_are_bounded_whatever_the_phones_send(app, client, people):
    reader, cursor = _quiet(client, people)
    url = f"{PULL}?cursor={cursor}"
    for n in range(front.MAX_TEMPLATES + 20):
        answer = client.get(url, headers={**reader.headers, "Accept-Encoding": f"x-made-up-{n}"})
        assert answer.status_code == 200 and answer.get_json()["items"] == []
    assert len(_checkin(app).answers._kept) == front.MAX_TEMPLATES


def test_a_fault_in_front_of_the_app_leaves_the_answer_to_the_app(app, client, people, dispatched, monkeypatch,
                                                                 caplog):
    from kultialogo.sync import checkin
    reader, cursor = _quiet(client, people)
    url = f"{PULL}?cursor={cursor}"
    client.get(url, headers=reader.headers)

    def broken(*args):
        raise RuntimeError("a bug")

    monkeypatch.setattr(checkin, "token_reader_and", broken)
    seen = dispatched[0]
    answer = client.get(url, headers=reader.headers)
    assert answer.status_code == 200 and answer.get_json()["items"] == [] and dispatched[0] == seen + 1
    assert "a check-in in front of the app failed" in caplog.text
