"""What a push reads: the pusher's account once (its write transaction keeps what the token
lookup loaded, database.write_transaction(keep_loaded=True)), and only there."""
from contextlib import contextmanager

from sqlalchemy import event, select

from kultialogo.accounts.models import Account
from kultialogo.database import write_transaction
from kultialogo.extensions import db
from tests import factories as f

from .conftest import push


@contextmanager
def statements():
    seen: list[str] = []

    def note(_conn, _cursor, statement, *_args):
        seen.append(" ".join(statement.split()))

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", note)


def reads_of(seen: list[str], table: str) -> list[str]:
    return [s for s in seen if s.startswith("SELECT") and f" FROM {table} " in f"{s} "]


def test_a_push_reads_the_pushers_account_once(client, people):
    amina = people["participant_a"]
    db.session.remove()
    with statements() as seen:
        results = push(client, amina, f.item(title="One"), f.item(title="Two"))
    assert [r["result"] for r in results] == ["created", "created"]
    # The token lookup reads the account with its token; the write transaction must not read it
    # again (expired by ending the read transaction before it, as it was).
    assert len(reads_of(seen, "accounts")) == 1, reads_of(seen, "accounts")


def test_keep_loaded_keeps_what_was_read_and_the_default_reads_it_again(app, people):
    amina_id = people["participant_a"].account.id
    for keep, reloads in ((True, 0), (False, 1)):
        db.session.remove()
        account = db.session.get(Account, amina_id)  # opens the read transaction
        with statements() as seen:
            with write_transaction(keep_loaded=keep):
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
