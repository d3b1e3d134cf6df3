"""``market audit verify``."""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext


@click.group("audit")
def audit():
    """The tamper-evident audit log."""


@audit.command("verify")
@with_appcontext
def verify_cmd():
    """Check the audit hash chain; exit 0 if intact, 1 naming the first broken entry."""
    from .services import verify_chain

    result = verify_chain()
    if result.ok:
        click.echo(f"Audit chain intact: {result.checked} entries verified.")
        return
    click.echo(f"Error: audit entry {result.broken_id} is broken: {result.reason} "
               f"({result.checked} entries before it verified).", err=True)
    sys.exit(1)


def register(cli: click.Group) -> None:
    cli.add_command(audit)
