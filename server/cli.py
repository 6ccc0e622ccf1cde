"""The ``kultialogo`` command: a Flask CLI group with the operator's commands."""
import os
import sys

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext
from flask_migrate.cli import db as db_group


def _create_app():
    from . import create_app
    return create_app()


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
@with_appcontext
def run_command(host, port, threads, debug, upgrade):
    """Serve the app (waitress, a production WSGI server, unless --debug)."""
    app = current_app._get_current_object()
    if upgrade:
        from flask_migrate import upgrade as migrate_upgrade
        migrate_upgrade()
    shown = "localhost" if host in ("127.0.0.1", "0.0.0.0") else host
    click.echo(f"Kultialogo is running at http://{shown}:{port}/  (database: {app.config['SQLALCHEMY_DATABASE_URI'].split('://')[0]})")
    sys.stdout.flush()
    if debug:
        app.run(host=host, port=port, debug=True, use_reloader=False)
        return
    import waitress
    waitress.serve(app, host=host, port=port, threads=threads, ident="kultialogo",
                   channel_timeout=120, connection_limit=1000, clear_untrusted_proxy_headers=True,
                   _quiet=True)


@cli.command("demo")
@click.option("--reset", is_flag=True, help="Delete existing stories first.")
@with_appcontext
def demo_command(reset):
    """Load demo communities, people and stories (safe to run twice)."""
    from flask_migrate import upgrade as migrate_upgrade
    from .demo import load_demo
    migrate_upgrade()
    summary = load_demo(reset=reset)
    click.echo(summary)


@cli.command("create-admin")
@click.option("--username", prompt=True)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--display-name", default="")
@with_appcontext
def create_admin_command(username, password, display_name):
    """Create a site administrator."""
    from .accounts.auth import create_account
    from .errors import Problem
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


def _source_root():
    from pathlib import Path
    root = Path(__file__).resolve().parent.parent
    if not (root / "babel.cfg").is_file():
        raise click.ClickException("The translate commands need a source checkout (babel.cfg not found).")
    return root


def _pybabel(*args) -> None:
    from babel.messages.frontend import CommandLineInterface
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
    _pybabel("extract", "-F", "babel.cfg", *PYTHON_KEYWORDS, "--add-comments=TRANSLATORS:",
             "--project=Kultialogo", "--copyright-holder=Kultialogo contributors", "-o", TEMPLATE, ".")
    click.echo(f"Wrote {TEMPLATE}")


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
    _pybabel("update", "-i", TEMPLATE, "-d", TRANSLATIONS, "--ignore-obsolete")
    click.echo("Catalogs updated; translate the new and fuzzy entries, then run `kultialogo translate compile`.")


@translate.command("compile")
def translate_compile():
    """Compile every catalog to .mo (committed: the wheel ships them); sr_Cyrl is made from sr_Latn first."""
    _source_root()
    from .i18n import serbian
    if serbian.write():
        click.echo("Wrote sr_Cyrl from sr_Latn")
    _pybabel("compile", "-d", TRANSLATIONS, "--statistics")


cli.add_command(translate)

from .media.cli import media as media_group  # noqa: E402  (kultialogo media gc)

cli.add_command(media_group)

from .exports.cli import export_command  # noqa: E402  (kultialogo export)

cli.add_command(export_command)


def main():
    os.environ.setdefault("FLASK_RUN_FROM_CLI", "false")
    cli(prog_name="kultialogo")


if __name__ == "__main__":
    main()
