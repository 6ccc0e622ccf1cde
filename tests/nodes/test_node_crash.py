"""``kill -9`` of a node in the middle of ``kultialogo node sync``: the next sync completes
from the checkpoint, sending again at most one chunk, and central stores everything once."""
import re
import signal
import time
import uuid

from sqlalchemy import create_engine, func, select, text

from kultialogo import records
from kultialogo.accounts.models import Account
from kultialogo.extensions import db
from kultialogo.nodes import replication, tokens
from kultialogo.stories.models import Story
from kultialogo.sync import engine

from tests import factories

STORIES = 2000


def make_stories(n: int) -> None:
    """As phones at the camp would: pushes of 100 through the node's engine."""
    author = db.session.scalar(select(Account).where(Account.username == "amina"))
    for start in range(0, n, 100):
        items = [factories.item(uuid.uuid4(), title=f"Camp story {i}") for i in range(start, min(n, start + 100))]
        answers = engine.push(author, items)
        assert all(result.result == records.CREATED for _item, result in answers)


def checkpoint(path) -> int:
    eng = create_engine(f"sqlite:///{path}")
    try:
        with eng.connect() as conn:
            return conn.execute(text("SELECT push_revision FROM node_link")).scalar() or 0
    finally:
        eng.dispose()


def test_a_sync_killed_midway_resumes_from_its_checkpoint(app, live_server, node):
    siena = factories.community("siena", moderation="trusted")
    fatima = factories.account("fatima", community_slug="siena", role="facilitator")
    factories.account("amina", community_slug="siena")
    token, _row = tokens.issue(fatima, siena, label="camp")
    node.run(lambda: replication.init(live_server.url, token))
    node.run(lambda: make_stories(STORIES))

    first = node.command("sync", "--quiet")
    deadline = time.monotonic() + 120
    while checkpoint(node.path) == 0 and first.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    first.send_signal(signal.SIGKILL)
    first.wait(30)
    first.stdout.close()
    assert first.returncode == -signal.SIGKILL, "the sync ended before the kill: make it longer"
    stopped_at = checkpoint(node.path)
    assert stopped_at > 0

    second = node.command("sync", "--quiet")
    out, _ = second.communicate(timeout=300)
    assert second.returncode == 0, out
    sent, repeated = map(int, re.search(r"Synced: (\d+) records sent \((\d+) central had already\)", out).groups())
    assert repeated <= replication.CHUNK_ITEMS, out
    assert 0 < sent < STORIES + 10, out  # resumed: not everything again
    print(f"killed at local revision {stopped_at}; then sent {sent}, of which {repeated} again")

    db.session.expire_all()
    titles = db.session.scalars(select(Story.title).where(Story.title.like("Camp story %"))).all()
    assert len(titles) == len(set(titles)) == STORIES
    # And a third sync has nothing left to send.
    third = node.command("sync", "--quiet")
    out, _ = third.communicate(timeout=120)
    assert "Synced: 0 records sent" in out, out
    assert db.session.scalar(select(func.count()).select_from(Story)) == STORIES
