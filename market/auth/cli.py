"""``market users …``"""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from market.db import db
from market.errors import ValidationFailed

from .models import Role
from .services import create_user


@click.group()
def users():
    """Manage accounts."""


@users.command("create")
@click.argument("username")
@click.option("--password", required=True, help="at least 8 characters, not only digits or letters")
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
@click.option("--department", "department_code", help="department code (required for requester and officer)")
@click.option("--name", "display_name", default="", help="display name")
@click.option("--email", default="", help="address for notification e-mails (optional)")
@with_appcontext
def create(username, password, role, department_code, display_name, email):
    """Create an account with a role."""
    try:
        user = create_user(username, password, role, department_code=department_code, display_name=display_name,
                           email=email)
        db.session.commit()
    except ValidationFailed as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from None
    click.echo(f"Created {user.username} ({user.role.value}).")
