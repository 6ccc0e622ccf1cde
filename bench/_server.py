"""A real ``kultialogo run`` process (waitress) on a given database, for tests and benchmarks.

Shared by tests/conftest.py (``live_server`` fixtures) and bench/ingest.py so both exercise the
server exactly as an operator starts it, never the Flask test client.
"""
import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def plain_pg_url(url: str) -> str:
    """The libpq-style URL an operator would put in DATABASE_URL."""
    return url.replace("postgresql+psycopg://", "postgresql://")


class LiveServer:
    """``kultialogo run`` in a subprocess (waitress), on the given database.

    ``upgrade=False`` skips migrations (the tests build the schema once beforehand; two
    processes migrating the same database at once would race).
    """

    def __init__(self, database_url: str, data_dir: Path, threads: int = 8, extra_env: dict | None = None,
                 upgrade: bool = False, start_timeout: float = 30):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "DATABASE_URL": plain_pg_url(database_url),
               "KULTIALOGO_DATA_DIR": str(data_dir), "KULTIALOGO_SECRET_KEY": "test-secret-key",
               "KULTIALOGO_PASSWORD_TIME_COST": "1", "KULTIALOGO_PASSWORD_MEMORY_COST": "1024",
               **(extra_env or {})}
        data_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = data_dir / f"server-{self.port}.log"
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "kultialogo.cli", "run", "--host", "127.0.0.1", "--port", str(self.port),
             "--threads", str(threads), "--upgrade" if upgrade else "--no-upgrade"],
            env=env, stdout=self.log, stderr=subprocess.STDOUT)
        try:
            self._wait(start_timeout)
        except BaseException:
            self.stop()
            raise

    def _wait(self, timeout: float) -> None:
        import requests
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.log_path.read_text(errors='replace')}")
            try:
                if requests.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return
            except requests.ConnectionError:
                pass
            time.sleep(0.05)  # polling a server to come up: the one allowed sleep
        raise RuntimeError(f"server did not start in {timeout:g} s")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if not self.log.closed:
            self.log.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


class ScratchPostgres:
    """A fresh PostgreSQL database, created on enter and dropped (forcibly) on exit."""

    def __init__(self, admin_url: str, prefix: str = "kultialogo"):
        self.admin_url = admin_url
        self.name = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        self.url = admin_url.rsplit("/", 1)[0] + "/" + self.name

    def __enter__(self) -> "ScratchPostgres":
        admin = create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{self.name}"'))
        finally:
            admin.dispose()
        return self

    def drop(self) -> None:
        admin = create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
        finally:
            admin.dispose()

    def __exit__(self, *exc):
        self.drop()
