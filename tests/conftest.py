"""Fixtures: every test that uses ``app`` runs once on SQLite and once on PostgreSQL.

SQLite: the schema is built once by the real migrations into a template file, then copied
for each test (a fresh database in microseconds). PostgreSQL: one database per test session,
built by the same migrations, emptied between tests.

Which PostgreSQL: the one at KULTIALOGO_TEST_PG (default: the local cluster on 127.0.0.1:5432)
when it answers; otherwise a throwaway cluster that the session makes from the installed server
binaries (initdb in a temporary folder) and removes at its end. With neither, the PostgreSQL
variants are skipped locally, but fail under CI (CI=true) or KULTIALOGO_REQUIRE_PG=1.
"""
import os
import shutil
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from kultialogo import create_app
from kultialogo.extensions import db as _db

from bench._server import (PG_ADMIN_URL, LiveServer, ThrowawayPostgres, find_pg_ctl, pg_unreachable,
                           free_port)  # noqa: F401  (free_port: for tests that need a port)

REQUIRE_PG = os.environ.get("CI") == "true" or os.environ.get("KULTIALOGO_REQUIRE_PG") == "1"
TABLES_KEEP = {"alembic_version", "revision_counter"}

BASE_CONFIG = {
    "TESTING": True,
    "SECRET_KEY": "test-secret-key",
    # Cheap argon2 in tests; the production parameters are in Config.
    "PASSWORD_TIME_COST": 1,
    "PASSWORD_MEMORY_COST": 1024,
    "RATELIMIT_STORAGE_URI": "kultialogo-memory://",
}


def _upgrade(url: str, data_dir: Path) -> None:
    from flask_migrate import upgrade
    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": url, "DATA_DIR": str(data_dir)})
    with app.app_context():
        upgrade()
        _db.engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("sqlite-template")
    path = folder / "template.sqlite3"
    _upgrade(f"sqlite:///{path}", folder)
    # Fold the WAL into the main file so a plain copy carries the whole schema.
    engine = create_engine(f"sqlite:///{path}")
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.exec_driver_sql("PRAGMA journal_mode=DELETE")
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def pg_admin_url(request):
    """A superuser URL of a running PostgreSQL: the configured one, or a throwaway cluster."""
    problem = pg_unreachable(PG_ADMIN_URL)
    if problem is None:
        yield PG_ADMIN_URL
        return
    pg_ctl = find_pg_ctl()
    if pg_ctl is None:
        message = f"{problem}; and no PostgreSQL server binaries (pg_ctl) to start one (apt-get install postgresql)"
        if REQUIRE_PG:
            pytest.fail(message)
        pytest.skip(message)
    try:
        cluster = ThrowawayPostgres(pg_ctl).start()
    except Exception as exc:  # noqa: BLE001 - initdb or pg_ctl failed: say why
        message = f"{problem}; and a throwaway cluster from {pg_ctl} did not start: {exc}"
        if REQUIRE_PG:
            pytest.fail(message)
        pytest.skip(message)
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    with capture.global_and_fixture_disabled():  # said once, on the terminal, not in a test's output
        print(f"\nPostgreSQL: {PG_ADMIN_URL} not reachable; using a throwaway cluster at "
              f"{cluster.url} (in {cluster.folder}, removed at the end)", flush=True)
    yield cluster.url
    cluster.stop()


@pytest.fixture(scope="session")
def pg_database(pg_admin_url, tmp_path_factory):
    name = f"kultialogo_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(pg_admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = pg_admin_url.rsplit("/", 1)[0] + "/" + name
    _upgrade(url, tmp_path_factory.mktemp("pg-data"))
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _empty_pg(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        tables = [r[0] for r in conn.execute(text(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"))]
        wipe = [t for t in tables if t not in TABLES_KEEP]
        if wipe:
            conn.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in wipe) + " RESTART IDENTITY CASCADE"))
        conn.execute(text("UPDATE revision_counter SET value = 0"))
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path) -> str:
    if request.param == "sqlite":
        template = request.getfixturevalue("sqlite_template")
        path = tmp_path / "kultialogo.sqlite3"
        shutil.copyfile(template, path)
        return f"sqlite:///{path}"
    url = request.getfixturevalue("pg_database")
    _empty_pg(url)
    return url


@pytest.fixture
def app_config(database_url, tmp_path) -> dict:
    return {**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url, "DATA_DIR": str(tmp_path / "data")}


@pytest.fixture
def app(app_config):
    app = create_app(app_config)
    with app.app_context():
        yield app
        _db.session.remove()
        _db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


# --- A real server process ----------------------------------------------------------------

# LiveServer lives in bench/_server.py: bench/ingest.py starts the very same process.


@pytest.fixture
def live_server_factory(app_config):
    servers = []

    def start(**kwargs) -> LiveServer:
        # No job thread unless a test asks for one: its writes at any moment would break the
        # tests' own deferred SQLite transactions on the same file ("database is locked" when a
        # read upgrades to a write after another commit). tests/jobs runs jobs explicitly.
        kwargs["extra_env"] = {"KULTIALOGO_JOBS_IN_PROCESS": "false", **(kwargs.get("extra_env") or {})}
        server = LiveServer(app_config["SQLALCHEMY_DATABASE_URI"], Path(app_config["DATA_DIR"]), **kwargs)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def live_server(app, live_server_factory) -> LiveServer:
    return live_server_factory()
