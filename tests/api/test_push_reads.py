"""What a push reads: the pusher's account once, with its token and memberships in one statement
(as plain values, auth.api_actor), and only there; the answer of a story it inserted is built
after the commit, outside the write lock, without reading again."""
from contextlib import contextmanager

from sqlalchemy import event, select

from kultialogo.accounts import auth
from kultialogo.accounts.models import Account
from kultialogo.database import write_transaction
from kultialogo.extensions import db
from kultialogo.stories import service as stories
from tests import factories as f

from .conftest import push


@contextmanager
def statements():
    seen: list[str] = []

    def note(_conn, _cursor, statement, *_args):
        seen.append(" ".join(statement.split()))

    def committed(_conn):
        seen.append("COMMIT")

    event.listen(db.engine, "before_cursor_execute", note)
    event.listen(db.engine, "commit", committed)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", note)
        event.remove(db.engine, "commit", committed)


def reads_of(seen: list[str], table: str) -> list[str]:
    return [s for s in seen if s.startswith("SELECT") and f" FROM {table} " in f"{s} "]


def test_a_push_reads_the_pushers_account_once(client, people, monkeypatch):
    amina = people["participant_a"]
    lookups = []
    fetch_rows = auth.fetch_rows

    def counted(conn, statement, params=None):
        lookups.append(" ".join(str(statement).split()))
        return fetch_rows(conn, statement, params)

    monkeypatch.setattr(auth, "fetch_rows", counted)
    db.session.remove()
    with statements() as seen:
        results = push(client, amina, f.item(title="One"), f.item(title="Two"))
    assert [r["result"] for r in results] == ["created", "created"]
    # The token lookup reads the token, the account and its memberships in one statement, as
    # plain values (auth.api_actor: the rate limit's key and the push share it); nothing reads
    # the account or its memberships again, through the ORM or otherwise.
    assert len(lookups) == 1, lookups
    assert "FROM api_tokens JOIN accounts" in lookups[0] and "JOIN memberships" in lookups[0], lookups
    mentions = [s for s in seen if s.startswith("SELECT") and ("accounts" in s or "memberships" in s)]
    assert mentions == [], mentions
    assert not [o for o in db.session.identity_map.values() if isinstance(o, Account)]


def test_a_new_storys_answer_is_built_after_the_commit_and_reads_nothing(client, people, monkeypatch):
    amina = people["participant_a"]
    stored = push(client, amina, f.item(title="Stored"))[0]["story"]
    built = []
    view = stories.story_view

    def story_view(story, viewer=None):
        built.append((story.title, db.session().in_transaction()))
        return view(story, viewer)

    monkeypatch.setattr(stories, "story_view", story_view)
    db.session.remove()
    with statements() as seen:
        results = push(client, amina, f.item(title="New"),
                       f.item(stored["id"], base_etag=stored["etag"], title="Edited"), f.item(title="Newer"))
    assert [r["result"] for r in results] == ["created", "updated", "created"]
    assert [r["story"]["title"] for r in results] == ["New", "Edited", "Newer"]
    # The stored story's view is built in the transaction, from the row as it is committed;
    # the new ones' after it, from the values inserted, which no commit changes.
    assert sorted(built) == [("Edited", True), ("New", False), ("Newer", False)]
    assert seen.count("COMMIT") >= 1
    after = seen[len(seen) - seen[::-1].index("COMMIT"):]
    assert after == [], after  # nothing read again after the commit (the pusher, the community)


def test_keep_loaded_keeps_what_was_read_and_the_default_reads_it_again(app, people):
    """Before the block and at its commit: with keep_loaded, what is loaded stays as it was read
    or written; without it, the account is read again in the block and after the commit."""
    amina_id = people["participant_a"].account.id
    for keep, reloads in ((True, 0), (False, 2)):
        db.session.remove()
        account = db.session.get(Account, amina_id)  # opens the read transaction
        with statements() as seen:
            with write_transaction(keep_loaded=keep):
                assert account.username == "amina"
            assert account.username == "amina"
        assert len(reads_of(seen, "accounts")) == reloads, (keep, seen)


def test_keep_loaded_with_a_pending_change_ends_the_read_as_before(app, people):
    """A change made before the write transaction is committed by it, and what was loaded is
    then read again under the lock, as without keep_loaded."""
    amina_id = people["participant_a"].account.id
    db.session.remove()
    account = db.session.get(Account, amina_id)
    account.display_name = "Amina K."
    with statements() as seen:
        with write_transaction(keep_loaded=True):
            assert account.display_name == "Amina K."
    assert len(reads_of(seen, "accounts")) == 1
    db.session.remove()
    assert db.session.scalar(select(Account.display_name).where(Account.id == amina_id)) == "Amina K."
