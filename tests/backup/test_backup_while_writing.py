"""A backup taken while the app keeps writing is a consistent snapshot (SQLite, WAL mode)."""
import json
import sqlite3
import tarfile
import threading

import pytest

from kultialogo.extensions import db
from tests import factories as f
from tests.api.conftest import ApiClient, Person, direct_token, push

from .conftest import run_cli

BATCH = 5


@pytest.fixture
def sqlite_only(database_url):
    if not database_url.startswith("sqlite"):
        pytest.skip("the online backup API is SQLite's; pg_dump's snapshot is PostgreSQL's own")


def test_a_backup_taken_while_stories_are_written_is_consistent(sqlite_only, app, tmp_path):
    f.community("siena", moderation="trusted")
    amina = Person(f.account("amina", community_slug="siena"), None)
    amina.token = direct_token(amina.account)
    db.session.remove()
    stop, batches, errors = threading.Event(), [], []
    written = threading.Condition()

    def writer():
        client = ApiClient(app)
        try:
            while not stop.is_set():
                results = push(client, amina, *[f.item(title=f"batch {len(batches)}") for _ in range(BATCH)])
                assert all(r["result"] == "created" for r in results)
                with written:
                    batches.append(len(results))
                    written.notify_all()
        except BaseException as exc:  # noqa: BLE001 - reported by the test below
            errors.append(exc)
            with written:
                written.notify_all()

    def wait_for(n):
        with written:
            written.wait_for(lambda: len(batches) >= n or errors)

    thread = threading.Thread(target=writer)
    thread.start()
    paths = []
    try:
        for round_ in range(3):
            wait_for(2 + 2 * round_)  # the writer is busy, before and between the backups
            path = tmp_path / f"b{round_}.tar"
            result = run_cli(app, "backup", str(path))
            assert result.exit_code == 0, result.output
            paths.append(path)
    finally:
        stop.set()
        thread.join()
    assert not errors, errors
    total = sum(batches)
    in_backups = []
    for path in paths:
        with tarfile.open(path) as tar:
            manifest = json.load(tar.extractfile("manifest.json"))
            tar.extract("database.sqlite3", tmp_path / path.stem, filter="data")
        conn = sqlite3.connect(tmp_path / path.stem / "database.sqlite3")
        try:
            assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
            stories, top = conn.execute("SELECT count(*), max(revision) FROM stories").fetchone()
            counter = conn.execute("SELECT value FROM revision_counter").fetchone()[0]
        finally:
            conn.close()
        # Each push of BATCH stories is one transaction: a snapshot holds whole pushes only,
        # and the revision counter agrees with the stories it handed revisions to.
        assert stories % BATCH == 0 and 0 < stories <= total
        assert counter == top
        assert manifest["counts"]["stories"] == stories
        in_backups.append(stories)
    print(f"\n{total} stories written while three backups were taken ({in_backups} in them)")
