"""The push's per-item savepoint, at the database level: a failing item undoes only itself, and
an id that turns out to be stored already is compared instead of failing the batch."""
import uuid

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError, IntegrityError

from kultialogo.database import insert_in_savepoint, write_transaction
from kultialogo.extensions import db
from kultialogo.revisions import RevisionBlock
from kultialogo.stories import service as stories
from kultialogo.stories.models import Story
from kultialogo.stories.schema import validate_content
from kultialogo.timeutil import utcnow
from tests import factories as f

from .conftest import count_rows


def row(community_id, author_id, revision, **overrides):
    now = utcnow()
    values = {"id": uuid.uuid4(), "author_id": author_id, "community_id": community_id, "title": "T",
              "body": "B", "language": "en", "visibility": "public", "author_display": "pseudonym",
              "consent_kind": "self", "media": [], "status": "pending", "revision": revision, "etag": "e" * 32,
              "received_at": now, "updated_at": now, "ever_published": False, "moderation_reason": "",
              "place": "", "about_minor": False, "consent_guardian": False}
    values.update(overrides)
    return {k: v for k, v in values.items() if k in Story.__table__.c}


@pytest.fixture
def amina(app):
    f.community("siena")
    return f.account("amina", community_slug="siena")


def test_a_failed_insert_undoes_only_itself(app, amina):
    community_id = f.community("siena").id
    first, clash, after = row(community_id, amina.id, 1), None, row(community_id, amina.id, 3)
    clash = row(community_id, amina.id, 2, id=first["id"])
    with write_transaction():
        insert_in_savepoint(db.session, Story.__table__, first)
        with pytest.raises(IntegrityError):
            insert_in_savepoint(db.session, Story.__table__, clash)
        insert_in_savepoint(db.session, Story.__table__, after)  # the transaction is still usable
    assert count_rows() == 2
    stored = db.session.get(Story, first["id"])
    assert stored.revision == 1 and stored.media == [] and stored.received_at is not None


def test_a_value_the_database_refuses_undoes_only_itself(app, amina, database_url):
    community_id = f.community("siena").id
    good = row(community_id, amina.id, 1)
    bad = row(999_999, amina.id, 2)  # no such community: the foreign key refuses it
    with write_transaction():
        with pytest.raises(DBAPIError):
            insert_in_savepoint(db.session, Story.__table__, bad)
        insert_in_savepoint(db.session, Story.__table__, good)
    assert count_rows() == 1


def test_an_id_stored_behind_the_lock_is_compared_not_failed(app, amina):
    """A writer that bypassed the counter lock stored the id between our lookup and our
    insert: the unique key catches it and the item is answered as a replay."""
    community = f.community("siena")
    content = validate_content(f.story_data())
    story_id = uuid.uuid4()
    with write_transaction():
        revs = RevisionBlock(db.session)
        first = stories.upsert_in_savepoint(amina, story_id, content, revs=revs,
                                            communities=stories.Communities(), existing=None)
        revs.flush()
    assert first.result == "created"
    with write_transaction():
        revs = RevisionBlock(db.session)
        # existing=None: "looked up and absent", as a push that lost a race would believe.
        again = stories.upsert_in_savepoint(amina, story_id, content, revs=revs,
                                            communities=stories.Communities(), existing=None)
        other = stories.upsert_in_savepoint(amina, uuid.uuid4(), content, revs=revs,
                                            communities=stories.Communities(), existing=None)
        revs.flush()
    assert again.result == "unchanged" and other.result == "created"
    assert count_rows() == 2
    assert db.session.scalar(select(func.count()).select_from(Story).where(Story.community_id == community.id)) == 2


def test_without_the_compiled_shortcut_the_plain_savepoint_behaves_the_same(app, amina, monkeypatch):
    import kultialogo.database as database
    monkeypatch.setattr(database, "_compiled_insert", lambda *args: False)
    test_a_failed_insert_undoes_only_itself(app, amina)


def test_a_refused_batch_insert_is_redone_item_by_item(app, amina, monkeypatch):
    """New stories of a push go in one INSERT; if it fails (here: one id was stored behind
    the lock, so the lookup missed it), each item is redone on its own: the others are still
    created and the stored one is compared, not failed."""
    from kultialogo.stories.records import StoryBatch
    from kultialogo.sync import service as sync
    stored = f.item()
    assert sync.push(amina, [stored])[0]["result"] == "created"

    def missing(self, items):  # the lookup misses it
        self.existing.update({item.id: None for item in items})
    monkeypatch.setattr(StoryBatch, "preload", missing)
    before, after = f.item(), f.item()
    results = sync.push(amina, [before, stored, after])
    assert [r["result"] for r in results] == ["created", "unchanged", "created"]
    assert count_rows() == 3
