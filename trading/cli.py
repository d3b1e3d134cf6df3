"""``market payments …``: reconciliation with the provider and expiry of unpaid lines."""

from __future__ import annotations

import json

import click
from flask.cli import with_appcontext


@click.group("payments")
def payments():
    """Data trading payments: reconcile the ledger with the provider, expire unpaid lines."""


@payments.command("reconcile")
@click.option("--json", "as_json", is_flag=True, help="print the differences as JSON")
@with_appcontext
def reconcile_cmd(as_json: bool):
    """Compare our ledger (charges, refunds, paid grants) with the provider; exit 1 on any difference."""
    from .providers import ProviderError, get_provider
    from .reconcile import reconcile

    provider = get_provider()
    if provider is None:
        raise click.ClickException("payments are disabled: set MARKET_STRIPE_API_KEY (and MARKET_STRIPE_API_BASE)")
    try:
        diffs, counts = reconcile(provider)
    except ProviderError as exc:
        raise click.ClickException(f"cannot read the provider's payments: {exc}") from exc
    if as_json:
        click.echo(json.dumps({"differences": [d.__dict__ for d in diffs], "counts": counts}, indent=2))
    else:
        click.echo("provider: {provider_charges} charges, {provider_refunds} refunds; ledger: {ledger_charges} charges, "
                   "{ledger_refunds} refunds; other payments on the account: {other_provider_payments}".format(**counts))
        for d in diffs:
            click.echo(d.line())
        click.echo(f"{len(diffs)} difference(s)")
    raise SystemExit(1 if diffs else 0)


@payments.command("expire")
@with_appcontext
def expire_cmd():
    """Close paid lines whose payment window has passed (also the periodic job trading.expire)."""
    from market.db import db

    from .services import expire_payments

    n = expire_payments()
    db.session.commit()
    click.echo(f"{n} unpaid payment(s) expired")


def register(cli: click.Group) -> None:
    cli.add_command(payments)
