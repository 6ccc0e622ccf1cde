"""``kultialogo export <what> --format csv|json``: the same exports, written to a file."""
from datetime import date

import click
from flask import current_app
from flask.cli import with_appcontext

from ..dashboard.periods import PERIODS
from ..errors import Problem
from . import service


def _day(_ctx, _param, value):
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter("use YYYY-MM-DD") from None


@click.command("export")
@click.argument("what", type=click.Choice(service.EXPORTS))
@click.option("--format", "fmt", type=click.Choice(service.FORMATS), default="csv", show_default=True)
@click.option("--community", default=None, help="A community's slug (default: every community).")
@click.option("--from", "first", default=None, callback=_day,
              help="First day, YYYY-MM-DD (default: 12 weeks ago, a Monday; audit: the log's first day).")
@click.option("--to", "last", default=None, callback=_day, help="Last day, YYYY-MM-DD (default: today).")
@click.option("--period", type=click.Choice(PERIODS), default=None,
              help="aggregates: numbers per week or month (default: week up to 26 weeks, else month).")
@click.option("--include-text", is_flag=True,
              help="stories: add the title and text of public, published stories (only those).")
@click.option("--action", default=None, help="audit: only this action (e.g. export, story.publish).")
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True), default="-", show_default=True,
              help="File to write ('-' for standard output).")
@with_appcontext
def export_command(what, fmt, community, first, last, period, include_text, action, output):
    """Export events, attendance, stories, aggregates or the audit log (recorded in the audit log)."""
    try:
        export = service.for_operator(what, fmt, community=community, first=first, last=last, period=period,
                                      include_text=include_text, action=action)
    except Problem as problem:
        with current_app.test_request_context():  # the message's language comes from a request
            message = problem.message
        raise click.ClickException(message) from None
    service.record(None, export, via="cli")
    with click.open_file(output, "wb") as out:  # "-": standard output
        for chunk in service.chunks(export):
            out.write(chunk)
    if output != "-":
        click.echo(f"Wrote {output}", err=True)
