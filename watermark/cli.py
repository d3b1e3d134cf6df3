"""``market trace FILE``: name the grant a delivered copy came from, or say "no match"."""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext


def _p(log10_p: float) -> str:
    return "< 1e-300" if log10_p <= -300 else f"1e{log10_p:.1f}"


@click.command("trace")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx", "json"]), default=None,
              help="Read the file as this format (default: by its extension, else by its content).")
@with_appcontext
def trace_cmd(file: str, fmt: str | None):
    """Name the grant (request, requester, department, date) a copy came from; exit 1 on "no match"."""
    from market.db import db

    from .readers import UnreadableFile
    from .services import record_trace, trace_file

    try:
        result = trace_file(file, f"copy.{fmt}" if fmt else file)
    except (UnreadableFile, ValueError, OSError) as exc:
        click.echo(f"Error: cannot read {file}: {exc}", err=True)
        sys.exit(2)
    record_trace(result, file)
    db.session.commit()
    click.echo(f"Read {result.rows_read} rows; {result.grants_tried} grant(s) tried.")
    if not result.matched:
        click.echo(f"no match: {result.reason}")
        if result.runner_up is not None:
            r = result.runner_up
            click.echo(f"  closest: grant {r.grant_id}, {r.found} of {r.expected} marks, p = {_p(r.log10_p)}")
        sys.exit(1)
    for i, f in enumerate(result.findings):
        head = "match" if i == 0 else "also consistent (merged copies?)"
        click.echo(f"{head}: grant {f.grant_id} · request {f.request_id} · requester {f.requester} · "
                   f"department {f.department or '-'} · granted {f.granted_at:%Y-%m-%d} · "
                   f"entry {f.dataset_id} {f.dataset_title}")
        s = f.score
        click.echo(f"  evidence: {s.rows_matched} rows paired, {s.found} of {s.expected} predicted marks found, "
                   f"{s.unexplained} unexplained changes, p = {_p(s.log10_p)} "
                   f"(threshold 1e{result.threshold_log10:.1f})")
        for at, fmt_, rows in f.downloads[-3:]:
            click.echo(f"  delivered {at:%Y-%m-%d %H:%M} as {fmt_} ({rows} rows)")
    if result.runner_up is not None:
        r = result.runner_up
        click.echo(f"runner-up: grant {r.grant_id}, {r.found} of {r.expected} marks, p = {_p(r.log10_p)}")


def register(cli: click.Group) -> None:
    cli.add_command(trace_cmd)
