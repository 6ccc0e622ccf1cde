"""A real ``kultialogo run`` process (waitress) on a given database, for tests and benchmarks.

Shared by tests/conftest.py (``live_server`` fixtures) and bench/ingest.py so both exercise the
server exactly as an operator starts it, never the Flask test client. Also where the tests and
benchmarks find their PostgreSQL: the configured one, or a throwaway cluster of their own.
"""
import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text

# Where tests and benchmarks create their scratch databases (a superuser URL, trust auth).
PG_ADMIN_URL = os.environ.get("KULTIALOGO_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


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
    processes migrating the same database at once would race). ``port`` (default: a free one)
    and ``host`` are passed to ``run``; ``cpus`` pins the process to those CPUs (as
    ``taskset -c``). ``kill9()`` ends it as a power cut would, ``restart()`` starts it again on
    the same port, database and data folder; ``rss_mib()`` and ``peak_rss_mib()`` read its
    resident memory now and at its highest (VmRSS, VmHWM).
    """

    def __init__(self, database_url: str, data_dir: Path, threads: int = 8, extra_env: dict | None = None,
                 upgrade: bool = False, start_timeout: float = 30, *, port: int | None = None,
                 host: str = "127.0.0.1", cpus: set[int] | None = None, command: tuple = ("run",)):
        self.host = host
        self.port = port or free_port()
        near = "127.0.0.1" if host in ("0.0.0.0", "") else host  # where this process reaches it
        self.url = f"http://{near}:{self.port}"
        self.env = {**os.environ, "DATABASE_URL": plain_pg_url(database_url),
                    "KULTIALOGO_DATA_DIR": str(data_dir), "KULTIALOGO_SECRET_KEY": "test-secret-key",
                    "KULTIALOGO_PASSWORD_TIME_COST": "1", "KULTIALOGO_PASSWORD_MEMORY_COST": "1024",
                    **(extra_env or {})}
        self.env = {k: v for k, v in self.env.items() if v is not None}  # extra_env's None removes one
        # command: ("node", "run") serves as a camp node does.
        self.command = [sys.executable, "-m", "kultialogo.cli", *command, "--host", host, "--port", str(self.port),
                        "--threads", str(threads), "--upgrade" if upgrade else "--no-upgrade"]
        self.cpus = cpus
        self.start_timeout = start_timeout
        data_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = data_dir / f"server-{self.port}.log"
        self.proc: subprocess.Popen | None = None
        self.log = None
        self.start()

    def start(self) -> None:
        """Start the process (again) and wait until it answers /healthz."""
        self.log = open(self.log_path, "ab")  # a restart adds to the same log
        cpus = self.cpus
        self.proc = subprocess.Popen(self.command, env=self.env, stdout=self.log, stderr=subprocess.STDOUT,
                                     preexec_fn=(lambda: os.sched_setaffinity(0, cpus)) if cpus else None)
        try:
            self._wait(self.start_timeout)
        except BaseException:
            self.stop()
            raise

    @property
    def pid(self) -> int:
        return self.proc.pid

    def _wait(self, timeout: float) -> None:
        import requests
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.log_path.read_text(errors='replace')}")
            try:
                if requests.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return
            except (requests.ConnectionError, requests.Timeout):
                pass  # not listening yet, or listening but not answering yet (a loaded machine)
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

    def kill9(self) -> int:
        """SIGKILL, as a power cut or the OOM killer would: no clean-up runs. Returns the exit status."""
        if self.proc.poll() is None:
            self.proc.kill()
        status = self.proc.wait()
        if not self.log.closed:
            self.log.close()
        return status

    def restart(self) -> None:
        """Stop it if it runs (cleanly), then start it again on the same port, database and data folder."""
        self.stop()
        self.start()

    def rss_mib(self) -> float:
        return proc_status_mib(self.pid, "VmRSS")

    def peak_rss_mib(self) -> float:
        """The highest resident size since the start, or since reset_peak_rss()."""
        return proc_status_mib(self.pid, "VmHWM")

    def reset_peak_rss(self) -> None:
        """Start VmHWM afresh from the current RSS (Linux 4.0+), to measure a phase on its own."""
        Path(f"/proc/{self.pid}/clear_refs").write_text("5")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process (all its threads), in seconds; 0 for one that is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def process_tree(pid: int) -> list[int]:
    """The process and its descendants (a gunicorn master and its workers, say)."""
    out, todo = [], [pid]
    while todo:
        current = todo.pop()
        out.append(current)
        for task in Path(f"/proc/{current}/task").glob("*"):
            try:
                todo += [int(child) for child in (task / "children").read_text().split()]
            except FileNotFoundError:
                pass
    return out


def postgres_backends(url: str) -> list[int]:
    """The PostgreSQL backends (process ids) connected to the database at ``url``, this
    connection's own left out: where that database's queries do their work."""
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as conn:
            return list(conn.execute(text(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid()")).scalars())
    finally:
        engine.dispose()


def proc_status_mib(pid: int, field: str) -> float:
    """A size field of /proc/<pid>/status (VmRSS, VmHWM, ...) in MiB."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    raise LookupError(f"no {field} in /proc/{pid}/status")


class ScratchPostgres:
    """A fresh PostgreSQL database, created on enter and dropped (forcibly) on exit.

    When nothing answers at admin_url but the server binaries are installed, the database lives
    in a throwaway cluster (ThrowawayPostgres) that is stopped and removed on exit.
    """

    def __init__(self, admin_url: str = PG_ADMIN_URL, prefix: str = "kultialogo"):
        self.admin_url = admin_url
        self.name = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        self.cluster: ThrowawayPostgres | None = None

    @property
    def url(self) -> str:
        return self.admin_url.rsplit("/", 1)[0] + "/" + self.name

    def __enter__(self) -> "ScratchPostgres":
        problem = pg_unreachable(self.admin_url)
        pg_ctl = find_pg_ctl()
        if problem and pg_ctl:
            self.cluster = ThrowawayPostgres(pg_ctl).start()
            print(f"{problem}; using a throwaway cluster at {self.cluster.url}", file=sys.stderr)
            self.admin_url = self.cluster.url
        admin = create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{self.name}"'))
        except BaseException:
            self._stop_cluster()
            raise
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
            self._stop_cluster()

    def _stop_cluster(self) -> None:
        if self.cluster is not None:
            self.cluster.stop()
            self.cluster = None

    def __exit__(self, *exc):
        self.drop()


def pg_unreachable(admin_url: str) -> str | None:
    """Why PostgreSQL at admin_url cannot be used, or None when it can."""
    engine = create_engine(admin_url, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - any failure to reach it
        cause = getattr(exc, "orig", None) or exc  # the driver's own error, without SQLAlchemy's links
        first = (str(cause).strip().splitlines() or [""])[0]
        return f"PostgreSQL not reachable at {admin_url}: {cause.__class__.__name__}: {first}"
    finally:
        engine.dispose()
    return None


def find_pg_ctl() -> str | None:
    """The installed server's pg_ctl: on PATH, or Debian's /usr/lib/postgresql/<version>/bin (newest)."""
    found = shutil.which("pg_ctl")
    if found:
        return found
    candidates = glob.glob("/usr/lib/postgresql/*/bin/pg_ctl")
    return max(candidates, key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0,
               default=None)


class ThrowawayPostgres:
    """A PostgreSQL cluster of its own, made by initdb in a temporary folder from the installed
    server binaries (pytest-postgresql's executor: initdb, pg_ctl start/stop), on a free port of
    127.0.0.1 with trust auth; ``stop()`` stops it and deletes the folder.

    PostgreSQL refuses to run as root, so as root the binaries run as the ``postgres`` system
    user (the one Debian's package creates), through runuser.
    """

    def __init__(self, pg_ctl: str):
        from pytest_postgresql.executors import PostgreSQLExecutor
        self.port = free_port()
        self.folder = Path(tempfile.mkdtemp(prefix="kultialogo-pg-"))
        executable = pg_ctl
        if os.geteuid() == 0:
            executable = self._as_postgres_user(pg_ctl)
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"
        self.executor = PostgreSQLExecutor(
            executable=executable, host="127.0.0.1", port=self.port, datadir=str(self.folder / "data"),
            unixsocketdir=str(self.folder), logfile=str(self.folder / "postgresql.log"),
            startparams="-w -t 300", dbname="postgres", user="postgres", timeout=300,  # a loaded machine is slow, not broken
            postgres_options="-c listen_addresses=127.0.0.1 -c fsync=off")

    def _as_postgres_user(self, pg_ctl: str) -> str:
        import pwd
        try:
            user = pwd.getpwnam("postgres")
        except KeyError:
            raise RuntimeError("PostgreSQL will not run as root and there is no 'postgres' user") from None
        os.chown(self.folder, user.pw_uid, user.pw_gid)
        wrapper = self.folder / "pg_ctl"
        wrapper.write_text(f'#!/bin/sh\nexec runuser -u postgres -- "{pg_ctl}" "$@"\n')
        wrapper.chmod(0o755)
        return str(wrapper)

    def start(self) -> "ThrowawayPostgres":
        try:
            self.executor.start()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        try:
            if self.executor.running():
                self.executor.stop()
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> "ThrowawayPostgres":
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def rerun_with_code(revision: str) -> None:
    """Run this benchmark again (same arguments but --code) with the app of another git revision
    first on the path: a before/after comparison from one checkout. Does not return."""
    root = Path(__file__).resolve().parent.parent
    with tempfile.TemporaryDirectory(prefix="kultialogo-code-") as tmp:
        source = Path(tmp) / "source"
        source.mkdir()
        archive = subprocess.run(["git", "-C", str(root), "archive", revision], check=True, capture_output=True)
        subprocess.run(["tar", "-x", "-C", str(source)], input=archive.stdout, check=True)
        package = Path(tmp) / "path" / "kultialogo"  # the installed layout (setup.py FOLDERS)
        package.mkdir(parents=True)
        for item in (source / "server").iterdir():
            (package / item.name).symlink_to(item)
        for name, folder in (("migrations", "migrations"), ("pwa", "pwa"), ("service_worker", "service-worker")):
            (package / name).symlink_to(source / folder)
        argv = [a for i, a in enumerate(sys.argv) if a != "--code" and sys.argv[i - 1] != "--code"
                and not a.startswith("--code=")]
        env = {**os.environ, "PYTHONPATH": f"{package.parent}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
        print(f"Measuring the app of {revision}", flush=True)
        raise SystemExit(subprocess.run([sys.executable, *argv], env=env).returncode)


class GunicornServer(LiveServer):
    """gunicorn with several workers over the same database, as production runs
    (server/gunicorn_conf.py, docs/production.md); otherwise as LiveServer (no migrations)."""

    def __init__(self, database_url: str, data_dir: Path, workers: int = 2, threads: int = 4, **kwargs):
        self.workers = workers
        self.worker_threads = threads
        super().__init__(database_url, data_dir, threads=threads, **kwargs)

    def start(self) -> None:
        self.command = [sys.executable, "-m", "gunicorn", "--config", "python:kultialogo.gunicorn_conf",
                        "--bind", f"{self.host}:{self.port}", "--workers", str(self.workers),
                        "--threads", str(self.worker_threads), "kultialogo.wsgi:app"]
        super().start()

    def worker_pids(self) -> list[int]:
        """The master's children: its workers."""
        out = []
        for task in Path(f"/proc/{self.pid}/task").iterdir():
            out += [int(p) for p in (task / "children").read_text().split()]
        return out
