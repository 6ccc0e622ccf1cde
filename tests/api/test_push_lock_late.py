"""A push of stories checks its items before it takes the revision counter lock, and takes it to
write (stories.records.StoryBatch._lock): on PostgreSQL two pushes do their per-item work side by
side. What a push read before the lock must not decide a write: another push may commit in
between, and nothing it wrote may be lost or stored twice.

On SQLite a write transaction holds the database's write lock from its start, so nothing can
commit in between there; the tests that make another push commit in between run on PostgreSQL.
"""
import threading
import uuid

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from kultialogo.extensions import db
from kultialogo.stories import hooks
from kultialogo.stories.models import Story
from kultialogo.stories.records import StoryBatch
from tests import factories as f

from .conftest import PUSH, ApiClient, count_rows, direct_token


def _postgresql_only():
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite's write transaction holds the database's write lock from its start")


def _counter_free_elsewhere() -> bool:
    """Whether another connection could take the counter's row lock right now."""
    engine = create_engine(db.engine.url.render_as_string(hide_password=False), poolclass=NullPool)
    try:
        with engine.connect() as other:
            try:
                other.execute(text("SELECT value FROM revision_counter WHERE id = 1 FOR UPDATE NOWAIT"))
                return True
            except Exception as exc:  # LockNotAvailable, wrapped by SQLAlchemy
                assert "could not obtain lock" in str(exc)
                return False
            finally:
                other.rollback()
    finally:
        engine.dispose()


@pytest.fixture
def siena(app):
    app.test_client_class = ApiClient
    f.community("siena", moderation="trusted")
    return f.bearer(direct_token(f.account("amina", community_slug="siena")))


def test_new_stories_are_checked_without_the_counter_lock_and_edits_under_it(app, siena):
    _postgresql_only()
    client = app.test_client()
    story_id = str(uuid.uuid4())
    free_while_checking: list[bool] = []

    def check(actor, content, community):
        free_while_checking.append(_counter_free_elsewhere())

    hooks.register_content_check(check)
    try:
        created = client.post(PUSH, json={"items": [f.item(story_id, title="Arrival"), f.item(title="Market")]},
                              headers=siena).json["results"]
        assert [r["result"] for r in created] == ["created", "created"]
        assert free_while_checking == [True, True]  # new stories: checked before the lock

        free_while_checking.clear()
        edited = client.post(PUSH, json={"items": [f.item(story_id, base_etag=created[0]["record"]["etag"],
                                                          title="Arrival, told again")]},
                             headers=siena).json["results"]
        assert edited[0]["result"] == "updated"
        assert free_while_checking == [False]  # a stored story's change: decided under the lock
    finally:
        hooks.unregister(check)
    assert created[0]["record"]["revision"] < created[1]["record"]["revision"] < edited[0]["record"]["revision"]


def _commit_elsewhere_before_the_lock(monkeypatch, client, headers, items, answers):
    """The first time a push is about to take the counter lock, another push of ``items``
    runs to its commit (in its own thread, app context and connection), then the lock is taken."""
    real_lock = StoryBatch._lock
    started = []

    def lock_after_another_push(self, *args, **kwargs):
        if not started and not self.revs.taken:
            started.append(True)  # once: the other push takes its lock as it would
            def push_elsewhere():
                answers.extend(client.post(PUSH, json={"items": items}, headers=headers).json["results"])
            other = threading.Thread(target=push_elsewhere)
            other.start()
            other.join(timeout=60)
            assert not other.is_alive(), "the other push waited on this one: it holds a lock it should not yet"
        return real_lock(self, *args, **kwargs)

    monkeypatch.setattr(StoryBatch, "_lock", lock_after_another_push)


def test_an_edit_read_before_another_push_commits_its_own_edit_is_kept_as_a_conflict(app, siena, monkeypatch):
    _postgresql_only()
    client = app.test_client()
    story_id = str(uuid.uuid4())
    first = client.post(PUSH, json={"items": [f.item(story_id, title="Arrival")]}, headers=siena).json["results"][0]
    base = first["record"]["etag"]
    phone = f.item(story_id, base_etag=base, title="Arrival, from the phone")
    laptop = f.item(story_id, base_etag=base, title="Arrival, from the laptop")
    elsewhere: list[dict] = []
    _commit_elsewhere_before_the_lock(monkeypatch, client, siena, [laptop], elsewhere)

    # The phone's push reads the story (base etag matches), then the laptop's edit commits.
    answer = client.post(PUSH, json={"items": [phone]}, headers=siena).json["results"][0]
    monkeypatch.undo()

    assert elsewhere[0]["result"] == "updated"
    assert answer["result"] == "conflict"  # read again under the lock: the base is stale now
    db.session.rollback()
    story = db.session.get(Story, uuid.UUID(story_id))
    assert story.title == "Arrival, from the laptop"  # the laptop's text is not overwritten
    assert [c.content["title"] for c in story.conflicts] == ["Arrival, from the phone"]  # nor the phone's lost


def test_a_new_story_stored_by_another_push_before_the_lock_is_stored_once(app, siena, monkeypatch):
    _postgresql_only()
    client = app.test_client()
    same = f.item(title="Summer camp, day one")
    others = [f.item(title=f"Summer camp, day {n}") for n in ("two", "three")]
    elsewhere: list[dict] = []
    _commit_elsewhere_before_the_lock(monkeypatch, client, siena, [same], elsewhere)

    # Both pushes find the story absent; the other one stores it first (a phone's retry racing
    # its own first try). This push's INSERT of it fails, and it is answered as a replay.
    results = client.post(PUSH, json={"items": [others[0], same, others[1]]}, headers=siena).json["results"]
    monkeypatch.undo()

    assert [r["result"] for r in elsewhere] == ["created"]
    assert [r["result"] for r in results] == ["created", "unchanged", "created"]
    assert results[1]["record"]["etag"] == elsewhere[0]["record"]["etag"]
    assert count_rows(Story) == 3
    revisions = [r["record"]["revision"] for r in results + elsewhere]
    assert len(set(revisions)) == 3  # the replay answers with the stored story's revision


def test_a_withdrawal_of_a_story_stored_by_another_push_before_the_lock_applies(app, siena, monkeypatch):
    _postgresql_only()
    client = app.test_client()
    story = f.item(title="Coaching session")
    elsewhere: list[dict] = []
    _commit_elsewhere_before_the_lock(monkeypatch, client, siena, [story], elsewhere)

    # The withdrawal's push finds no story, then the story's own push commits: under the lock
    # the withdrawal finds it after all.
    withdrawal = {"type": "story", "op": "withdraw", "id": story["id"], "base_etag": None}
    result = client.post(PUSH, json={"items": [withdrawal]}, headers=siena).json["results"][0]
    monkeypatch.undo()

    assert elsewhere[0]["result"] == "created"
    assert result["result"] == "updated" and result["record"]["deleted"] is True, result
    db.session.rollback()
    assert db.session.get(Story, uuid.UUID(story["id"])).status == "withdrawn"


def test_a_push_of_stories_that_changes_nothing_takes_no_revision(app, siena):
    client = app.test_client()
    item = f.item(title="Intercultural evening")
    client.post(PUSH, json={"items": [item]}, headers=siena)
    db.session.rollback()
    before = db.session.scalar(text("SELECT value FROM revision_counter WHERE id = 1"))
    replay = client.post(PUSH, json={"items": [item, {**f.item(), "data": {"title": 5}}]}, headers=siena).json
    assert [r["result"] for r in replay["results"]] == ["unchanged", "rejected"]
    db.session.rollback()
    assert db.session.scalar(text("SELECT value FROM revision_counter WHERE id = 1")) == before
