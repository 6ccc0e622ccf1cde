"""Database engine behaviour that both SQLite and PostgreSQL must share.

SQLite: WAL journal, foreign keys on, a busy timeout, and write transactions that take the
write lock up front (BEGIN IMMEDIATE). Without that, a transaction that read first and writes
later fails at once with "database is locked" when another writer got in between, and the
busy timeout never applies. PostgreSQL needs nothing special here: the revision counter row
lock (see revisions.py) serialises writers.
"""
import contextvars
import datetime
import json
import os
import sqlite3
import threading
import time
from contextlib import contextmanager

try:
    import fcntl
except ImportError:  # not on Windows: writers of other processes meet the busy timeout
    fcntl = None

from flask import current_app
from sqlalchemy import DateTime, String, any_, bindparam, event, func, insert, select
from sqlalchemy import exc as sa_exc
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Engine

from .extensions import db

_immediate = contextvars.ContextVar("kultialogo_write_txn", default=False)
# SQLite: one queue of writers per database file, taken before BEGIN IMMEDIATE (write_transaction).
_writer_locks: dict = {}  # URL -> WriterLock
_writer_locks_guard = threading.Lock()
_NO_BEGIN = "kultialogo_no_begin"  # an execution option: read_connection() on SQLite


def is_sqlite() -> bool:
    return db.engine.dialect.name == "sqlite"


def configure_engine(app) -> None:
    """Install the SQLite connection hooks on the app's engine; on PostgreSQL, the check of a
    connection that sat idle in the pool."""
    with app.app_context():
        engine = db.engine
    if engine.dialect.name != "sqlite":
        _install_idle_ping(engine, float(app.config["DATABASE_PING_IDLE_SECONDS"]))
        return
    busy_ms = int(app.config["SQLITE_BUSY_TIMEOUT_MS"])
    _install_sqlite_hooks(engine, busy_ms)
    app.teardown_appcontext(_pay_owed_checkpoint)


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
        # Deleted content is overwritten with zeros, not just unlinked: a withdrawn story must not
        # stay readable in free pages. Set here, not left to how the SQLite library was built.
        cur.execute("PRAGMA secure_delete = ON")
        # Statement and savepoint journals (and sorts) in memory, not temporary files. Each row a
        # push INSERTs into stories (which has triggers) and each savepoint journals the pages it
        # touches; past 64 KiB those journals went to a temporary file, which doubled the cost of
        # a push's batch INSERT (bench/ingest.py). And no page of a story, withdrawn later or not,
        # lands on the disk in a temporary file. The price: a large sort (an index made by a
        # migration on a big table) takes memory instead of disk.
        cur.execute("PRAGMA temp_store = MEMORY")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        if conn.get_execution_options().get(_NO_BEGIN):
            return  # read_connection(): each statement on its own, as in autocommit
        conn.exec_driver_sql("BEGIN IMMEDIATE" if _immediate.get() else "BEGIN")


def _install_idle_ping(engine: Engine, idle_seconds: float) -> None:
    """Check a pooled connection before use only when it sat idle longer than ``idle_seconds``:
    a database restart, a proxy's or firewall's idle timeout, kill it while it waits. Checking
    every checkout (pool_pre_ping) cost a round trip per request, a third of a phone's check-in
    (bench/hotpaths.py); under load connections go back and forth within milliseconds. A
    connection broken less than that ago fails its request (503, which phones retry) and the
    pool replaces every connection made before it (SQLAlchemy's invalidation on disconnect)."""
    @event.listens_for(engine, "checkin")
    def _idle_from(_dbapi_conn, record):
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _check_if_idle(dbapi_conn, record, _proxy):
        since = record.info.pop("idle_since", None)
        if since is None or time.monotonic() - since <= idle_seconds:
            return
        try:
            alive = engine.dialect.do_ping(dbapi_conn)
        except engine.dialect.loaded_dbapi.Error as exc:
            raise sa_exc.DisconnectionError(str(exc)) from exc  # the pool connects anew, and tries again
        if not alive:
            raise sa_exc.DisconnectionError("the connection did not answer")


@contextmanager
def read_connection(engine: Engine | None = None):
    """A pooled Core connection for a request's few reads, and no ORM session: a session's
    setup and teardown cost more than an empty pull's reads (bench/hotpaths.py). On PostgreSQL
    in autocommit, each statement its own snapshot, without the BEGIN and ROLLBACK round trips.
    On SQLite, likewise no BEGIN (pysqlite already leaves transactions to us: see the hooks
    above; its isolation level is left alone, as SQLAlchemy's AUTOCOMMIT would reset it).
    So a statement read on it sees one snapshot, and two statements may see two. ``engine``:
    the app's, for a caller outside an app context (sync.checkin, in front of the app)."""
    conn = (engine if engine is not None else db.engine).connect()
    try:
        if conn.dialect.name == "postgresql":
            conn.execution_options(isolation_level="AUTOCOMMIT")
        else:
            conn.execution_options(**{_NO_BEGIN: True})
        yield conn
    finally:
        conn.close()


@contextmanager
def write_transaction(*, keep_loaded: bool = False):
    """Run the block in one write transaction, committed at the end, rolled back on error.

    Any read transaction the request already holds (loading the signed-in user, say) is
    ended first so that on SQLite the new one starts with the write lock. Ending it expires
    what it loaded, so the block reads it again under the lock. ``keep_loaded``: what was
    loaded (and not changed) stays as it was read, without those reads again: for a caller
    whose earlier reads are only who is asking (a push's account and roles, a second query
    each, bench/ingest.py), never for one that writes what it read before. Its own commit
    then keeps what is loaded too, as committed: an answer built after the lock is let go
    shows exactly what was written, without reading it again (sync.engine.push).
    """
    session = db.session()  # the request's real Session behind the scoped proxy
    if session.in_transaction():
        _commit(session, keep_loaded=keep_loaded and not (session.new or session.dirty or session.deleted))
    lock = _writer_lock(session)
    if lock is not None:
        lock.acquire()
    token = _immediate.set(True)
    try:
        yield session
        _commit(session, keep_loaded=keep_loaded)
    except BaseException:
        session.info.pop(_PURGED, None)
        session.rollback()
        raise
    finally:
        _immediate.reset(token)
        if lock is not None:
            lock.release()
    if session.info.pop(_PURGED, False) or _owes_checkpoint():
        checkpoint_wal()


def _commit(session, *, keep_loaded: bool) -> None:
    """Commit; with ``keep_loaded``, without expiring what the session has loaded."""
    if not keep_loaded:
        session.commit()
        return
    expire, session.expire_on_commit = session.expire_on_commit, False
    try:
        session.commit()
    finally:
        session.expire_on_commit = expire


def _writer_lock(session):
    """SQLite: the WriterLock the database's writers queue on, else None.

    SQLite lets one writer in at a time; the others get SQLITE_BUSY and its busy handler
    sleeps and retries (1, 2, 5, 10 ... ms), so under load threads mostly slept while the
    database sat idle (bench/ingest.py). Queuing on a lock here hands the write lock from one
    writer to the next at once, in this process and in the others that serve the same file.
    A writer that does not queue here (the sqlite3 shell, an older version of the app) still
    meets BEGIN IMMEDIATE and the busy timeout, as before. Reentrant, as write_transaction is
    (an inner one commits what the outer one did so far, as before).
    """
    bind = session.get_bind()
    if bind.dialect.name != "sqlite":
        return None
    key = str(bind.url)
    lock = _writer_locks.get(key)
    if lock is None:
        with _writer_locks_guard:
            lock = _writer_locks.setdefault(key, WriterLock(bind.url.database))
    return lock


class WriterLock:
    """The queue of one SQLite database's writers: this process's threads, and every process
    that serves the same file (gunicorn's workers, `kultialogo worker`).

    A thread lock first (reentrant, as write_transaction is), then, by the outermost holder,
    an exclusive flock() on a file beside the database. Waiting on either is the kernel's
    wait, woken as soon as the holder lets go. Between processes that wait was SQLite's busy
    handler, which sleeps 1, 2, 5, 10 ... ms and retries: with two gunicorn workers a push
    spent its time asleep while the database sat idle, and two workers ingested no more than
    one (bench/ingest.py --workers 2: 6,769 stories/s with the busy handler, 9,637 with this).
    Where no lock file can be made (an in-memory database, a read-only folder, no fcntl), the
    thread lock alone, and other processes meet BEGIN IMMEDIATE's busy timeout as before.
    """

    SUFFIX = "-writers"  # beside SQLite's own "-wal" and "-shm"

    def __init__(self, database: str | None):
        self._threads = threading.RLock()
        plain_file = database and database != ":memory:" and not database.startswith("file:")
        self.path = f"{database}{self.SUFFIX}" if plain_file and fcntl is not None else None
        self._fd: int | None = None
        self._pid: int | None = None  # the process that opened _fd: a forked child opens its own
        self._depth = 0

    def _file(self) -> int | None:
        # flock() belongs to the open file, which a forked child would share with its parent:
        # each process opens the file itself.
        if self.path is None:
            return None
        if self._pid != os.getpid():
            try:
                self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            except OSError:
                self.path = None  # cannot make it here: the thread lock and the busy timeout
                return None
            self._pid = os.getpid()
        return self._fd

    def acquire(self) -> None:
        self._threads.acquire()
        try:
            if self._depth == 0:
                fd = self._file()
                if fd is not None:
                    fcntl.flock(fd, fcntl.LOCK_EX)  # waits without the GIL
        except BaseException:
            self._threads.release()
            raise
        self._depth += 1

    def release(self) -> None:
        self._depth -= 1
        try:
            if self._depth == 0 and self.path is not None and self._pid == os.getpid():
                fcntl.flock(self._fd, fcntl.LOCK_UN)
        finally:
            self._threads.release()


# --- Erasing for real -------------------------------------------------------------------
# A withdrawn story or a deleted account is rewritten in the database, but SQLite's WAL file
# keeps the old pages until a checkpoint, often for megabytes of later writes. So a purge ends
# with a checkpoint that copies the clean pages back and truncates the WAL to nothing.

_PURGED = "kultialogo_purged"
_CHECKPOINT_BUSY_MS = 2000  # a checkpoint waits this long for readers, then is retried later
_checkpoint_owed: set[str] = set()  # the databases (by URL) whose last checkpoint was busy


def _owes_checkpoint() -> bool:
    return bool(_checkpoint_owed) and str(db.engine.url) in _checkpoint_owed


def forget_traces() -> None:
    """Mark the current write transaction as erasing personal content (see write_transaction)."""
    db.session().info[_PURGED] = True


def checkpoint_wal() -> bool:
    """Copy the WAL into the database file and truncate it; True when done (always on PostgreSQL).

    Readers still using old pages make SQLite answer busy: the checkpoint is then owed and
    tried again at the end of the request and after the next write transaction.
    """
    engine = db.engine
    if engine.dialect.name != "sqlite":
        return True
    raw = engine.raw_connection()
    try:
        cursor = raw.driver_connection.cursor()
        busy_ms = cursor.execute("PRAGMA busy_timeout").fetchone()[0]
        cursor.execute(f"PRAGMA busy_timeout = {_CHECKPOINT_BUSY_MS}")
        try:
            busy = cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
        finally:
            cursor.execute(f"PRAGMA busy_timeout = {int(busy_ms)}")
            cursor.close()
    finally:
        raw.close()
    if not busy:
        _checkpoint_owed.discard(str(engine.url))
    else:
        _checkpoint_owed.add(str(engine.url))
        current_app.logger.warning("WAL checkpoint after a purge was busy; it is retried later")
    return not busy


def _pay_owed_checkpoint(_exc=None) -> None:
    if _owes_checkpoint():
        db.session.remove()  # this request's own read transaction would keep the WAL busy
        checkpoint_wal()


# --- The pull hot path ------------------------------------------------------------------
# A pull runs the same few selects, built once, again and again. SQLAlchemy's own work around
# each (execution context, parameters, result metadata, which on PostgreSQL makes psycopg build
# a Column object per column of cursor.description, Row objects) cost more than the driver's
# execute and fetch (bench/hotpaths.py). fetch_rows() runs such a select on the driver's
# cursor with what SQLAlchemy would have sent and gives what it would have returned.

_compiled_selects: dict = {}  # (id(statement), dialect name) -> (statement, _SelectSpec or None)
_COMPILED_SELECTS_MAX = 4096  # statements are built once each (per reader scope at most): bounded all the same


class _SelectSpec:
    """A select compiled once for a dialect: its SQL text, how to bind its parameters, the keys of
    its rows, and (known after the first run, from the driver's column types) their processors.

    A parameter SQLAlchemy renders at each run (an expanding IN, literal_execute) whose value
    the statement holds (a viewer's communities, built into a kept query) renders the same every
    run: it is rendered here, once, as SQLAlchemy renders it."""
    __slots__ = ("compiled", "sql", "positional", "names", "escaped", "binds", "late", "constant", "keys", "types",
                 "results")

    def __init__(self, compiled):
        self.compiled = compiled
        self.sql = compiled.string
        self.positional = compiled.positional
        self.names = tuple(compiled.positiontup) if compiled.positional else None
        self.escaped = dict(compiled.escaped_bind_names or {})
        self.binds = dict(compiled._bind_processors)
        late = set(compiled.literal_execute_params) | set(compiled.post_compile_params)
        self.late = frozenset(bind.key for bind in late) | frozenset(compiled.bind_names[bind] for bind in late)
        self.constant = {}
        if late:
            placeholders = {bind.key: None for bind in compiled.bind_names if bind.required}
            state = compiled.construct_expanded_state(placeholders, escape_names=False)
            self.sql = state.statement
            self.names = tuple(state.positiontup) if compiled.positional else None
            self.binds.update(state.processors)
            self.constant = {name: state.parameters[name]
                             for names in state.parameter_expansion.values() for name in names}
        self.keys = tuple(entry.keyname for entry in compiled._result_columns)
        self.types = tuple(entry.type for entry in compiled._result_columns)
        self.results = None  # processors per column, or () when the driver's values are the values

    def parameters(self, params):
        values = self.compiled.construct_params(params, escape_names=False, _no_postcompile=True)
        if self.late:
            values = {n: v for n, v in values.items() if n not in self.late}
            values.update(self.constant)
        binds = self.binds
        if self.positional:
            return [binds[n](values[n]) if n in binds else values[n] for n in self.names]
        escaped = self.escaped
        return {escaped.get(n, n): binds[n](v) if n in binds else v for n, v in values.items()}

    def processors(self, dialect, description) -> tuple:
        if description is None or len(description) != len(self.types):
            raise RuntimeError("the select's result columns are not the driver's")  # never for a plain select
        found = tuple(type_._cached_result_processor(dialect, column[1])
                      for type_, column in zip(self.types, description))
        self.results = found if any(found) else ()
        return self.results


def _select_spec(statement, dialect) -> _SelectSpec | None:
    """The select compiled for this dialect, once; None for one whose SQL depends on the values
    given at each run (an expanding IN of them): fetch_rows() lets SQLAlchemy run those."""
    key = (id(statement), dialect.name)
    found = _compiled_selects.get(key)
    if found is None or found[0] is not statement:
        compiled = statement.compile(dialect=dialect)
        late = set(compiled.literal_execute_params) | set(compiled.post_compile_params)
        plain = (compiled.isplaintext or compiled.isinsert or compiled.isupdate or compiled.isdelete
                 or any(bind.required for bind in late) or compiled.schema_translate_map
                 or not compiled._ordered_columns or not compiled._result_columns)
        found = (statement, None if plain else _SelectSpec(compiled))
        if len(_compiled_selects) >= _COMPILED_SELECTS_MAX:
            _compiled_selects.clear()
        _compiled_selects[key] = found
    return found[1]


def select_keys(conn, statement) -> tuple:
    """The keys of fetch_rows()'s rows of ``statement`` (as its Result's keys() would name them)."""
    spec = _select_spec(statement, conn.dialect)
    if spec is None:
        return tuple(statement.selected_columns.keys())
    return spec.keys


def fetch_rows(conn, statement, params: dict | None = None) -> list[tuple]:
    """``conn.execute(statement, params).all()`` as plain tuples (or Rows), for a select built once and
    kept (a module's): the same SQL and parameters, the same values (SQLAlchemy's own bind and
    result processors), the same errors (wrapped, and a lost connection invalidated, by
    SQLAlchemy's own handling), and the same transaction: begun as execute() begins it."""
    spec = _select_spec(statement, conn.dialect)
    if spec is None or (params and spec.late and not spec.late.isdisjoint(params)):
        return conn.execute(statement, params).all()  # Rows: tuples too
    if not conn.in_transaction():
        conn.begin()  # as execute() autobegins: SQLite's hook decides on a BEGIN (read_connection: none)
    sql, args, cursor = spec.sql, params, None
    try:
        args = spec.parameters(params)
        driver = conn.connection.driver_connection
        cursor = driver.cursor()
        try:
            cursor.execute(sql, args)
            rows = cursor.fetchall()
            processors = spec.results
            if processors is None:  # the first run: its column types (description is costly: once)
                processors = spec.processors(conn.dialect, cursor.description)
        finally:
            cursor.close()
    except BaseException as error:
        conn._handle_dbapi_exception(error, sql, args, cursor, None)
    if processors:
        return [tuple(p(v) if p else v for p, v in zip(processors, row)) for row in rows]
    return rows


# --- The push hot path ------------------------------------------------------------------

def id_in(column, ids):
    """``column IN (ids)`` that PostgreSQL gets as ``column = ANY(:ids)``, one array parameter.

    An expanded IN is a new statement text for every number of ids (so psycopg never reuses a
    prepared plan) and a hundred parameters to bind; the array is one. SQLite keeps IN.
    """
    ids = list(ids)
    if db.engine.dialect.name == "postgresql":
        return column == any_(bindparam("ids", ids, type_=ARRAY(column.type), unique=True))
    return column.in_(ids)


def stored_ids(session, column, ids: list) -> list:
    """Which of ``ids`` the ``column`` (a Uuid key) holds, as read back: one select per column and
    dialect, built once, with the ids as one parameter (an array on PostgreSQL, a JSON array read
    by json_each on SQLite, each id as the column's own bind processor writes it), run by
    fetch_rows(). An IN of a hundred ids was a new statement each time, with a bind per id and
    the ORM's result: 0.74 ms of a push of new stories on SQLite, 0.2 ms this way."""
    if not ids:
        return []
    conn = session.connection()
    dialect = conn.dialect
    statement = _stored_ids_selects.get((column, dialect.name))
    if statement is None:
        if dialect.name == "postgresql":
            statement = select(column).where(column == any_(bindparam("ids", type_=ARRAY(column.type))))
        else:  # SQLite's IN (SELECT value FROM json_each(?)) searches the key's index per id
            each = func.json_each(bindparam("ids", type_=String)).table_valued("value")
            statement = select(column).where(column.in_(select(each.c.value)))
        _stored_ids_selects[(column, dialect.name)] = statement
    if dialect.name == "postgresql":
        value = list(ids)
    else:
        process = column.type.bind_processor(dialect)
        value = json.dumps([process(i) if process else i for i in ids])
    return [row[0] for row in fetch_rows(conn, statement, {"ids": value})]


_stored_ids_selects: dict = {}
_SAVEPOINT = "kultialogo_item"
_compiled_inserts: dict = {}


def _compiled_insert(table, dialect, keys: tuple):
    """SQL text, parameter order and bind processors of one INSERT, compiled once."""
    cache_key = (table.name, dialect.name, keys)
    found = _compiled_inserts.get(cache_key)
    if found is None:  # False: compiled, but this SQLAlchemy gives no bind processors
        compiled = insert(table).values({key: bindparam(key) for key in keys}).compile(dialect=dialect)
        processors = getattr(compiled, "_bind_processors", None)  # SQLAlchemy 2.x; else no shortcut
        names = compiled.positiontup if compiled.positional else keys
        # Columns with a Python-side default left out of the row: the plain way computes them.
        if processors is None or not set(compiled.params) <= set(keys):
            found = False
        else:
            found = (compiled.string, compiled.positional,
                     tuple((n, _quicker(dialect, table.c[n], processors.get(n))) for n in names))
        _compiled_inserts[cache_key] = found
    return found


_PROBES = (datetime.datetime(2026, 7, 14, 10, 2, 3, 45), datetime.datetime(1999, 12, 31, tzinfo=datetime.timezone.utc),
           datetime.datetime(2031, 1, 2, 3, 4, 5, 999999, tzinfo=datetime.timezone(datetime.timedelta(hours=-5, minutes=-30))))


def _quicker(dialect, column, processor):
    """SQLAlchemy's bind processor, or one that gives the same text faster: on SQLite a datetime
    is formatted with ``%`` and a dict of its seven fields (five such columns a story);
    datetime.isoformat() writes the same text in C, and a push of 100 stories binds its rows in
    0.64 ms instead of 0.79. Kept only when it agrees with SQLAlchemy's on the probes (a custom
    storage format would not)."""
    if processor is None or dialect.name != "sqlite" or not isinstance(column.type, DateTime):
        return processor

    def process(value, _processor=processor, _datetime=datetime.datetime):
        # Exact datetimes (a subclass may format itself otherwise); anything else as SQLAlchemy.
        if type(value) is _datetime:
            text = value.isoformat(" ", "microseconds")
            return text if value.tzinfo is None else text[:26]  # the time zone is not stored
        return None if value is None else _processor(value)

    return process if all(process(probe) == processor(probe) for probe in _PROBES) else processor


def _sqlite_insert_rows(driver, cursor, sql: str, params: list) -> None:
    """The rows as few multi-row INSERTs (VALUES (...), (...), ...) as SQLite's limit on
    variables allows. One statement for 100 rows took half the time of executemany's 100 (2.8
    to 1.4 ms on a story push): on a table with triggers every statement opens a statement
    journal and copies each page it first changes, a dozen b-tree pages a story (bench/ingest.py)."""
    head, values = sql.rsplit(" VALUES ", 1)
    if len(params) == 1 or not (values.startswith("(") and values.endswith(")")) or not isinstance(params[0], list):
        cursor.executemany(sql, params)
        return
    width = len(params[0])
    limit = driver.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    per = max(1, limit // max(1, width))
    for start in range(0, len(params), per):
        chunk = params[start:start + per]
        cursor.execute(f"{head} VALUES {','.join([values] * len(chunk))}", [v for row in chunk for v in row])


def insert_in_savepoint(session, table, row: dict) -> None:
    """INSERT one row inside its own SAVEPOINT, on the driver's cursor.

    Same effect as ``with conn.begin_nested(): conn.execute(insert(table), row)``: a failure
    undoes this row only and raises (IntegrityError for a key that exists). Why not that:
    at 100 items a push, SQLAlchemy's per-statement work around three statements an item, and
    on PostgreSQL three round trips an item, were most of the time (bench/ingest.py). Here the
    statement is compiled once, and PostgreSQL gets all three in one round trip (pipeline mode).
    Bind processors (UUID, JSON, dates) are SQLAlchemy's own, so the stored values are the same.
    """
    insert_many_in_savepoint(session, table, [row])


def insert_many_in_savepoint(session, table, rows: list[dict]) -> None:
    """INSERT the rows (all with the same keys) in one executemany inside one SAVEPOINT.

    All or nothing: a failure (IntegrityError for a key that exists) undoes every row of the
    call and raises, leaving the transaction as it was before. Same effect as
    ``with conn.begin_nested(): conn.execute(insert(table), rows)``, without SQLAlchemy's
    per-statement work (compiled once; values through SQLAlchemy's own bind processors); on
    PostgreSQL one row goes in one round trip (pipeline mode), more as one COPY.
    """
    if not rows:
        return
    connection = session.connection()
    dialect = connection.dialect
    keys = tuple(rows[0])
    compiled = _compiled_insert(table, dialect, keys)
    if not compiled or any(tuple(row) != keys for row in rows[1:]):  # the plain way, same effect
        with connection.begin_nested():
            connection.execute(insert(table), rows)
        return
    sql, positional, params_spec = compiled
    copy_rows = dialect.name == "postgresql" and len(rows) > 1
    if positional or copy_rows:  # COPY takes each row's values in column order, as a list
        params = [[proc(row[name]) if proc else row[name] for name, proc in params_spec] for row in rows]
    else:
        params = [{name: proc(row[name]) if proc else row[name] for name, proc in params_spec} for row in rows]
    driver = connection.connection.driver_connection
    dbapi = dialect.loaded_dbapi
    try:
        if copy_rows:
            # COPY: one statement for every row (so a statement trigger runs once, not once
            # per row), half the time of pipelined INSERTs for a push of 100 (bench/ingest.py).
            columns = ", ".join(dialect.identifier_preparer.quote(table.c[name].name) for name, _p in params_spec)
            with driver.cursor() as cursor:
                cursor.execute(f"SAVEPOINT {_SAVEPOINT}")
                with cursor.copy(f"COPY {dialect.identifier_preparer.format_table(table)} ({columns}) FROM STDIN") as copy:
                    for row in params:
                        copy.write_row(row)
                cursor.execute(f"RELEASE SAVEPOINT {_SAVEPOINT}")
        elif dialect.name == "postgresql":
            with driver.pipeline(), driver.cursor() as cursor:
                cursor.execute(f"SAVEPOINT {_SAVEPOINT}")
                cursor.execute(sql, params[0])
                cursor.execute(f"RELEASE SAVEPOINT {_SAVEPOINT}")
        else:
            cursor = driver.cursor()
            try:
                cursor.execute(f"SAVEPOINT {_SAVEPOINT}")
                try:
                    _sqlite_insert_rows(driver, cursor, sql, params)
                except BaseException:
                    cursor.execute(f"ROLLBACK TO SAVEPOINT {_SAVEPOINT}")
                    cursor.execute(f"RELEASE SAVEPOINT {_SAVEPOINT}")
                    raise
                cursor.execute(f"RELEASE SAVEPOINT {_SAVEPOINT}")
            finally:
                cursor.close()
    except dbapi.Error as error:
        if dialect.name == "postgresql":
            # The pipeline stopped at the failed INSERT; the transaction is aborted until we
            # go back to the savepoint, which leaves everything before these rows intact.
            driver.execute(f"ROLLBACK TO SAVEPOINT {_SAVEPOINT}")
            driver.execute(f"RELEASE SAVEPOINT {_SAVEPOINT}")
        wrapper = sa_exc.IntegrityError if isinstance(error, dbapi.IntegrityError) else sa_exc.DBAPIError
        raise wrapper(sql, params, error) from error
