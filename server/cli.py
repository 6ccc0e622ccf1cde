"""The ``kultialogo`` command: a Flask CLI group with the operator's commands."""
import ctypes
import gc
import logging
import os
import socket
import struct
import sys
import threading
import time
from pathlib import Path

import click
import waitress
from alembic.runtime.migration import MigrationContext
from babel.messages.frontend import CommandLineInterface
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext
from flask_migrate import upgrade as migrate_upgrade
from flask_migrate.cli import db as db_group

from . import collector, create_app, limits
from .accounts.auth import create_account
from .config import ConfigError
from .errors import Problem
from .extensions import db
from .i18n import serbian


def _create_app():
    try:
        return create_app()
    except ConfigError as exc:  # a setting it cannot start with: say which, without a traceback
        raise click.ClickException(str(exc)) from None


@click.group(cls=FlaskGroup, create_app=_create_app, add_default_commands=False,
             help="Kultialogo: offline-first story sharing.")
def cli():
    pass


cli.add_command(db_group)


@cli.command("run")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (0.0.0.0 for a camp's Wi-Fi).")
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--threads", default=8, show_default=True, type=int, help="Worker threads (waitress).")
@click.option("--debug", is_flag=True, help="Flask's reloading debug server instead of waitress (development only).")
@click.option("--upgrade/--no-upgrade", default=True, show_default=True, help="Apply database migrations first.")
@click.option("--demo", is_flag=True, help="Load the demo content first (as `kultialogo demo`) and list its accounts.")
@with_appcontext
def run_command(host, port, threads, debug, upgrade, demo):
    """Serve the app (waitress, a production WSGI server, unless --debug)."""
    app = current_app._get_current_object()
    if upgrade or demo:
        _upgrade_schema()
    if demo:
        from .demo import accounts_table, load_demo  # late: the demo's content loads only when asked for
        click.echo(load_demo().splitlines()[0])
    for line in _addresses(host, port, app.config["SQLALCHEMY_DATABASE_URI"]):
        click.echo(line)
    if demo:
        click.echo(accounts_table())
    sys.stdout.flush()
    if debug:
        app.run(host=host, port=port, debug=True, use_reloader=False)
        return
    tune_malloc(int(app.config.get("MALLOC_ARENAS") or 0), float(app.config.get("MALLOC_TRIM_SECONDS") or 0))
    if app.config["JOBS_IN_PROCESS"]:  # one box needs no separate worker (README, Background jobs)
        from .jobs.worker import start_thread
        start_thread(app)
    freeze_startup_objects()
    collector.start()  # CPython 3.11: no collection inside another allocation (collector.py)
    waitress_server(app, host, port, threads).run()


def waitress_server(app, host: str, port: int, threads: int):
    """waitress as `run` serves the app: its settings, and its queue warning thinned out."""
    server = waitress.create_server(app, host=host, port=port, threads=threads, ident="kultialogo",
                                    channel_timeout=120, connection_limit=1000, **waitress_options(app))
    server.task_dispatcher.queue_logger = ThinnedWarning(logging.getLogger("waitress.queue"))
    return server


class ThinnedWarning:
    """A logger's warnings, at most one per ``every`` seconds; the next one says how many were
    left out. For waitress's "Task queue depth is N", which it writes each time a request has
    to wait for a busy thread. When a whole assembly opens the app at once that is a line for
    many requests (50 clients asking /healthz 10,000 times: 3,170 lines), to the terminal or
    a camp node's SD card, each taking CPU from the requests. The first line still tells the
    operator the server is saturated."""

    def __init__(self, logger: logging.Logger, every: float = 60.0, clock=time.monotonic):
        self.logger, self.every, self._clock = logger, every, clock
        self._quiet_until = None
        self._left_out = 0

    def warning(self, message: str, *args) -> None:
        # waitress calls this under its dispatcher's lock: one caller at a time
        now = self._clock()
        if self._quiet_until is not None and now < self._quiet_until:
            self._left_out += 1
            return
        if self._left_out:
            message, args = f"{message} (and %d more such warnings left out)", (*args, self._left_out)
            self._left_out = 0
        self._quiet_until = now + self.every
        self.logger.warning(message, *args)


def freeze_startup_objects() -> None:
    """Move everything made at start-up (modules, the app, SQLAlchemy's mappers and compiled
    caches) out of the garbage collector's sight: a full collection no longer walks those
    hundreds of thousands of objects that live as long as the process, and under a stream of
    pushes those walks were a measurable share of each request (bench/ingest.py)."""
    gc.collect()
    gc.freeze()


# glibc's mallopt() parameters (malloc.h).
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD, M_ARENA_MAX = -1, -3, -8


def tune_malloc(arenas: int, trim_seconds: float) -> bool:
    """Keep glibc's malloc from holding on to memory the server freed; True if it applies.

    Under 100 phones the resident size grew by 23-26 MiB in a minute while the Python objects
    left alive grew by under 5 MiB (bench/memory_soak.py --tracemalloc): the rest was freed
    memory glibc kept. Three reasons, three settings, all before waitress starts its threads:
    - each thread that allocates while another does gets an arena of its own (up to 8 per
      core), and memory freed in one stays there: at most ``arenas`` of them;
    - a large block (a page being compressed, a push body) once freed raises the mmap
      threshold, so later ones come from the heap and stay: fixed at 128 KiB, they are
      mapped and given back each time;
    - free pages inside the heap are only returned by malloc_trim(): a daemon thread calls it
      every ``trim_seconds`` (it takes about a millisecond).
    MALLOC_ARENA_MAX and friends in the environment act only before Python starts, hence
    mallopt(). An operator's own MALLOC_ARENA_MAX wins; other C libraries (musl): nothing.
    """
    if arenas <= 0 or os.environ.get("MALLOC_ARENA_MAX") or not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
        mallopt, malloc_trim = libc.mallopt, libc.malloc_trim
    except (OSError, AttributeError):
        return False
    applied = mallopt(M_ARENA_MAX, arenas)
    mallopt(M_MMAP_THRESHOLD, 128 * 1024)
    mallopt(M_TRIM_THRESHOLD, 256 * 1024)
    if applied and trim_seconds > 0:
        def trim():
            while True:
                threading.Event().wait(trim_seconds)
                malloc_trim(0)
        threading.Thread(target=trim, name="malloc-trim", daemon=True).start()
    return bool(applied)


def waitress_options(app) -> dict:
    """waitress's body limit and proxy handling, taken from the app's own settings.

    With KULTIALOGO_TRUST_PROXY the X-Forwarded-* headers must reach ProxyFix, which counts the
    trusted hops; waitress would otherwise strip them as untrusted, and behind an HTTPS proxy no
    cookie got Secure, no HSTS was sent and every client shared one rate-limit bucket. Without
    it they are stripped, so nobody can claim another address or HTTPS.
    """
    return {
        "max_request_body_size": 1 + max(app.config["MAX_CONTENT_LENGTH"], limits.FORM_UPLOAD_MAX_BYTES,
                                     limits.MEDIA_MAX_BYTES + 1, limits.NODE_IMPORT_MAX_BYTES),
        "clear_untrusted_proxy_headers": not int(app.config.get("TRUST_PROXY") or 0),
    }


def _upgrade_schema() -> None:
    """Apply pending migrations, saying so in one line rather than in Alembic's log."""
    def revision():
        with db.engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()

    # Alembic's env.py configures logging from alembic.ini (root's handlers replaced by its
    # console one): put the app's back afterwards, or its lines would change form, or double.
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    logging.disable(logging.INFO)
    try:
        before = revision()
        migrate_upgrade()
        after = revision()
    finally:
        logging.disable(logging.NOTSET)
        root.handlers[:] = handlers
        root.setLevel(level)
    if after != before:
        click.echo(f"Database schema upgraded from {before or 'empty'} to {after}.")


def lan_addresses() -> list[str]:
    """This machine's IPv4 addresses other than loopback: where phones on the same network
    reach it. Read from the network interfaces (Linux), else from the route a UDP socket would
    take; neither sends a packet."""
    found = []
    try:
        import fcntl  # late: POSIX only (not on Windows); the ImportError is caught below
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            for _index, name in socket.if_nameindex():
                try:
                    packed = fcntl.ioctl(sock.fileno(), 0x8915,  # SIOCGIFADDR
                                         struct.pack("256s", name.encode()[:15]))
                except OSError:  # no IPv4 address on this interface
                    continue
                found.append(socket.inet_ntoa(packed[20:24]))
    except (ImportError, OSError, AttributeError):
        pass
    if not found:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            try:
                sock.connect(("10.254.254.254", 1))  # UDP connect only picks a route
                found.append(sock.getsockname()[0])
            except OSError:
                pass
    return [a for a in dict.fromkeys(found) if not a.startswith(("127.", "0.", "169.254."))]


def _addresses(host: str, port: int, database_uri: str) -> list[str]:
    """What `kultialogo run` says before it serves: where to open it, and from where."""
    kind = database_uri.split("://")[0].split("+")[0]
    if host in ("0.0.0.0", ""):
        lines = [f"Kultialogo is running at http://localhost:{port}/  (database: {kind})"]
        phones = [f"http://{a}:{port}/" for a in lan_addresses()]
        if phones:
            lines.append("Phones on the same network open: " + "  ".join(phones))
        else:
            lines.append("No network address found: connect this computer to the Wi-Fi phones use.")
        return lines
    if host in ("127.0.0.1", "localhost"):
        return [f"Kultialogo is running at http://localhost:{port}/  (database: {kind})",
                "Only this computer can open it; to serve phones on the network: kultialogo run --host 0.0.0.0"
                " (make run HOST=0.0.0.0)"]
    shown = f"[{host}]" if ":" in host else host
    return [f"Kultialogo is running at http://{shown}:{port}/  (database: {kind})"]


@cli.command("demo")
@click.option("--reset", is_flag=True, help="Delete existing stories first.")
@with_appcontext
def demo_command(reset):
    """Load demo communities, people and stories (safe to run twice)."""
    from .demo import load_demo  # late: the demo's content loads only when asked for
    _upgrade_schema()
    summary = load_demo(reset=reset)
    click.echo(summary)


@cli.command("create-admin")
@click.option("--username", prompt=True)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--display-name", default="")
@with_appcontext
def create_admin_command(username, password, display_name):
    """Create a site administrator."""
    try:
        account = create_account(username, password, display_name, is_admin=True)
    except Problem as problem:
        raise click.ClickException(problem.message) from None
    click.echo(f"Admin {account.username} created.")


# --- Translations (a checkout only: they read the sources) --------------------------------

TRANSLATIONS = "server/i18n/translations"
TEMPLATE = "server/i18n/messages.pot"
# Python keywords beside the defaults; the JavaScript keywords are set per section in babel.cfg.
PYTHON_KEYWORDS = ["-k", "_l", "-k", "lazy_gettext", "-k", "lazy_ngettext:1,2"]
# The template and the catalogs are written 100 wide, as the catalogs were first written (at
# pybabel's 76, each update rewrapped thousands of their lines), and say where a string is used
# by file only (the template gives update its locations): with line numbers, every edit above a
# string moved its references in eleven files. Nothing a translator needs changes either way.
CATALOG_WIDTH = f"--width={serbian.CATALOG_WIDTH}"


PACKAGE_DIR = Path(__file__).resolve().parent


def _is_checkout(folder: Path) -> bool:
    return (folder / "babel.cfg").is_file() and (folder / "server" / "i18n").is_dir()


def _source_root() -> Path:
    """The checkout whose sources and catalogs the translate commands work on: the one this
    package runs from (an editable install), else the one the working folder is in (a regular
    install, as `make` does, run from a checkout)."""
    if _is_checkout(PACKAGE_DIR.parent):
        return PACKAGE_DIR.parent
    here = Path.cwd().resolve()
    for folder in (here, *here.parents):
        if _is_checkout(folder):
            return folder
    raise click.ClickException(
        "The translate commands work on a source checkout: run them from inside one (the folder "
        "with babel.cfg and server/i18n, or any folder below it).")


def _pybabel(*args) -> None:
    root = _source_root()
    previous = os.getcwd()
    os.chdir(root)  # babel.cfg's patterns and the catalogs' source locations are root-relative
    try:
        CommandLineInterface().run(["pybabel", "-q", *args])
    except SystemExit as exc:
        if exc.code:
            raise click.ClickException(f"pybabel {args[0]} failed") from None
    finally:
        os.chdir(previous)


@click.group("translate")
def translate():
    """Interface translations: extract strings, start or update a language, compile."""


@translate.command("extract")
def translate_extract():
    """Collect the marked strings of server/, templates, pwa/js and service-worker/ into the template."""
    root = _source_root()
    fresh = f"{TEMPLATE}.new"
    _pybabel("extract", "-F", "babel.cfg", *PYTHON_KEYWORDS, "--add-comments=TRANSLATORS:", CATALOG_WIDTH,
             "--add-location=file", "--project=Kultialogo", "--copyright-holder=Kultialogo contributors",
             "-o", fresh, ".")
    # The same strings as before: keep the template, and with it the date an update copies into
    # every catalog, so an update with nothing new changes no file.
    if _without_date(root / fresh) == _without_date(root / TEMPLATE):
        (root / fresh).unlink()
        click.echo(f"{TEMPLATE} is current")
    else:
        (root / fresh).replace(root / TEMPLATE)
        click.echo(f"Wrote {TEMPLATE}")


def _without_date(path: Path) -> list[str] | None:
    if not path.is_file():
        return None
    return [line for line in path.read_text(encoding="utf-8").splitlines() if not line.startswith('"POT-Creation-Date:')]


@translate.command("init")
@click.argument("lang")
def translate_init(lang):
    """Start a catalog for a new language (e.g. nl)."""
    translate_extract.callback()
    _pybabel("init", "-i", TEMPLATE, "-d", TRANSLATIONS, "-l", lang)
    click.echo(f"Created {TRANSLATIONS}/{lang}/LC_MESSAGES/messages.po")


@translate.command("update")
def translate_update():
    """Re-extract and merge new strings into every catalog (then translate, then compile)."""
    translate_extract.callback()
    _pybabel("update", "-i", TEMPLATE, "-d", TRANSLATIONS, "--ignore-obsolete", CATALOG_WIDTH)
    click.echo("Catalogs updated; translate the new and fuzzy entries, then run `kultialogo translate compile`.")


@translate.command("compile")
def translate_compile():
    """Compile every catalog to .mo (committed: the wheel ships them); sr_Cyrl is made from sr_Latn first."""
    root = _source_root()
    if serbian.write(root / TRANSLATIONS):
        click.echo("Wrote sr_Cyrl from sr_Latn")
    _pybabel("compile", "-d", TRANSLATIONS, "--statistics")


cli.add_command(translate)

from .media.cli import media as media_group  # noqa: E402  (kultialogo media gc)

cli.add_command(media_group)

from .exports.cli import export_command  # noqa: E402  (kultialogo export)

cli.add_command(export_command)

from .nodes.cli import import_command, node_group  # noqa: E402  (kultialogo node ..., kultialogo import)

cli.add_command(node_group)
cli.add_command(import_command)

from .backup.cli import backup_command, restore_command  # noqa: E402  (kultialogo backup, restore)

cli.add_command(backup_command)
cli.add_command(restore_command)

from .jobs.cli import jobs_group, worker_command  # noqa: E402  (kultialogo worker, jobs)

cli.add_command(worker_command)
cli.add_command(jobs_group)


def main():
    os.environ.setdefault("FLASK_RUN_FROM_CLI", "false")
    cli(prog_name="kultialogo")


if __name__ == "__main__":
    main()
