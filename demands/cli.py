"""``market demands …``: thin shells over the demand services (safe to run twice)."""

from __future__ import annotations

import json

import click
from flask.cli import with_appcontext


@click.group("demands")
def demands():
    """Data demands (数据需求) and quality objections (数据异议)."""


@demands.command("remind")
@with_appcontext
def remind_cmd():
    """Send due-time reminders and escalate overdue demands and objections (the periodic job does it too)."""
    from market.db import db

    from .deadlines import run_due

    run = run_due()
    db.session.commit()
    click.echo(f"{len(run.reminded)} reminders, {len(run.escalated)} escalations.")


@demands.command("stats")
@click.option("--department", default=None, help="Department code (default: the whole city).")
@with_appcontext
def stats_cmd(department):
    """Print demand fulfilment and objection resolution figures as JSON."""
    from sqlalchemy import select

    from catalog.models import Department
    from market.db import db

    from .stats import demand_fulfilment, objection_resolution

    dept_id = None
    if department:
        dept_id = db.session.scalar(select(Department.id).where(Department.code == department))
        if dept_id is None:
            raise click.BadParameter(f"no department with code {department!r}", param_hint="--department")
    click.echo(json.dumps({"demands": demand_fulfilment(department_id=dept_id),
                           "objections": objection_resolution(department_id=dept_id)}, ensure_ascii=False, indent=2))


def register(cli: click.Group) -> None:
    cli.add_command(demands)
