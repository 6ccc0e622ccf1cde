"""The `kultialogo` command as a newcomer meets it: `make run`'s output, serving phones on the
local network, a relative SQLite path, and the translate commands from a regular install."""
import json
import logging
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner

from bench._server import free_port
from kultialogo import cli, create_app
from kultialogo.demo import accounts_table

ROOT = Path(__file__).resolve().parents[2]
QUICK_HASHING = {"KULTIALOGO_PASSWORD_TIME_COST": "1", "KULTIALOGO_PASSWORD_MEMORY_COST": "1024",
                 "KULTIALOGO_SECRET_KEY": "test-secret-key"}


class Served:
    """`kultialogo run ARGS` in a subprocess; its output is complete once it answers /healthz
    (everything is printed before waitress starts serving)."""

    def __init__(self, tmp_path: Path, *args: str, env: dict | None = None):
        self.port = free_port()
        full_env = {**os.environ, "KULTIALOGO_DATA_DIR": str(tmp_path / "data"), **QUICK_HASHING, **(env or {})}
        self.proc = subprocess.Popen([sys.executable, "-m", "kultialogo.cli", "run", "--port", str(self.port), *args],
                                     cwd=tmp_path, env=full_env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     text=True)
        self.lines: list[str] = []
        self.reader = threading.Thread(target=lambda: self.lines.extend(self.proc.stdout), daemon=True)
        self.reader.start()

    def wait_until_serving(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        with requests.Session() as session:
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    raise AssertionError("server exited: " + self.output())
                try:
                    if session.get(f"http://127.0.0.1:{self.port}/healthz", timeout=2).status_code == 200:
                        return
                except requests.ConnectionError:
                    pass
                time.sleep(0.05)  # polling a server to come up
        raise AssertionError("server did not start: " + self.output())

    def output(self) -> str:
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)
        self.reader.join(10)
        self.proc.stdout.close()
        return "".join(self.lines)


@pytest.mark.slow
def test_make_run_ends_with_the_address_and_the_demo_accounts(tmp_path):
    # What `make run` runs: the schema, the demo content, then the address and the accounts last.
    server = Served(tmp_path, "--demo", "--host", "127.0.0.1")
    server.wait_until_serving()
    out = server.output()
    assert "alembic" not in out and "INFO" not in out, out
    assert len(out.splitlines()) < 25, out
    address = f"Kultialogo is running at http://localhost:{server.port}/"
    assert address in out
    assert out.rstrip().endswith(accounts_table()), out  # the table from server/demo.py, not a copy
    assert out.index(address) < out.index(accounts_table())
    assert "--host 0.0.0.0" in out  # how to serve phones instead


@pytest.mark.slow
def test_run_on_every_interface_prints_the_addresses_phones_open(tmp_path):
    server = Served(tmp_path, "--host", "0.0.0.0")
    server.wait_until_serving()
    expected = [f"http://{address}:{server.port}/" for address in cli.lan_addresses()]
    for url in expected:  # phones there reach the app
        assert requests.get(url + "healthz", timeout=5).status_code == 200
    out = server.output()
    if not expected:  # a machine on no network: it says so instead
        assert "No network address found" in out, out
        return
    line = next(line for line in out.splitlines() if line.startswith("Phones on the same network open:"))
    assert line.split(":", 1)[1].split() == expected


@pytest.mark.slow
def test_run_with_json_logs_writes_one_json_access_line_per_request(tmp_path):
    # As in production: waitress, the schema upgraded first (Alembic configures logging from its
    # .ini on the way), then every line JSON and each request's access line with its id.
    server = Served(tmp_path, env={"KULTIALOGO_LOG_FORMAT": "json"})
    server.wait_until_serving()
    answer = requests.get(f"http://127.0.0.1:{server.port}/api/v1/limits", timeout=5,
                          headers={"X-Request-ID": "cli-json-check-1"})
    assert answer.headers["X-Request-ID"] == "cli-json-check-1"
    requests.get(f"http://127.0.0.1:{server.port}/healthz", timeout=5)  # flushes the line before
    out = server.output()
    logged = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    access = [line for line in logged if line["request_id"] == "cli-json-check-1"]
    assert len(access) == 1, out
    assert access[0]["logger"] == "kultialogo.access" and access[0]["route"] == "/api/v1/limits"
    assert out.count("cli-json-check-1") == 1, out  # written once, not again in another form


def test_the_lan_addresses_are_this_machines_and_not_loopback():
    for address in cli.lan_addresses():
        assert not address.startswith("127.")
        with socket.socket() as sock:
            sock.bind((address, 0))  # only an address of this machine can be bound


def test_a_relative_sqlite_path_is_a_file_in_the_working_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "DATA_DIR": str(tmp_path / "data"),
                      "SQLALCHEMY_DATABASE_URI": "sqlite:///relative/folder/kultialogo.sqlite3"})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'relative/folder/kultialogo.sqlite3'}"
    with app.app_context():
        response = app.test_client().get("/healthz")
        assert response.status_code == 200, response.get_json()
        from kultialogo.extensions import db
        db.engine.dispose()
    assert (tmp_path / "relative" / "folder" / "kultialogo.sqlite3").is_file()


def test_a_sqlite_path_that_cannot_be_made_stops_the_start_with_a_clear_message(tmp_path):
    (tmp_path / "a-file").write_text("in the way")
    env = {**os.environ, "KULTIALOGO_DATA_DIR": str(tmp_path / "data"), **QUICK_HASHING,
           "DATABASE_URL": "sqlite:///a-file/kultialogo.sqlite3"}
    run = subprocess.run([sys.executable, "-m", "kultialogo.cli", "run", "--port", str(free_port())],
                         cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert run.returncode == 1
    assert "Traceback" not in run.stderr
    assert f"The SQLite database {tmp_path / 'a-file' / 'kultialogo.sqlite3'} cannot be made" in run.stderr
    assert "running" not in run.stdout


@pytest.fixture
def checkout_copy(tmp_path):
    """The parts of a checkout `translate compile` works on, without their compiled files."""
    copy = tmp_path / "checkout"
    (copy / "server").mkdir(parents=True)
    shutil.copy(ROOT / "babel.cfg", copy)
    shutil.copytree(ROOT / "server" / "i18n", copy / "server" / "i18n",
                    ignore=shutil.ignore_patterns("*.mo", "__pycache__"))
    (copy / "server" / "i18n" / "translations" / "sr_Cyrl" / "LC_MESSAGES" / "messages.po").unlink()
    return copy


def test_translate_works_from_a_checkout_when_the_package_is_installed_elsewhere(checkout_copy, tmp_path, monkeypatch):
    # A regular install (what `make` does): the package is in site-packages, with no babel.cfg beside it.
    site = tmp_path / "site-packages" / "kultialogo"
    site.mkdir(parents=True)
    monkeypatch.setattr(cli, "PACKAGE_DIR", site)
    monkeypatch.chdir(checkout_copy / "server" / "i18n")  # anywhere inside the checkout
    result = CliRunner().invoke(cli.cli, ["translate", "compile"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    catalogs = checkout_copy / "server" / "i18n" / "translations"
    assert (catalogs / "sr_Cyrl" / "LC_MESSAGES" / "messages.po").is_file()
    for po in catalogs.glob("*/LC_MESSAGES/messages.po"):
        assert po.with_suffix(".mo").is_file(), po


def test_translate_update_and_compile_change_no_file_when_no_string_changed(tmp_path, monkeypatch):
    """The committed catalogs are what the commands write: an update with nothing new rewraps
    no line, moves no reference and stamps no new date, so a translator's diff shows only what
    changed for them (and this fails when the catalogs are behind the sources)."""
    copy = tmp_path / "checkout"
    shutil.copytree(ROOT / "server", copy / "server", ignore=shutil.ignore_patterns("__pycache__"))
    for folder in ("pwa", "service-worker"):
        shutil.copytree(ROOT / folder, copy / folder)
    shutil.copy(ROOT / "babel.cfg", copy)
    i18n = copy / "server" / "i18n"

    def catalogs():
        return {path.relative_to(i18n): path.read_bytes() for path in i18n.rglob("*")
                if path.suffix in (".pot", ".po", ".mo")}

    before = catalogs()
    assert len(before) == 1 + 2 * 10  # the template, and each language's .po and .mo
    monkeypatch.setattr(cli, "PACKAGE_DIR", tmp_path / "site-packages" / "kultialogo")
    monkeypatch.chdir(copy)
    update = CliRunner().invoke(cli.cli, ["translate", "update"], catch_exceptions=False)
    assert update.exit_code == 0, update.output
    assert "messages.pot is current" in update.output
    compiled = CliRunner().invoke(cli.cli, ["translate", "compile"], catch_exceptions=False)
    assert compiled.exit_code == 0, compiled.output
    after = catalogs()
    assert [str(path) for path in before if after.get(path) != before[path]] == []
    assert not (i18n / "messages.pot.new").exists()


def test_translate_outside_a_checkout_says_where_to_run_it(tmp_path, monkeypatch):
    monkeypatch.setattr(cli, "PACKAGE_DIR", tmp_path / "site-packages" / "kultialogo")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli.cli, ["translate", "compile"])
    assert result.exit_code == 1
    assert "run them from inside one" in result.output


class _Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


class _Waiting:
    """A task waiting in waitress's queue (never served here: its threads are stopped)."""

    def cancel(self):
        pass


def test_waitress_queue_warnings_are_thinned_to_one_a_minute(caplog):
    clock = _Clock()
    thinned = cli.ThinnedWarning(logging.getLogger("waitress.queue"), every=60, clock=clock)
    with caplog.at_level(logging.WARNING, logger="waitress.queue"):
        for depth in range(1, 6):
            thinned.warning("Task queue depth is %d", depth)
            clock.now += 1
        assert [r.getMessage() for r in caplog.records] == ["Task queue depth is 1"]
        clock.now += 60
        thinned.warning("Task queue depth is %d", 9)
        thinned.warning("Task queue depth is %d", 10)
    assert [r.getMessage() for r in caplog.records] == [
        "Task queue depth is 1", "Task queue depth is 9 (and 4 more such warnings left out)"]


def test_run_serves_with_waitress_whose_queue_warning_is_thinned(caplog, tmp_path):
    """The server `kultialogo run` starts: each request queued behind busy threads no longer
    writes a line (waitress's own dispatcher, driven as waitress drives it)."""
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "DATA_DIR": str(tmp_path / "data"),
                      "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    server = cli.waitress_server(app, "127.0.0.1", 0, threads=2)
    dispatcher = server.task_dispatcher
    try:
        dispatcher.set_thread_count(0)  # nothing takes tasks: each one added waits
        with caplog.at_level(logging.WARNING, logger="waitress.queue"):
            for _ in range(50):
                dispatcher.add_task(_Waiting())
        assert len(dispatcher.queue) == 50
        assert [r.getMessage() for r in caplog.records] == ["Task queue depth is 1"]
    finally:
        dispatcher.shutdown(timeout=1)
        server.close()
