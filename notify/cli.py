"""``market notify send``: deliver the e-mail outbox through SMTP."""

from __future__ import annotations

import click
from flask.cli import with_appcontext


@click.group("notify")
def notify_group():
    """Notifications and the e-mail outbox."""


@notify_group.command("send")
@click.option("--limit", default=200, show_default=True, type=click.IntRange(1, 10_000))
@with_appcontext
def send(limit: int):
    """Send due outbox e-mails (needs MARKET_SMTP_URL; otherwise they wait)."""
    from .services import send_outbox

    report = send_outbox(limit)
    if not report.configured:
        click.echo(f"MARKET_SMTP_URL is not set: {report.waiting} e-mail(s) wait in the outbox.")
        return
    click.echo(f"Sent {report.sent}, failed {report.failed} (will retry), {report.waiting} still waiting.")


def register(cli) -> None:
    cli.add_command(notify_group)
