"""``market orders …``: thin shells over the orders services (safe to run twice)."""

from __future__ import annotations

import json

import click
from flask.cli import with_appcontext


@click.group("orders")
def orders():
    """Access requests, grants and the routing rules of the rules library."""


@orders.command("rules")
@with_appcontext
def rules_cmd():
    """Print the routing rules in force as JSON."""
    from .routing import load_rules, rule_to_dict

    click.echo(json.dumps([rule_to_dict(r) for r in load_rules()], ensure_ascii=False, indent=2))


@orders.command("expire-grants")
@with_appcontext
def expire_cmd():
    """Mark grants whose period has ended as expired."""
    from market.db import db

    from .decisions import expire_grants

    n = expire_grants()
    db.session.commit()
    click.echo(f"{n} grants expired.")


@orders.command("remind")
@with_appcontext
def remind_cmd():
    """Send due-time reminders and escalate overdue approval steps (run periodically)."""
    from market.db import db

    from .reminders import run_reminders

    run = run_reminders()
    db.session.commit()
    click.echo(f"{len(run.reminded)} reminders, {len(run.escalated)} escalations.")


def register(cli: click.Group) -> None:
    cli.add_command(orders)
