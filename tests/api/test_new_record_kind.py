"""A record kind defined only here, in a test module, travels like the others: pushed, pulled,
in the person's data download, and purged when its story is withdrawn or its author's account
deleted, with no change to the sync engine or the privacy coordinator (issue 14).

The kind is a "bookmark": a person's private note on a story. Its table lives in its own
MetaData, created for this test and dropped after, as a domain's migration would make it.
"""
import io
import json
import uuid
import zipfile

import pytest
from sqlalchemy import BigInteger, Column, Integer, MetaData, String, Table, Uuid, delete, insert, select

from kultialogo import personal_data, policy, records
from kultialogo.errors import Problem
from kultialogo.extensions import db
from kultialogo.privacy import service as privacy
from kultialogo.stories import hooks as story_hooks
from kultialogo.stories.models import Story
from tests import factories as f

from .conftest import PULL, push, push_one

metadata = MetaData()
bookmarks = Table("test_bookmarks", metadata,
                  Column("id", Uuid, primary_key=True),
                  Column("story_id", Uuid, nullable=False),
                  Column("owner_id", Integer, nullable=False),
                  Column("note", String(200), nullable=False),
                  Column("revision", BigInteger, nullable=False))


def view(row) -> dict:
    return {"type": "bookmark", "id": str(row.id), "story": str(row.story_id), "note": row.note,
            "revision": row.revision}


class BookmarkBatch(records.Batch):
    def apply(self, item):
        try:
            with db.session.begin_nested():
                found = db.session.execute(select(bookmarks).where(bookmarks.c.id == item.id)).first()
                if item.op == records.DELETE:
                    if found is not None:
                        db.session.execute(delete(bookmarks).where(bookmarks.c.id == item.id))
                        records.bury("bookmark", item.id, self.revs, owner_id=self.actor.id)
                    return records.Result(records.UPDATED, records.tombstone_view("bookmark", item.id, 0))
                if found is not None:
                    same = found.note == item.parsed["note"]
                    return records.Result(records.UNCHANGED if same else records.CONFLICT, view(found))
                story = db.session.get(Story, uuid.UUID(item.parsed["story"]))
                if story is None or not policy.can_view_story(self.actor, story):
                    raise Problem("not_found", status=404, field="story")
                row = {"id": item.id, "story_id": story.id, "owner_id": self.actor.id,
                       "note": item.parsed["note"], "revision": self.revs.next()}
                db.session.execute(insert(bookmarks), row)
                return records.Result(records.CREATED, view(type("Row", (), row)))
        except Problem as problem:
            return records.Result.rejected(problem)


class BookmarkKind(records.Kind):
    name = "bookmark"
    data_keys = frozenset({"story", "note"})

    def batch(self, actor, revs):
        return BookmarkBatch(self, actor, revs)

    def changes(self, viewer, since, limit):
        if not policy.signed_in(viewer):
            return []
        rows = db.session.execute(select(bookmarks).where(bookmarks.c.owner_id == viewer.id,
                                                          bookmarks.c.revision > since)
                                  .order_by(bookmarks.c.revision).limit(limit))
        out = [(row.revision, view(row)) for row in rows]
        out += records.tombstones("bookmark", since, limit, records.Tombstone.owner_id == viewer.id)
        return sorted(out, key=lambda change: change[0])[:limit]


def forget_with_story(actor, story, revs):
    for row in db.session.execute(select(bookmarks).where(bookmarks.c.story_id == story.id)).all():
        records.bury("bookmark", row.id, revs, owner_id=row.owner_id)
    db.session.execute(delete(bookmarks).where(bookmarks.c.story_id == story.id))


def export(person):
    rows = db.session.execute(select(bookmarks).where(bookmarks.c.owner_id == person.id)).all()
    return {"bookmarks.json": [view(row) for row in rows]}


def forget(person, choice, revs):
    for row in db.session.execute(select(bookmarks).where(bookmarks.c.owner_id == person.id)).all():
        records.bury("bookmark", row.id, revs, owner_id=person.id)
    db.session.execute(delete(bookmarks).where(bookmarks.c.owner_id == person.id))


PART = personal_data.Part("bookmarks", "bookmarks.json: your private notes on stories.", export, forget)


@pytest.fixture
def bookmark_kind(app):
    """Registered as a domain would register it: the kind, its share of a person's data, and
    its withdrawal hook; all taken back after the test."""
    metadata.create_all(db.engine)
    kind = records.register(BookmarkKind())
    personal_data.register(PART)
    story_hooks.register_withdrawal_hook(forget_with_story)
    yield kind
    story_hooks.unregister(forget_with_story)
    personal_data.unregister(PART.name)
    records.unregister(kind.name)
    db.session.rollback()
    metadata.drop_all(db.engine)


def bookmark(story_id, note="Read this to the group", record_id=None, op="upsert"):
    out = {"type": "bookmark", "op": op, "id": str(record_id or uuid.uuid4())}
    if op == "upsert":
        out["data"] = {"story": str(story_id), "note": note}
    return out


def pulled(client, person, cursor=None):
    query = {"kinds": "story,bookmark", **({"cursor": cursor} if cursor else {})}
    page = client.get(PULL, query_string=query, headers=person.headers).get_json()
    return page["items"], page["cursor"]


def test_a_kind_defined_in_a_test_module_is_pushed_pulled_exported_and_purged(client, people, bookmark_kind):
    fatima, amina = people["facilitator_a"], people["participant_a"]
    story = f.item(title="The bridge")
    mark = bookmark(story["id"])
    results = push(client, fatima, story, mark)  # one mixed push, the new kind reading the new story
    assert [(r["type"], r["result"]) for r in results] == [("story", "created"), ("bookmark", "created")]
    assert push_one(client, fatima, mark)["result"] == "unchanged"
    assert push_one(client, fatima, bookmark(story["id"], "Other words", mark["id"]))["result"] == "conflict"

    items, cursor = pulled(client, fatima)
    assert [(i["type"], i["id"]) for i in items] == [("story", story["id"]), ("bookmark", mark["id"])]
    assert items[1]["note"] == "Read this to the group"
    assert mark["id"] not in {i["id"] for i in pulled(client, amina)[0]}  # private to its owner

    db.session.rollback()
    archive = zipfile.ZipFile(io.BytesIO(privacy.export_zip(fatima.account, fatima.account)))
    assert [b["id"] for b in json.loads(archive.read("bookmarks.json"))] == [mark["id"]]
    assert "bookmarks.json: your private notes on stories." in archive.read("README.txt").decode()

    # The story is withdrawn: the bookmark goes with it and reaches the phone as a tombstone.
    push_one(client, fatima, f.item(story["id"], op="withdraw"))
    items, _ = pulled(client, fatima, cursor)
    assert {(i["type"], i["id"]) for i in items if i.get("deleted")} == {("story", story["id"]),
                                                                        ("bookmark", mark["id"])}
    db.session.rollback()
    assert db.session.execute(select(bookmarks)).all() == []


def test_a_deleted_account_takes_the_new_kind_with_it(client, people, bookmark_kind):
    fatima, amina = people["facilitator_a"], people["participant_a"]
    story = f.item()
    push_one(client, fatima, story)
    push_one(client, amina, bookmark(story["id"]))
    db.session.rollback()
    privacy.delete_account(amina.account, amina.account, personal_data.DELETE)
    db.session.rollback()
    assert db.session.execute(select(bookmarks)).all() == []
