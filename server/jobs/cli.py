"""``kultialogo worker`` and ``kultialogo jobs``: run background jobs, and see or retry dead ones."""
import signal
import threading

import click
from flask import current_app
from flask.cli import with_appcontext

from .. import collector
from . import counts, dead_jobs, retry_dead
from .worker import wake, work


@click.command("worker")
@click.option("--drain", is_flag=True, help="Run what is due now, then exit (cron, tests).")
@with_appcontext
def worker_command(drain):
    """Run background jobs (Web Push, media clean-up, face checks). Run as many as you like,
    on any machine that reaches the database: each job runs on one of them."""
    app = current_app._get_current_object()
    stop = threading.Event()

    def _stop(_signum, _frame):  # systemd's and docker's stop: finish the job at hand, then exit
        stop.set()
        wake()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    if not drain:
        collector.start()  # CPython 3.11: no collection inside another allocation (collector.py)
    ran = work(app, stop=stop, drain=drain)
    if drain:
        click.echo(f"{ran} jobs ran")


@click.group("jobs")
def jobs_group():
    """Background jobs: what waits, and jobs that failed their last attempt."""


@jobs_group.command("list")
@with_appcontext
def list_command():
    """Jobs by kind and state, then the dead ones."""
    for (kind, state), n in sorted(counts().items()):
        click.echo(f"{kind}\t{state}\t{n}")
    for job in dead_jobs():
        click.echo(f"dead job {job.id}: {job.kind}, {job.attempts} attempts, last error {job.last_error}")


@jobs_group.command("retry")
@click.argument("job_ids", nargs=-1, type=int)
@with_appcontext
def retry_command(job_ids):
    """Give dead jobs (all, or the ids given) their attempts back."""
    click.echo(f"{retry_dead(job_ids)} jobs queued again")
