"""``kultialogo node ...``: a camp node's commands (README, Running a camp)."""
import os
import sys
from pathlib import Path

import click
import segno
from flask import current_app
from flask.cli import with_appcontext
from tqdm import tqdm

from ..errors import Problem
from . import replication, transfer
from .client import CentralError


@click.group("node")
def node_group():
    """Run Kultialogo at a camp without internet, and replicate with the central server."""


class Bar:
    """A tqdm bar of records (and bytes in its text) fed by replication.Progress."""

    def __init__(self, quiet: bool):
        self.bar = None if quiet else tqdm(unit=" records", dynamic_ncols=True, file=sys.stderr)
        self.seen = 0

    def __call__(self, progress: replication.Progress) -> None:
        if self.bar is None:
            return
        self.bar.set_description(progress.phase or "sync")
        self.bar.total = progress.total
        self.bar.update(progress.records - self.seen)
        self.seen = progress.records
        self.bar.set_postfix_str(f"{progress.bytes / 1e6:.1f} MB", refresh=False)
        progress.save()

    def close(self):
        if self.bar is not None:
            self.bar.close()


def _run(action, quiet: bool):
    bar = Bar(quiet)
    progress = replication.Progress(on_change=bar)
    try:
        return action(progress)
    except CentralError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        bar.close()


@node_group.command("init")
@click.option("--central", "central_url", required=True, help="The central server's address (https://...).")
@click.option("--token", required=True, help="The node token an admin issued on the central server's Camp nodes page.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@with_appcontext
def init_command(central_url, token, quiet):
    """Link this machine to the central server and take what the camp needs, before leaving."""
    from ..cli import _upgrade_schema  # late: the operator commands' module imports this one
    _upgrade_schema()
    if replication.link() is not None and replication.link().central_url != central_url.rstrip("/"):
        raise click.ClickException("This node is linked to another central server already.")
    row = _run(lambda progress: replication.init(central_url, token, progress=progress), quiet)
    click.echo(f"Linked to {row.central_url} for community {row.community_id}. "
               "Start the camp with: kultialogo node run")


@node_group.command("sync")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@with_appcontext
def sync_command(quiet):
    """Send what the camp made to central, then take what changed there. Safe to repeat, and
    resumes where a cut or a crash stopped it."""
    summary = _run(lambda progress: replication.sync(progress=progress), quiet)
    click.echo(f"Synced: {summary['pushed']} records sent ({summary['repeated']} central had already), "
               f"{summary['pulled']} received, {summary['bytes'] / 1e6:.1f} MB of media.")


# A node is a Raspberry Pi-class machine (1 GB): passwords are hashed one at a time, with
# OWASP's minimum argon2id settings (19 MiB, 2 passes) rather than central's 64 MiB, so that a
# camp's sign-in burst stays within the node's memory. A hash made here goes to central with
# the account, and central makes it stronger at the person's next sign-in there.
NODE_PASSWORD = {"PASSWORD_MEMORY_COST": 19456, "PASSWORD_TIME_COST": 2, "PASSWORD_CONCURRENCY": 1}


@node_group.command("run")
@click.option("--host", default="0.0.0.0", show_default=True, help="Address to listen on: every network by default.")
@click.option("--port", default=8080, show_default=True, type=int)
@click.option("--threads", default=8, show_default=True, type=int)
@click.option("--upgrade/--no-upgrade", default=True, show_default=True, help="Apply database migrations first.")
@click.pass_context
@with_appcontext
def run_command(ctx, host, port, threads, upgrade):
    """Serve the camp's phones on the local network; no internet needed."""
    from ..cli import _upgrade_schema, lan_addresses, run_command as serve  # late: see init_command
    if upgrade:
        _upgrade_schema()
    current_app.config.update(NODE_HOST=host, NODE_PORT=port)  # the /node page shows this address
    for key, value in NODE_PASSWORD.items():  # unless the operator set them (KULTIALOGO_...)
        if f"KULTIALOGO_{key}" not in os.environ:
            current_app.config[key] = value
    if replication.link() is None:
        click.echo("Not linked to a central server yet (kultialogo node init); serving anyway.")
    for address in lan_addresses()[:1]:
        url = f"http://{address}:{port}/"
        click.echo(f"Phones on this Wi-Fi open: {url}")
        segno.make(url, error="m").terminal(compact=True)
        click.echo(f"The same address and its QR code, to show on this screen: http://localhost:{port}/node")
    ctx.invoke(serve, host=host, port=port, threads=threads, debug=False, upgrade=False, demo=False)


class ByteBar:
    """A tqdm bar of bytes, fed by bundle.py's progress(done_bytes) callback."""

    def __init__(self, total: int | None, quiet: bool, what: str):
        self.bar = None if quiet else tqdm(total=total, unit="B", unit_scale=True, desc=what, file=sys.stderr)
        self.seen = 0

    def __call__(self, done: int) -> None:
        if self.bar is not None:
            self.bar.update(done - self.seen)
            self.seen = done

    def close(self):
        if self.bar is not None:
            self.bar.close()


@node_group.command("export")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--quiet", is_flag=True, help="No progress bar.")
@with_appcontext
def export_command(file, quiet):
    """Write everything central has not received yet into FILE (for a USB stick), signed."""
    bar = ByteBar(None, quiet, "export")
    try:
        summary = transfer.export(file, progress=bar)
    except Problem as problem:
        raise click.ClickException(problem.message) from None
    finally:
        bar.close()
    click.echo(f"Wrote {file}: {summary['items']} records and {summary['media']} files "
               f"({summary['bytes'] / 1e6:.1f} MB). Import it on central: kultialogo import {file.name}")


@click.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--quiet", is_flag=True, help="No progress bar.")
@with_appcontext
def import_command(file, quiet):
    """Import a camp node's export FILE, by the rules of a sync: importing twice changes nothing."""
    size = file.stat().st_size
    bar = ByteBar(size * 2, quiet, "import")  # verified whole first, then read again to apply
    done = {"verified": 0}

    def progress(n):
        done["verified"] = n
        bar(n)
    try:
        counts = transfer.import_file(file, progress=progress)
    except Problem as problem:
        raise click.ClickException(problem.message) from None
    finally:
        bar(size * 2)
        bar.close()
    click.echo(f"Imported from {counts['node']}: {counts['items']} records ({counts['created']} new, "
               f"{counts['updated']} changed, {counts['unchanged']} already here, {counts['rejected']} refused), "
               f"{counts['media']} files.")
