"""``kultialogo media ...``: operator commands for the media store."""
import click
from flask.cli import with_appcontext

from .service import collect_garbage


@click.group("media", help="Photos and voice recordings: the media store.")
def media():
    pass


@media.command("gc")
@with_appcontext
def gc_command():
    """Remove expired unfinished uploads and stray files (safe to run from cron)."""
    result = collect_garbage()
    click.echo(f"{result['expired_uploads']} expired uploads, {result['stray_files']} stray partial files, "
               f"{result['unreferenced_files']} files no story used, "
               f"{result['orphan_files']} orphan stored files removed.")


@media.command("faces")
@with_appcontext
def faces_command():
    """Look for faces in photos stored before faces were flagged (so moderators see them)."""
    from .service import check_unchecked_faces
    click.echo(f"{check_unchecked_faces()} photos checked for faces.")
