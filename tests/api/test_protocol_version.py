"""Push and pull report the version of the sync contract (docs/sync.md), and it keys the pull's ETag."""
import re
from pathlib import Path

from kultialogo.sync import service
from tests import factories as f

DOC = Path(__file__).resolve().parents[2] / "docs" / "sync.md"


def test_push_and_pull_report_the_documented_protocol_version(client, app):
    documented = int(re.search(r"\*\*Protocol version: (\d+)\.\*\*", DOC.read_text()).group(1))
    assert documented == service.PROTOCOL_VERSION
    f.community("siena")
    f.account("amina", community_slug="siena")
    headers = f.bearer(f.token(client, "amina"))
    pushed = client.post("/api/v1/sync/push", json={"items": [f.item()]}, headers=headers).get_json()
    assert pushed["protocol"] == documented and pushed["results"][0]["result"] == "created"
    pulled = client.get("/api/v1/sync/pull", headers=headers).get_json()
    assert pulled["protocol"] == documented and len(pulled["items"]) == 1


def test_a_pull_cached_under_another_version_is_not_answered_304(client, app, monkeypatch):
    first = client.get("/api/v1/sync/pull")
    etag = first.headers["ETag"]
    assert client.get("/api/v1/sync/pull", headers={"If-None-Match": etag}).status_code == 304
    monkeypatch.setattr(service, "PROTOCOL_VERSION", service.PROTOCOL_VERSION + 1)
    again = client.get("/api/v1/sync/pull", headers={"If-None-Match": etag})
    assert again.status_code == 200 and again.get_json()["protocol"] == service.PROTOCOL_VERSION
