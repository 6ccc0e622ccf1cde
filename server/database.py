"""Database engine behaviour that both SQLite and PostgreSQL must share.

SQLite: WAL journal, foreign keys on, a busy timeout, and write transactions that take the
write lock up front (BEGIN IMMEDIATE). Without that, a transaction that read first and writes
later fails at once with "database is locked" when another writer got in between, and the
busy timeout never applies. PostgreSQL needs nothing special here: the revision counter row
lock (see revisions.py) serialises writers.
"""
import contextvars
from contextlib import contextmanager

from sqlalchemy import event
from sqlalchemy.engine import Engine

from .extensions import db

_immediate = contextvars.ContextVar("kultialogo_write_txn", default=False)


def is_sqlite() -> bool:
    return db.engine.dialect.name == "sqlite"


def configure_engine(app) -> None:
    """Install the SQLite connection hooks on the app's engine (no-op on PostgreSQL)."""
    with app.app_context():
        engine = db.engine
    if engine.dialect.name != "sqlite":
        return
    busy_ms = int(app.config["SQLITE_BUSY_TIMEOUT_MS"])
    _install_sqlite_hooks(engine, busy_ms)


def _install_sqlite_hooks(engine: Engine, busy_ms: int) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        # Take transaction control away from pysqlite so SAVEPOINT works and we choose
        # the BEGIN flavour (SQLAlchemy's documented recipe).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout = {busy_ms}")
        cur.execute("PRAGMA foreign_keys = ON")
        cur.execute("PRAGMA journal_mode = WAL")
        cur.execute("PRAGMA synchronous = NORMAL")  # WAL + NORMAL is durable across app crashes
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        conn.exec_driver_sql("BEGIN IMMEDIATE" if _immediate.get() else "BEGIN")


@contextmanager
def write_transaction():
    """Run the block in one write transaction, committed at the end, rolled back on error.

    Any read transaction the request already holds (loading the signed-in user, say) is
    ended first so that on SQLite the new one starts with the write lock.
    """
    session = db.session()  # the request's real Session behind the scoped proxy
    if session.in_transaction():
        session.commit()
    token = _immediate.set(True)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        _immediate.reset(token)
