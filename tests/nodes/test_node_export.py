"""A camp with no network at all: the node's export on a USB stick, imported on central.
Importing twice, then syncing, stores everything once; a tampered or cut file imports nothing."""
import hashlib
import os
import subprocess
import sys

import pytest
from sqlalchemy import func, select

from kultialogo.accounts.auth import create_account
from kultialogo.accounts.models import Account, Membership
from kultialogo.errors import Problem
from kultialogo.extensions import db
from kultialogo.media import service as media_service
from kultialogo.media.models import MediaFile
from kultialogo.media.store import get_store
from kultialogo.nodes import replication, tokens, transfer
from kultialogo.stories.models import Story

from bench._server import plain_pg_url
from tests import factories
from tests.conftest import BASE_CONFIG
from tests.nodes.conftest import photo, write
from tests.people.helpers import Fresh


def counts():
    db.session.rollback()  # a fresh snapshot: the import ran in another process
    return (db.session.scalar(select(func.count()).select_from(Story)),
            db.session.scalar(select(func.count()).select_from(Account)),
            db.session.scalar(select(func.count()).select_from(MediaFile)))


def camp_week(community_id):
    """At the camp: a newcomer joins and tells three stories, one with a photo."""
    newcomer = create_account("yusuf", factories.PASSWORD)
    db.session.add(Membership(account_id=newcomer.id, community_id=community_id))
    db.session.commit()
    sha = media_service.ingest_upload(newcomer, photo(3))
    ids = [write(newcomer, "Our first evening", media=[sha]), write(newcomer, "The football match"),
           write(newcomer, "Leaving day")]
    stored = hashlib.sha256(get_store().local_path(sha).read_bytes()).hexdigest()
    return ids, sha, stored


def cli_import(app_config, path):
    env = {**os.environ, "DATABASE_URL": plain_pg_url(app_config["SQLALCHEMY_DATABASE_URI"]),
           "KULTIALOGO_DATA_DIR": app_config["DATA_DIR"], "KULTIALOGO_SECRET_KEY": BASE_CONFIG["SECRET_KEY"]}
    return subprocess.run([sys.executable, "-m", "kultialogo.cli", "import", "--quiet", str(path)], env=env,
                          capture_output=True, text=True, timeout=120)


def test_a_usb_stick_carries_the_camp_once(app, app_config, live_server, node, tmp_path):
    siena = factories.community("siena", moderation="trusted")
    fatima = factories.account("fatima", community_slug="siena", role="facilitator")
    token, _row = tokens.issue(fatima, siena, label="Mountain camp")
    node.run(lambda: replication.init(live_server.url, token))
    ids, sha, stored_sha = node.run(lambda: camp_week(siena.id))
    stick = tmp_path / "camp.kultialogo"
    summary = node.run(lambda: transfer.export(stick))
    assert summary["media"] == 1 and summary["items"] >= 4  # the newcomer and three stories
    before = counts()

    # A file changed on the way, or cut short, imports nothing.
    raw = stick.read_bytes()
    tampered, cut = tmp_path / "tampered.kultialogo", tmp_path / "cut.kultialogo"
    tampered.write_bytes(raw[: len(raw) // 2] + bytes([raw[len(raw) // 2] ^ 1]) + raw[len(raw) // 2 + 1:])
    cut.write_bytes(raw[: len(raw) - 100])
    for bad in (tampered, cut):
        with pytest.raises(Problem) as refused:
            transfer.import_file(bad)
        assert refused.value.code == "bundle_damaged"
        assert counts() == before
    refused_cli = cli_import(app_config, tampered)
    assert refused_cli.returncode == 1 and "damaged" in refused_cli.stderr, refused_cli.stderr
    assert counts() == before

    # Imported with the command, then again on the page's path: stored once.
    imported = cli_import(app_config, stick)
    assert imported.returncode == 0, imported.stderr
    assert "4 new" in imported.stdout, imported.stdout  # the newcomer and the three stories
    after = counts()
    assert after == (before[0] + 3, before[1] + 1, before[2] + 1)
    again = transfer.import_file(stick)
    assert again["created"] == 0 and again["unchanged"] == again["items"]
    assert counts() == after
    for story_id in ids:
        assert db.session.get(Story, story_id).author.username == "yusuf"
    assert hashlib.sha256(get_store().local_path(sha).read_bytes()).hexdigest() == stored_sha

    # Back in range, a sync sends the same records: central has them all already.
    synced = node.run(replication.sync)
    assert synced["pushed"] == synced["repeated"]
    assert counts() == after


def test_the_camp_nodes_page_imports_a_file_for_those_who_manage_its_community(app, live_server, node, tmp_path):
    siena = factories.community("siena", moderation="trusted")
    factories.community("belgrade")
    fatima = factories.account("fatima", community_slug="siena", role="facilitator")
    factories.account("milica", community_slug="belgrade", role="facilitator")
    token, _row = tokens.issue(fatima, siena, label="Mountain camp")
    node.run(lambda: replication.init(live_server.url, token))
    node.run(lambda: camp_week(siena.id))
    stick = tmp_path / "camp.kultialogo"
    node.run(lambda: transfer.export(stick))
    before = counts()

    def upload(person, path):
        browser = Fresh(app)
        browser.sign_in(person)
        page = browser.get("/admin/nodes").get_data(as_text=True)
        assert 'data-upload-progress' in page and '<progress' in page
        with open(path, "rb") as fh:
            response = browser.post("/admin/nodes/import", data={
                "csrf_token": factories.csrf_from(page), "file": (fh, path.name)}, content_type="multipart/form-data")
        assert response.status_code == 302
        return browser.get(response.headers["Location"]).get_data(as_text=True)

    # A facilitator of another community may not import siena's node.
    assert "not allowed" in upload("milica", stick)
    assert counts() == before
    damaged = tmp_path / "damaged.kultialogo"
    damaged.write_bytes(stick.read_bytes()[:-10])
    assert "damaged or incomplete" in upload("fatima", damaged)
    assert counts() == before
    assert "4 new" in upload("fatima", stick)  # the newcomer and the three stories
    assert counts() == (before[0] + 3, before[1] + 1, before[2] + 1)
    assert "0 new" in upload("fatima", stick)  # twice: nothing more
    assert counts() == (before[0] + 3, before[1] + 1, before[2] + 1)
