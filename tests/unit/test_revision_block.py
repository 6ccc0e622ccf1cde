"""The revision counter's block (server/revisions.py): taken at once or late, with revisions
reserved in the statement that takes it, and stored by flush() only when more were handed out."""
from sqlalchemy import event

from kultialogo.database import write_transaction
from kultialogo.extensions import db
from kultialogo.revisions import RevisionBlock, current_revision


class Statements:
    """The counter statements a block runs."""

    def __init__(self):
        self.seen: list[str] = []

    def __call__(self, conn, cursor, statement, parameters, context, executemany):
        if "revision_counter" in statement:
            self.seen.append(statement.split()[0])

    def __enter__(self):
        event.listen(db.engine, "before_cursor_execute", self)
        return self

    def __exit__(self, *exc):
        event.remove(db.engine, "before_cursor_execute", self)


def test_a_late_block_takes_the_counter_only_when_asked(app):
    start = current_revision(db.session)
    with Statements() as statements, write_transaction():
        revs = RevisionBlock(db.session, late=True)
        assert not revs.taken and statements.seen == [] and list(revs.handed_out()) == []
        revs.flush()  # nothing handed out, nothing taken: nothing stored
        assert statements.seen == []
        assert revs.next() == start + 1  # the first revision takes it
        assert revs.taken and not revs.take()
        revs.flush()
    assert statements.seen == ["UPDATE", "UPDATE"]
    assert current_revision(db.session) == start + 1


def test_revisions_reserved_when_taken_are_stored_with_it(app):
    start = current_revision(db.session)
    with Statements() as statements, write_transaction():
        revs = RevisionBlock(db.session, late=True)
        assert revs.take(reserve=3)
        assert [revs.next() for _ in range(3)] == [start + 1, start + 2, start + 3]
        revs.flush()  # stored already, by the statement that took the lock
        assert statements.seen == ["UPDATE"]
        assert revs.next() == start + 4  # one more than reserved: flush stores it
        revs.flush()
        assert statements.seen == ["UPDATE", "UPDATE"]
    assert current_revision(db.session) == start + 4


def test_reserved_revisions_not_handed_out_are_skipped(app):
    start = current_revision(db.session)
    with write_transaction():
        revs = RevisionBlock(db.session, late=True)
        revs.take(reserve=5)
        assert revs.next() == start + 1
        revs.flush()
    assert current_revision(db.session) == start + 5  # a gap: never handed out, never shown
    with write_transaction():
        assert RevisionBlock(db.session).next() == start + 6
