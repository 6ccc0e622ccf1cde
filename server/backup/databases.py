"""Copying the database out and back: SQLite's online backup API, PostgreSQL's pg_dump/pg_restore."""
import glob
import os
import shutil
import sqlite3
import subprocess
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url

from .archive import BackupError

# Tables with rows even in a freshly migrated, empty database.
ALWAYS_FILLED = {"alembic_version", "revision_counter"}


def kind_of(engine) -> str:
    name = engine.dialect.name
    if name not in ("sqlite", "postgresql"):
        raise BackupError(f"Backups support SQLite and PostgreSQL, not {name}.")
    return name


# --- SQLite ------------------------------------------------------------------------------------

def sqlite_path(engine) -> Path:
    database = engine.url.database
    if not database or database == ":memory:":
        raise BackupError("An in-memory SQLite database cannot be backed up.")
    return Path(database)


def sqlite_copy(source: Path, target: Path) -> None:
    """Copy a live SQLite database with the online backup API: one step, under one read
    transaction, so the copy is a consistent snapshot while the app keeps writing (WAL)."""
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)  # pages=-1: everything in one step, from one snapshot
        dst.execute("PRAGMA journal_mode=DELETE")  # a single self-contained file in the archive
    except sqlite3.OperationalError as exc:
        raise BackupError(f"Could not read {source}: {exc}.") from None
    finally:
        dst.close()
        src.close()


def sqlite_replace(backup_file: Path, target: Path) -> None:
    """Write the backup's pages over the database at ``target`` through SQLite itself (the
    backup API again), so its WAL and the WAL mode the app sets stay coherent."""
    target.parent.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(f"file:{backup_file}?mode=ro", uri=True)
    dst = sqlite3.connect(target, timeout=30)
    try:
        src.backup(dst)  # one step, in one write transaction on the target: all or nothing
        dst.execute("PRAGMA journal_mode=WAL")
        dst.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    except sqlite3.OperationalError as exc:
        raise BackupError(f"Could not write {target} ({exc}): is the app still running? Stop it, then "
                          "restore again.") from None
    finally:
        dst.close()
        src.close()


# --- PostgreSQL --------------------------------------------------------------------------------

def pg_binary(name: str) -> str:
    """pg_dump, pg_restore or psql: on PATH, else the newest under /usr/lib/postgresql/*/bin."""
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
                        key=lambda p: int(p.split("/")[4]) if p.split("/")[4].isdigit() else 0)
    if candidates:
        return candidates[-1]
    raise BackupError(f"{name} was not found (neither on PATH nor in /usr/lib/postgresql/*/bin): "
                      "install PostgreSQL's client programs (apt-get install postgresql-client), "
                      "of the server's major version or newer.")


def libpq_args(engine) -> tuple[str, dict]:
    """The database URL as libpq reads it (no driver name, no password) and an environment
    carrying the password (never on a command line other users can read)."""
    url = make_url(str(engine.url.render_as_string(hide_password=False)))
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = url.password
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _run(args: list, env: dict, what: str) -> None:
    result = subprocess.run(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if result.returncode != 0:
        raise BackupError(f"{what} failed: {result.stderr.strip()[-2000:]}")


def pg_dump(engine, target: Path, snapshot: str | None) -> None:
    url, env = libpq_args(engine)
    args = [pg_binary("pg_dump"), "--format=custom", "--no-owner", "--no-privileges", f"--file={target}"]
    if snapshot:
        args.append(f"--snapshot={snapshot}")
    _run(args + [url], env, "pg_dump")


def pg_replace(engine, dump: Path) -> None:
    """Replace every table, sequence and type of the public schema by the dump's, in one
    transaction (psql --single-transaction over pg_restore's script): a dump that does not
    load leaves the database as it was."""
    url, env = libpq_args(engine)
    script = dump.with_suffix(".sql")
    _run([pg_binary("pg_restore"), "--no-owner", "--no-privileges", f"--file={script}", str(dump)], env,
         "pg_restore")
    drops = dump.with_name("drop.sql")
    with engine.connect() as conn:
        statements = ["SET lock_timeout = '10s';", "SET client_min_messages = warning;"]
        statements += [row[0] for row in conn.execute(text(_DROP_PUBLIC)).all()]
    drops.write_text("\n".join(statements) + "\nRESET lock_timeout;\nRESET client_min_messages;\n")
    result = subprocess.run([pg_binary("psql"), "-X", "-q", "--single-transaction", "-v", "ON_ERROR_STOP=1",
                             f"--dbname={url}", "-f", str(drops), "-f", str(script)],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if result.returncode != 0:
        if "lock timeout" in result.stderr:
            raise BackupError("Other connections are using the database (is the app still running?): "
                              "stop it, then restore again. Nothing was changed.")
        raise BackupError(f"Loading the dump failed, nothing was changed: {result.stderr.strip()[-2000:]}")


# DROP statements for everything of the app in the public schema (tables with their
# sequences, indexes and triggers; then functions, standalone sequences, views and types).
_DROP_PUBLIC = """
SELECT format('DROP TABLE IF EXISTS public.%I CASCADE;', tablename) FROM pg_tables WHERE schemaname = 'public'
UNION ALL
SELECT format('DROP VIEW IF EXISTS public.%I CASCADE;', viewname) FROM pg_views WHERE schemaname = 'public'
UNION ALL
SELECT format('DROP MATERIALIZED VIEW IF EXISTS public.%I CASCADE;', matviewname) FROM pg_matviews
 WHERE schemaname = 'public'
UNION ALL
SELECT format('DROP SEQUENCE IF EXISTS public.%I CASCADE;', sequencename) FROM pg_sequences
 WHERE schemaname = 'public'
UNION ALL
SELECT format('DROP ROUTINE IF EXISTS %s CASCADE;', p.oid::regprocedure) FROM pg_proc p
 JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'public'
  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')
UNION ALL
SELECT format('DROP TYPE IF EXISTS public.%I CASCADE;', t.typname) FROM pg_type t
 JOIN pg_namespace n ON n.oid = t.typnamespace WHERE n.nspname = 'public' AND t.typtype IN ('e', 'd')
"""


@contextmanager
def pg_snapshot(engine):
    """A repeatable-read transaction whose snapshot pg_dump shares (--snapshot), so the
    manifest's counts and media list describe exactly the rows dumped."""
    with engine.connect() as conn:
        conn = conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            name = conn.execute(text("SELECT pg_export_snapshot()")).scalar_one()
            yield conn, name


def non_empty_tables(conn) -> dict[str, int]:
    """Tables holding rows (besides those every migrated database fills): {name: rows}."""
    dialect = conn.dialect.name
    if dialect == "sqlite":
        names = [r[0] for r in conn.execute(text(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"))]
    else:
        names = [r[0] for r in conn.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'"))]
    filled = {}
    for name in names:
        if name in ALWAYS_FILLED:
            continue
        if conn.execute(text(f'SELECT 1 FROM "{name}" LIMIT 1')).first():
            filled[name] = conn.execute(text(f'SELECT count(*) FROM "{name}"')).scalar_one()
    return filled
