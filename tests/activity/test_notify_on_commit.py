"""Followers are told of a story only once its transaction commits, and the follow lookup of the
publish hook is made once per community per transaction, not once per story."""
import json
import uuid

import pytest
from sqlalchemy import event, select

from kultialogo.activity import notifications
from kultialogo.activity.models import Follow
from kultialogo.database import fetch_rows, write_transaction
from kultialogo.extensions import db
from kultialogo.jobs.models import Job
from kultialogo.stories import hooks
from kultialogo.stories.models import Story
from tests.api.conftest import push


def queued() -> list[list[uuid.UUID]]:
    """The story ids of each notification job committed so far (jobs/), oldest first."""
    db.session.commit()
    payloads = db.session.scalars(select(Job.payload).where(Job.kind == "activity.notify").order_by(Job.id))
    return [[uuid.UUID(i) for i in json.loads(payload)["stories"]] for payload in payloads]


@pytest.fixture
def scheduled():
    return queued


def follow(account_id, community_id):
    db.session.add(Follow(account_id=account_id, community_id=community_id, sync_id=uuid.uuid4(), revision=0))
    db.session.commit()


def story_item(community="siena", **data):
    return {"type": "story", "op": "upsert", "id": str(uuid.uuid4()), "base_etag": None, "data": {
        "title": "At the market", "body": "Stalls of figs.", "language": "en", "community": community,
        "visibility": "public", "author_display": "pseudonym", **data}}


def fake_story(community_id):
    return Story(id=uuid.uuid4(), community_id=community_id)


def test_a_released_savepoint_sends_nothing_before_the_commit(app, cast, scheduled):
    siena = cast["author"].account.memberships[0].community_id
    follow(cast["other_participant"].id, siena)
    story = fake_story(siena)
    with write_transaction():
        with db.session.begin_nested():
            hooks.first_published(story)
        assert not any(isinstance(o, Job) for o in db.session.new)  # the release queued nothing
    assert scheduled() == [[story.id]]  # one job, queued with the commit, not the savepoint


def test_a_publication_whose_transaction_rolls_back_is_never_sent(app, cast, scheduled):
    siena = cast["author"].account.memberships[0].community_id
    follow(cast["other_participant"].id, siena)
    with pytest.raises(RuntimeError):
        with write_transaction():
            with db.session.begin_nested():
                hooks.first_published(fake_story(siena))
            raise RuntimeError("a later item broke the whole push")
    with write_transaction():
        pass  # the next transaction commits: nothing of the rolled-back one may ride along
    assert scheduled() == []


def test_a_push_asks_once_per_community_whether_anyone_follows_it(app, client, cast, scheduled, monkeypatch):
    siena = cast["author"].account.memberships[0].community_id
    follow(cast["other_participant"].id, siena)
    asked = []

    def count(_conn, _cursor, statement, *_args):
        if "FROM follows" in statement:
            asked.append(statement)

    # The kept select runs on the driver's cursor (database.fetch_rows), past the engine's events.
    def counted_fetch_rows(conn, statement, params=None):
        count(conn, None, str(statement), params)
        return fetch_rows(conn, statement, params)

    monkeypatch.setattr(notifications, "fetch_rows", counted_fetch_rows)
    event.listen(db.engine, "before_cursor_execute", count)
    try:
        items = [story_item() for _ in range(5)] + [story_item("belgrade") for _ in range(2)]
        results = push(client, cast["admin"], *items)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert [r["result"] for r in results] == ["created"] * 7
    assert len(asked) == 2  # siena and belgrade, once each
    # Only siena has a follower: its five stories are noted, all in one job after the commit.
    [job] = scheduled()
    assert sorted(job) == sorted(uuid.UUID(item["id"]) for item in items[:5])


def test_a_follow_written_in_the_same_transaction_is_seen_by_the_next_publication(app, cast, scheduled):
    siena = cast["author"].account.memberships[0].community_id
    first, second = fake_story(siena), fake_story(siena)
    with write_transaction():
        hooks.first_published(first)  # nobody follows siena yet
        db.session.add(Follow(account_id=cast["other_participant"].id, community_id=siena,
                              sync_id=uuid.uuid4(), revision=0))
        db.session.flush()
        hooks.first_published(second)
    assert scheduled() == [[second.id]]
