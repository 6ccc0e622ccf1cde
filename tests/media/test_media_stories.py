"""Media and stories together: media_missing, visibility, clean-up on withdrawal, gc."""
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from kultialogo import limits
from kultialogo.cli import cli as kultialogo_cli
from kultialogo.extensions import db
from kultialogo.media.models import MediaFile, MediaUpload
from kultialogo.timeutil import utcnow
from tests import factories as f
from tests.media import tus

PUSH = "/api/v1/sync/push"


@pytest.fixture
def people(app, client):
    f.community("siena", moderation="trusted")
    f.community("aleppo")
    f.account("amina", community_slug="siena")
    f.account("bilal", community_slug="siena")
    f.account("chiara", community_slug="aleppo")
    f.account("root", is_admin=True)
    return {name: f.bearer(f.token(client, name)) for name in ("amina", "bilal", "chiara", "root")}


def push(client, headers, item):
    response = client.post(PUSH, json={"items": [item]}, headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["results"][0]


def test_a_story_pushed_before_its_media_gets_media_missing_then_created(app, client, people):
    data = tus.png_bytes()
    item = f.item(media=[tus.sha256(data)])
    first = push(client, people["amina"], item)
    assert first["result"] == "media_missing"
    assert first["missing_media"] == [tus.sha256(data)]
    assert tus.upload(client, people["amina"], data, "image/png").status_code == 204
    assert push(client, people["amina"], item)["result"] == "created"


def test_community_media_are_refused_to_someone_outside_the_community(app, client, people):
    data = tus.png_bytes()
    tus.upload(client, people["amina"], data, "image/png")
    sha = tus.sha256(data)
    assert push(client, people["amina"], f.item(media=[sha], visibility="community"))["result"] == "created"
    assert tus.fetch(client, sha, people["bilal"]).status_code == 200   # same community
    assert tus.fetch(client, sha, people["chiara"]).status_code == 404  # another community
    assert tus.fetch(client, sha).status_code == 404                    # not signed in


def test_public_story_media_are_served_to_anyone(app, client, people):
    data = tus.png_bytes()
    tus.upload(client, people["amina"], data, "image/png")
    push(client, people["amina"], f.item(media=[tus.sha256(data)], visibility="public"))
    assert tus.fetch(client, tus.sha256(data)).status_code == 200


def test_unreferenced_media_only_to_the_uploader_and_admins(app, client, people):
    data = tus.png_bytes()
    tus.upload(client, people["amina"], data, "image/png")
    sha = tus.sha256(data)
    assert tus.fetch(client, sha, people["amina"]).status_code == 200
    assert tus.fetch(client, sha, people["root"]).status_code == 200
    assert tus.fetch(client, sha, people["bilal"]).status_code == 404
    assert tus.fetch(client, sha).status_code == 404
    assert tus.fetch(client, "0" * 64, people["root"]).status_code == 404
    assert tus.fetch(client, "not-a-hash", people["root"]).status_code == 404


def test_withdrawal_deletes_media_no_other_story_uses(app, client, people):
    only_here, shared = tus.png_bytes((10, 10)), tus.png_bytes((11, 11))
    for data in (only_here, shared):
        tus.upload(client, people["amina"], data, "image/png")
    first = f.item(media=[tus.sha256(only_here), tus.sha256(shared)])
    second = f.item(media=[tus.sha256(shared)])
    assert push(client, people["amina"], first)["result"] == "created"
    assert push(client, people["amina"], second)["result"] == "created"
    assert len([p for p in tus.stored_files(app) if ".uploads" not in p.parts]) == 2
    result = push(client, people["amina"], {"type": "story", "op": "withdraw", "id": first["id"]})
    assert result["result"] == "updated"
    names = {p.name for p in tus.stored_files(app)}
    assert tus.sha256(only_here) not in names and tus.sha256(shared) in names
    db.session.rollback()
    assert db.session.get(MediaFile, tus.sha256(only_here)) is None
    assert db.session.get(MediaFile, tus.sha256(shared)) is not None


def test_gc_removes_expired_unfinished_uploads(app, client, people):
    data = tus.png_bytes()
    location = tus.create(client, people["amina"], data, "image/png").headers["Location"]
    tus.patch(client, location, people["amina"], 0, data[:40])
    upload_id = location.rsplit("/", 1)[1]
    staging = Path(app.config["DATA_DIR"]) / "media" / ".uploads" / upload_id
    assert staging.stat().st_size == 40
    result = app.test_cli_runner().invoke(kultialogo_cli, ["media", "gc"])
    assert result.exit_code == 0, result.output
    assert staging.exists(), "an upload that has not expired stays"
    db.session.execute(update(MediaUpload).values(expires_at=utcnow() - timedelta(minutes=1)))
    db.session.commit()
    assert client.head(location, headers={**tus.TUS, **people["amina"]}).status_code == 404
    result = app.test_cli_runner().invoke(kultialogo_cli, ["media", "gc"])
    assert result.exit_code == 0, result.output
    assert "1 expired" in result.output
    assert not staging.exists()
    db.session.rollback()
    assert db.session.scalars(select(MediaUpload)).all() == []


def test_gc_removes_files_no_story_took_up_after_the_grace_period(app, client, people):
    used, unused, recent = tus.png_bytes((10, 10)), tus.png_bytes((12, 12)), tus.png_bytes((13, 13))
    for data in (used, unused, recent):
        tus.upload(client, people["amina"], data, "image/png")
    push(client, people["amina"], f.item(media=[tus.sha256(used)]))
    old = utcnow() - timedelta(days=limits.MEDIA_UNREFERENCED_DAYS + 1)
    db.session.execute(update(MediaFile).where(MediaFile.sha256 != tus.sha256(recent)).values(created_at=old))
    db.session.commit()
    result = app.test_cli_runner().invoke(kultialogo_cli, ["media", "gc"])
    assert result.exit_code == 0, result.output
    names = {p.name for p in tus.stored_files(app)}
    assert tus.sha256(used) in names and tus.sha256(recent) in names and tus.sha256(unused) not in names


def test_unfinished_uploads_per_person_are_bounded(app, client, people, monkeypatch):
    monkeypatch.setattr(limits, "MEDIA_OPEN_UPLOADS_MAX", 2)
    for size in (10, 11):
        assert tus.create(client, people["amina"], tus.png_bytes((size, size)), "image/png").status_code == 201
    third = tus.create(client, people["amina"], tus.png_bytes((12, 12)), "image/png")
    assert third.status_code == 429 and third.get_json()["code"] == "too_many_uploads"
