"""Request ids, access logs that hold no personal data, /metrics and /healthz (issue #18, 3)."""
import json
import logging
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from kultialogo import create_app
from kultialogo.extensions import db
from kultialogo.observability.logs import ACCESS_LOGGER, JsonFormatter, RequestIdFilter
from tests import factories as f

from .conftest import PULL, PUSH

REPO = Path(__file__).resolve().parents[2]
PHONE = "+39 347 123 4567"
SECRET_BODY = f"Call my cousin on {PHONE}, he lives behind the station in Via Roma 12."
SECRET_TITLE = "What happened to Amina's brother"


def _lines(caplog) -> list[str]:
    """Every captured record as the JSON log line it would be written as, extras included."""
    formatter, ids = JsonFormatter(), RequestIdFilter()
    out = []
    for record in caplog.records:
        ids.filter(record)
        out.append(formatter.format(record))
    return out


def _access(caplog) -> list[dict]:
    return [json.loads(JsonFormatter().format(r)) for r in caplog.records if r.name == ACCESS_LOGGER]


@pytest.fixture
def logged(app, caplog):
    app.extensions["kultialogo_access_log"] = True
    caplog.set_level(logging.DEBUG)
    return caplog


# --- Request ids ---------------------------------------------------------------------------

def test_every_answer_carries_a_request_id_and_a_safe_incoming_one_is_kept(client):
    first, second = client.get("/api/v1/limits"), client.get("/api/v1/limits")
    assert re.fullmatch(r"[0-9a-f]{16}", first.headers["X-Request-ID"])
    assert first.headers["X-Request-ID"] != second.headers["X-Request-ID"]
    kept = client.get("/api/v1/limits", headers={"X-Request-ID": "proxy-abc.123_XYZ"})
    assert kept.headers["X-Request-ID"] == "proxy-abc.123_XYZ"
    # unsafe or overlong ids are replaced, never echoed
    for sent in ("a b c d e f g h", "x" * 65, "abc", "id;Set-Cookie: x=1", "<script>alert(1)"):
        answer = client.get("/api/v1/limits", headers={"X-Request-ID": sent})
        assert answer.headers["X-Request-ID"] != sent
        assert re.fullmatch(r"[0-9a-f]{16}", answer.headers["X-Request-ID"])


def test_errors_and_refusals_carry_the_request_id_and_the_security_headers(client):
    for response in (client.get("/no/such/page"), client.post(PUSH, json={"items": []})):
        assert response.status_code in (401, 404)
        assert re.fullmatch(r"[0-9a-f]{16}", response.headers["X-Request-ID"])
        assert "default-src 'self'" in response.headers["Content-Security-Policy"]


def test_one_access_line_per_request_with_the_route_template_and_the_role(client, people, logged):
    story_id = "5b0a1c8e-8f1e-4c61-9a11-6f6f6f6f6f6f"
    assert f.sign_in(client, people["facilitator_a"].account.username).status_code == 302
    logged.clear()
    response = client.get(f"/stories/{story_id}", environ_base={"REMOTE_ADDR": "203.0.113.9"})
    lines = _access(logged)
    assert len(lines) == 1
    line = lines[0]
    assert line["route"] == "/stories/<uuid:story_id>"
    assert story_id not in json.dumps(line)
    assert line["method"] == "GET" and line["status"] == response.status_code
    assert line["role"] == "facilitator"
    assert line["request_id"] == response.headers["X-Request-ID"]
    assert isinstance(line["duration_ms"], float) and line["bytes"] == response.content_length
    assert "ip" not in line and "203.0.113.9" not in json.dumps(line)
    assert all(str(people["facilitator_a"].id) != str(v) for v in line.values())


def test_the_role_is_anonymous_without_credentials_and_unmatched_paths_are_not_logged(client, logged):
    client.get("/api/v1/limits")
    client.get("/people/amina-secret-name")
    limits_line, missing_line = _access(logged)
    assert limits_line["role"] == "anonymous" and limits_line["route"] == "/api/v1/limits"
    assert missing_line["route"] == "<unmatched>" and missing_line["status"] == 404
    assert "amina" not in json.dumps(missing_line)


def test_an_unexpected_error_is_logged_with_the_route_template_not_the_path(app, client, logged):
    @app.get("/_test/fails/<name>")
    def _fails(name):
        raise RuntimeError("boom")

    app.config["PROPAGATE_EXCEPTIONS"] = False  # answered 500 and logged, as in production
    response = client.get("/_test/fails/amina-secret-name")
    assert response.status_code == 500
    text = "\n".join(_lines(logged))
    assert "Exception on /_test/fails/<name> [GET]" in text and "RuntimeError: boom" in text
    assert "amina-secret-name" not in text


def test_addresses_are_logged_only_when_asked_for(app, client, logged):
    app.config["LOG_IPS"] = True
    client.get("/api/v1/limits", environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert _access(logged)[0]["ip"] == "203.0.113.9"


def test_every_log_line_of_a_request_carries_its_id(app, client, logged):
    @app.get("/_test/logs-a-warning")
    def _warn():
        app.logger.warning("something odd")
        return "ok"

    response = client.get("/_test/logs-a-warning", headers={"X-Request-ID": "trace-0000-1111"})
    lines = [json.loads(line) for line in _lines(logged)]
    mine = [line for line in lines if line["logger"] in ("kultialogo", ACCESS_LOGGER)]
    assert {line["msg"] for line in mine} >= {"something odd"}
    assert len(mine) == 2
    assert {line["request_id"] for line in mine} == {response.headers["X-Request-ID"]} == {"trace-0000-1111"}


def test_a_typical_session_leaves_no_story_text_name_password_or_token_in_the_logs(app, client, logged):
    """Sign in (a page form and the token API), push a story with a phone number, pull, read it."""
    f.community("siena")
    f.account("amina_k", community_slug="siena")
    assert f.sign_in(client, "amina_k").status_code == 302
    token = f.token(client, "amina_k")
    item = f.item(title=SECRET_TITLE, body=SECRET_BODY)
    pushed = client.post(PUSH, json={"items": [item]}, headers=f.bearer(token))
    assert pushed.status_code == 200 and pushed.get_json()["results"][0]["result"] == "created"
    pulled = client.get(PULL, headers=f.bearer(token))
    assert SECRET_BODY in pulled.get_data(as_text=True)  # it was there to leak
    client.get(f"/stories/{item['id']}")
    client.post("/api/v1/auth/token", json={"username": "amina_k", "password": "wrong password"},
                environ_base=f.address_of("amina_k"))
    text = "\n".join(_lines(logged))
    access = _access(logged)
    assert len(access) >= 6
    push_line = next(line for line in access if line["route"] == PUSH)
    assert push_line["role"] == "participant" and push_line["status"] == 200
    for secret in (SECRET_BODY, SECRET_TITLE, PHONE, "347 123", "3471234567", "amina_k", "Amina_K",
                   f.PASSWORD, "wrong password", token, token[:16], item["id"]):
        assert secret not in text, secret


def test_json_format_writes_one_object_per_line(app_config, tmp_path):
    """Configured as a production server would be: KULTIALOGO_LOG_FORMAT=json, access log on."""
    script = (
        "import sys, json\n"
        "from kultialogo import create_app\n"
        f"app = create_app({{**json.loads(sys.argv[1]), 'LOG_FORMAT': 'json'}})\n"
        "with app.app_context():\n"
        "    app.test_client().get('/api/v1/limits', headers={'X-Request-ID': 'json-check-01'})\n"
    )
    config = {k: v for k, v in app_config.items() if isinstance(v, (str, int, bool, type(None)))}
    out = subprocess.run([sys.executable, "-c", script, json.dumps(config)], capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}, timeout=120)
    assert out.returncode == 0, out.stderr
    lines = [json.loads(line) for line in out.stderr.splitlines() if line.startswith("{")]
    access = [line for line in lines if line["logger"] == ACCESS_LOGGER]
    assert len(access) == 1, out.stderr
    assert access[0]["request_id"] == "json-check-01" and access[0]["route"] == "/api/v1/limits"
    assert access[0]["status"] == 200 and access[0]["role"] == "anonymous"


# --- /metrics ------------------------------------------------------------------------------

def _metric(text: str, name: str, **labels) -> float:
    total = 0.0
    for line in text.splitlines():
        if not line.startswith(name + "{") and not line.startswith(name + " "):
            continue
        if all(f'{k}="{v}"' in line for k, v in labels.items()):
            total += float(line.rsplit(" ", 1)[1])
    return total


def test_metrics_count_requests_pushes_and_uploads(client, people):
    before = client.get("/metrics").get_data(as_text=True)
    participant = people["participant_a"]
    items = [f.item(), f.item(), {"type": "story", "op": "upsert", "id": "not-a-uuid"}, {"type": "nonsense"}]
    assert client.post(PUSH, json={"items": items}, headers=participant.headers).status_code == 200
    from tests.media import tus
    photo = tus.png_bytes()
    assert tus.upload(client, participant.headers, photo, "image/png", "p.png").status_code == 204
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    after = response.get_data(as_text=True)

    def delta(name, **labels):
        return _metric(after, name, **labels) - _metric(before, name, **labels)

    assert delta("kultialogo_sync_items_total", kind="story", result="created") == 2
    assert delta("kultialogo_sync_items_total", kind="story", result="rejected") == 1
    assert delta("kultialogo_sync_items_total", kind="unknown", result="rejected") == 1
    assert delta("kultialogo_http_requests_total", route="/api/v1/sync/push", method="POST", status="200") == 1
    assert delta("kultialogo_http_request_duration_seconds_count", route="/api/v1/sync/push") == 1
    assert delta("kultialogo_media_uploads_total", kind="image") == 1
    assert delta("kultialogo_media_upload_bytes_total", kind="image") > 0
    assert 'kultialogo_queue_depth{queue="media_expired_uploads"} 0.0' in after
    assert 'kultialogo_queue_depth{queue="media_faces_unchecked"} 0.0' in after
    assert 'kultialogo_queue_depth{queue="jobs"}' in after
    assert 'kultialogo_queue_depth{queue="jobs_dead"} 0.0' in after
    assert participant.token not in after


def test_metrics_are_only_for_this_machine_or_the_token(app, client):
    assert client.get("/metrics").status_code == 200  # the test client is 127.0.0.1
    away = {"REMOTE_ADDR": "203.0.113.9"}
    assert client.get("/metrics", environ_base=away).status_code == 404
    assert client.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"}).status_code == 404
    app.config["METRICS_TOKEN"] = "s3cret-scrape-token"
    assert client.get("/metrics").status_code == 404  # a token is set: localhost alone is not enough
    assert client.get("/metrics", headers=f.bearer("wrong"), environ_base=away).status_code == 404
    answer = client.get("/metrics", headers=f.bearer("s3cret-scrape-token"), environ_base=away)
    assert answer.status_code == 200 and "kultialogo_http_requests_total" in answer.get_data(as_text=True)


def test_behind_a_declared_proxy_only_the_token_opens_metrics(app_config):
    # A proxy on this machine that forwards without X-Forwarded-For makes every request look
    # local: with TRUST_PROXY set, loopback alone is not enough.
    proxied = create_app({**app_config, "TRUST_PROXY": 1})
    client = proxied.test_client()
    assert client.get("/metrics").status_code == 404
    proxied.config["METRICS_TOKEN"] = "s3cret-scrape-token"
    assert client.get("/metrics", headers=f.bearer("s3cret-scrape-token")).status_code == 200
    with proxied.app_context():
        db.engine.dispose()


def test_multiprocess_mode_sums_the_processes(app_config, tmp_path):
    """Under gunicorn each worker writes its values to PROMETHEUS_MULTIPROC_DIR; /metrics in
    any one of them answers the sum."""
    folder = tmp_path / "prom"
    folder.mkdir()
    config = {k: v for k, v in app_config.items() if isinstance(v, (str, int, bool, type(None)))}
    script = (
        "import sys, json\n"
        "from kultialogo import create_app\n"
        "app = create_app(json.loads(sys.argv[1]))\n"
        "with app.app_context():\n"
        "    c = app.test_client()\n"
        "    for _ in range(int(sys.argv[2])): c.get('/api/v1/limits')\n"
        "    if sys.argv[3] == 'show': sys.stdout.write(c.get('/metrics').get_data(as_text=True))\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path), "PROMETHEUS_MULTIPROC_DIR": str(folder)}
    for count in (3, 4):
        done = subprocess.run([sys.executable, "-c", script, json.dumps(config), str(count), "-"],
                              capture_output=True, text=True, env=env, timeout=120)
        assert done.returncode == 0, done.stderr
    shown = subprocess.run([sys.executable, "-c", script, json.dumps(config), "0", "show"],
                           capture_output=True, text=True, env=env, timeout=120)
    assert shown.returncode == 0, shown.stderr
    assert _metric(shown.stdout, "kultialogo_http_requests_total", route="/api/v1/limits", status="200") == 7


# --- /healthz ------------------------------------------------------------------------------

def test_healthz_checks_the_database_and_the_media_store(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok" and body["checks"] == {"database": "ok", "media": "ok"}
    assert "code" not in body
    media = Path(client.application.config["DATA_DIR"]) / "media"
    assert not [p for p in (media / ".tmp").iterdir()], "the check leaves no file behind"


def test_healthz_is_503_when_the_media_store_cannot_be_written(app, client):
    app.config["HEALTHZ_CACHE_SECONDS"] = 0
    client.get("/healthz")  # the store exists
    scratch = Path(client.application.config["DATA_DIR"]) / "media" / ".tmp"
    scratch.rmdir()
    scratch.write_bytes(b"")  # a file where the folder was: nothing can be written there, even by root
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "unavailable" and body["code"] == "media_store_unavailable"
    assert body["checks"] == {"database": "ok", "media": "failed"}


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into a read-only folder")
def test_healthz_is_503_when_the_media_folder_is_read_only(app, client):
    app.config["HEALTHZ_CACHE_SECONDS"] = 0
    client.get("/healthz")
    scratch = Path(client.application.config["DATA_DIR"]) / "media" / ".tmp"
    scratch.chmod(0o500)
    try:
        assert client.get("/healthz").status_code == 503
    finally:
        scratch.chmod(0o700)


def test_healthz_reuses_a_pass_for_a_second_and_never_a_failure(app, client, monkeypatch):
    from kultialogo import health
    calls = []
    monkeypatch.setattr(health, "_media", lambda: calls.append(1) or len(calls) > 1)
    assert client.get("/healthz").status_code == 503  # the first check fails
    assert client.get("/healthz").status_code == 200  # checked again, passes
    assert client.get("/healthz").status_code == 200  # reused: not checked
    assert len(calls) == 2
    monkeypatch.setattr(health.time, "monotonic", lambda: 10 ** 9)  # the second is over
    assert client.get("/healthz").status_code == 200 and len(calls) == 3


def test_healthz_is_503_when_the_database_is_unreachable(app_config, database_url, tmp_path):
    if database_url.startswith("sqlite"):
        folder = tmp_path / "a-folder-not-a-database"
        folder.mkdir()
        unreachable = f"sqlite:///{folder}"
    else:  # nothing listens on port 1
        unreachable = "postgresql+psycopg://postgres@127.0.0.1:1/test?connect_timeout=2"
    app = create_app({**app_config, "SQLALCHEMY_DATABASE_URI": unreachable})
    with app.app_context():
        response = app.test_client().get("/healthz")
        scraped = app.test_client().get("/metrics")  # still answers, without the backlogs
        db.session.remove()
        db.engine.dispose()
    assert response.status_code == 503
    body = response.get_json()
    assert body["code"] == "database_unavailable"
    assert body["checks"] == {"database": "failed", "media": "ok"}
    assert scraped.status_code == 200
    assert "kultialogo_http_requests_total" in scraped.get_data(as_text=True)
    assert 'kultialogo_queue_depth{queue="media_expired_uploads"}' not in scraped.get_data(as_text=True)


def test_an_unknown_log_format_stops_the_start_saying_which_setting(app_config):
    from kultialogo.config import ConfigError
    with pytest.raises(ConfigError, match="KULTIALOGO_LOG_FORMAT"):
        create_app({**app_config, "LOG_FORMAT": "xml"})


def _requests_counted(client, route: str) -> float:
    text = client.get("/metrics").get_data(as_text=True)
    line = re.search(rf'kultialogo_http_requests_total{{method="GET",route="{re.escape(route)}",status="200"}} (\S+)',
                     text)
    return float(line.group(1)) if line else 0.0


def test_a_reused_pass_is_answered_as_the_app_answered_it_with_its_own_id_metrics_and_log(app, client, logged,
                                                                                        monkeypatch):
    from kultialogo import health
    calls = []
    real = health._media
    monkeypatch.setattr(health, "_media", lambda: calls.append(1) or real())
    checked = client.get("/healthz")  # the app checks
    counted = _requests_counted(client, "/healthz")
    logged.clear()
    reused = client.get("/healthz", headers={"X-Request-ID": "probe-0001"})  # in front of the app
    assert len(calls) == 1
    assert reused.status_code == 200 and reused.data == checked.data
    assert reused.headers["X-Request-ID"] == "probe-0001" != checked.headers["X-Request-ID"]
    without_id = {k: v for k, v in checked.headers.items() if k != "X-Request-ID"}
    assert {k: v for k, v in reused.headers.items() if k != "X-Request-ID"} == without_id
    assert _requests_counted(client, "/healthz") == counted + 1
    line = [entry for entry in _access(logged) if entry["route"] == "/healthz"]
    assert len(line) == 1 and line[0]["request_id"] == "probe-0001" and line[0]["status"] == 200
    assert line[0]["role"] == "anonymous" and line[0]["bytes"] == len(checked.data)
    # Anything but a plain probe goes to the app; so does a probe once the second is over.
    client.get("/healthz?full=1")
    client.get("/healthz", headers={"Authorization": "Bearer x"})
    assert len(calls) == 1  # the app reused the pass too, but answered itself
    monkeypatch.setattr(health.time, "monotonic", lambda: 10 ** 9)
    assert client.get("/healthz").status_code == 200 and len(calls) == 2


def test_a_failed_check_is_never_answered_in_front_of_the_app(app, client, monkeypatch):
    from kultialogo import health
    assert client.get("/healthz").status_code == 200  # a pass, kept
    monkeypatch.setattr(health, "_media", lambda: False)
    monkeypatch.setattr(health.time, "monotonic", lambda: 10 ** 9)  # the second is over
    assert client.get("/healthz").status_code == 503
    assert client.get("/healthz").status_code == 503  # checked again each time, never reused
