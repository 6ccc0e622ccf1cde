"""A withdrawn story (and a deleted account's stories) leave no bytes behind (issue #13): not in
the SQLite file, not in its -wal or -shm, not in a translation or a reporter's note that quoted it."""
import sqlite3
import uuid
from pathlib import Path

import pytest
from sqlalchemy import text

from kultialogo import database
from kultialogo.extensions import db
from tests import factories as f
from tests.people.helpers import Fresh, all_rows_text
from tests.people.test_withdrawal_and_privacy import _delete, people  # noqa: F401

MARK = "Qzmark7731"


def sqlite_files(app) -> list[Path]:
    path = Path(app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///"))
    return [path, Path(f"{path}-wal"), Path(f"{path}-shm")]


def raw_hits(app, mark=MARK) -> list[str]:
    """The database files whose raw bytes hold the mark (in UTF-8, as SQLite stores text)."""
    if db.engine.dialect.name != "sqlite":
        return []
    return [p.name for p in sqlite_files(app) if p.exists() and mark.encode() in p.read_bytes()]


def quoted_everywhere(app, people, tag: str) -> str:
    """A story by the writer quoting the mark in title, body and place, a translation and a
    report note quoting it too; half of it checkpointed into the main file, half in the WAL."""
    writer = f.token(Fresh(app), "zainabqx")
    reader = f.token(Fresh(app), "readerqx")
    story_id = str(uuid.uuid4())
    pushed = Fresh(app).post("/api/v1/sync/push", headers=f.bearer(writer), json={"items": [
        f.item(story_id, community="a", title=f"{MARK} {tag} title", body=f"{MARK} {tag} body",
               place=f"{MARK} {tag} place")]}).get_json()
    assert pushed["results"][0]["result"] == "created", pushed
    if db.engine.dialect.name == "sqlite":  # the story's first version goes into the main file
        db.session.rollback()  # (the test's own read snapshot would keep it busy)
        assert database.checkpoint_wal()
    translated = Fresh(app).open(f"/api/v1/stories/{story_id}/translations/it", method="PUT",
                                 headers=f.bearer(reader),
                                 json={"title": f"{MARK} titolo", "body": f"{MARK} {tag} corpo"})
    assert translated.status_code == 201, translated.get_data(as_text=True)
    reported = Fresh(app).post(f"/api/v1/stories/{story_id}/reports", headers=f.bearer(reader),
                               json={"reason": "other", "note": f"It says {MARK} {tag}"})
    assert reported.status_code == 201, reported.get_data(as_text=True)
    db.session.rollback()
    assert MARK in all_rows_text()
    assert raw_hits(app) or db.engine.dialect.name != "sqlite"
    return story_id


def test_a_withdrawn_story_leaves_no_bytes_in_the_database_files(app, people):
    story_id = quoted_everywhere(app, people, "withdrawn")
    db.session.rollback()  # the test's own read snapshot is no request's: end it, as a request would
    writer = f.token(Fresh(app), "zainabqx")
    result = Fresh(app).post("/api/v1/sync/push", headers=f.bearer(writer), json={"items": [
        {"type": "story", "op": "withdraw", "id": story_id, "base_etag": None}]}).get_json()
    assert result["results"][0]["result"] == "updated", result
    db.session.rollback()
    assert MARK not in all_rows_text()
    assert raw_hits(app) == []
    if db.engine.dialect.name == "sqlite":
        assert db.session.execute(text("PRAGMA secure_delete")).scalar() == 1
        db.session.rollback()


def test_deleting_an_account_with_its_stories_leaves_no_bytes_either(app, people):
    quoted_everywhere(app, people, "account")
    db.session.rollback()
    assert _delete(app, "delete").status_code == 302
    db.session.rollback()
    assert MARK not in all_rows_text()
    assert raw_hits(app) == []


def test_a_checkpoint_kept_busy_by_a_reader_is_done_once_the_reader_is_gone(app, people):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL has no WAL file of ours to truncate")
    story_id = quoted_everywhere(app, people, "busy")
    db.session.rollback()
    # Another process reading, mid-transaction, while the story is withdrawn.
    reader = sqlite3.connect(sqlite_files(app)[0], isolation_level=None)
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM stories").fetchone()
    writer = f.token(Fresh(app), "zainabqx")
    result = Fresh(app).post("/api/v1/sync/push", headers=f.bearer(writer), json={"items": [
        {"type": "story", "op": "withdraw", "id": story_id, "base_etag": None}]}).get_json()
    assert result["results"][0]["result"] == "updated", result
    assert "kultialogo.sqlite3-wal" in raw_hits(app)  # the old pages: the reader may still need them
    reader.execute("COMMIT")
    reader.close()
    Fresh(app).get("/api/v1/limits")  # the next request ends with the owed checkpoint
    db.session.rollback()
    assert raw_hits(app) == []


def test_sqlite_keeps_its_journals_and_sorts_in_memory(app):
    """No page of a story goes to a temporary file on disk, where secure_delete does not reach:
    statement and savepoint journals and sorts stay in memory (database.py), on every connection
    of the pool (a request's session and a read connection alike)."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's temporary files")
    assert db.session.execute(text("PRAGMA temp_store")).scalar() == 2  # MEMORY
    db.session.rollback()
    with database.read_connection() as conn:
        assert conn.execute(text("PRAGMA temp_store")).scalar() == 2
