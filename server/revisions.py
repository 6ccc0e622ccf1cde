"""Server revisions: one monotonic sequence that orders every change a pull can see.

Every writer takes the single counter row's lock (an UPDATE), allocates revisions from it and
holds the lock until commit. Revisions therefore become visible in the order they were handed
out, so a pull cursor can never skip past a revision that is still uncommitted (the contract's
"never move past an uncommitted revision" rule) on SQLite and PostgreSQL alike.
Writes are batched (one push = one transaction), so serialising them costs little.

A writer may take the lock late (``RevisionBlock(session, late=True)``): it does its reading and
checking first and takes the lock (``take()``, or its first ``next()``) only when it is about to
write. Then whatever it read before that may have changed under it, and it must read again what
decides a write (stories.records.StoryBatch does): on PostgreSQL two pushes then check their
items side by side, and wait for each other only to write them.
"""
from sqlalchemy import BigInteger, Integer, bindparam, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapped, mapped_column

from .extensions import db


class RevisionCounter(db.Model):
    __tablename__ = "revision_counter"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)


_COUNTER = RevisionCounter.__table__
# Built once, in Core: as ORM statements each UPDATE was built and run through the ORM's bulk
# update path every time, a twentieth of a push (bench/ingest.py). Nothing holds the counter
# as an ORM object to keep in step.
_TAKE = (update(_COUNTER).where(_COUNTER.c.id == 1).values(value=_COUNTER.c.value)
         .returning(_COUNTER.c.value))
_STORE = update(_COUNTER).where(_COUNTER.c.id == 1).values(value=bindparam("last", type_=BigInteger))
_RESERVE = (update(_COUNTER).where(_COUNTER.c.id == 1)
            .values(value=_COUNTER.c.value + bindparam("count", type_=BigInteger)).returning(_COUNTER.c.value))


class RevisionBlock:
    """Revisions handed out inside one write transaction (which holds the counter lock)."""

    def __init__(self, session, *, late: bool = False):
        self._conn = session.connection()  # the transaction's own connection
        self._last = self._start = self._stored = None
        if not late:
            self.take()

    def take(self, reserve: int = 0) -> bool:
        """Take the counter lock, if this block has not yet; True if this call took it.

        ``reserve``: how many revisions the caller knows it is about to hand out, stored with
        the same statement, so that flush() has nothing left to store (one round trip less
        under the lock for a push's batch INSERT). Reserved and not handed out, they are
        skipped: cursors pass over a gap in the revisions as over any other.
        """
        if self._last is not None:
            return False
        # UPDATE takes the row lock (PostgreSQL) / needs the write lock (SQLite) and returns
        # the current value: every other writer now waits for our commit.
        if reserve > 0:
            self._stored = self._conn.execute(_RESERVE, {"count": reserve}).scalar_one()
            self._last = self._start = self._stored - reserve
        else:
            self._last = self._start = self._stored = self._conn.execute(_TAKE).scalar_one()
        return True

    @property
    def taken(self) -> bool:
        return self._last is not None

    def next(self) -> int:
        if self._last is None:
            self.take()
        self._last += 1
        return self._last

    def handed_out(self) -> range:
        """The revisions handed out since this block began (or since its last flush)."""
        if self._last is None:
            return range(0)
        return range(self._start + 1, self._last + 1)

    def flush(self) -> None:
        """Store the counter; call before commit if any revision was handed out."""
        if self._last is None:  # never taken: nothing handed out
            return
        if self._last > self._stored:
            self._conn.execute(_STORE, {"last": self._last})
            self._stored = self._last
        self._start = self._last


# Built once, in Core: every pull reads it first, and building the select cost more than running it.
# A pull reads it in its token's statement (accounts.auth.api_reader_and).
CURRENT = select(RevisionCounter.__table__.c.value).where(RevisionCounter.__table__.c.id == 1)


def current_revision(session) -> int:
    """The highest revision committed (every revision at or below it is visible), read through
    a Session or a Core Connection."""
    conn = session if isinstance(session, Connection) else session.connection()
    return conn.execute(CURRENT).scalar() or 0
