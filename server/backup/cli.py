"""``kultialogo backup PATH`` and ``kultialogo restore PATH``."""
import click
from flask.cli import with_appcontext

from .archive import BackupError


@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=True, file_okay=True))
@with_appcontext
def backup_command(path):
    """Write the database and the media store to one checked file (safe while the app runs).

    PATH is the file to write, or a folder to write kultialogo-<time>.tar into."""
    from .service import backup
    try:
        manifest = backup(path)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    counts = manifest["counts"]
    click.echo(f"Backup written to {manifest['path']}: {manifest['database']['kind']} database, "
               f"{counts['stories']} stories ({counts['withdrawn_stories']} withdrawn), "
               f"{counts['accounts']} accounts, {counts['media_files_in_backup']} media files.")


@click.command("restore")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--force", is_flag=True, help="Replace a database that is not empty (its later withdrawals are kept).")
@with_appcontext
def restore_command(path, force):
    """Restore a backup into an empty database and data folder (stop the app first)."""
    from .service import restore
    try:
        result = restore(path, force=force)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    counts = result["counts"]
    click.echo(f"Restored {counts['stories']} stories ({counts['withdrawn_stories']} withdrawn), "
               f"{counts['accounts']} accounts and {result['media_restored']} media files; "
               f"{result['withdrawals_reapplied']} later withdrawals, {result['deletions_reapplied']} later "
               f"deletions of other records and {result['accounts_deleted_again']} later account deletions "
               "applied again. The schema is up to date.")
