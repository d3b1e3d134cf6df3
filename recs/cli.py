"""``market recs evaluate``."""

from __future__ import annotations

import json

import click
from flask.cli import with_appcontext


@click.group("recs")
def recs():
    """Recommendations: offline evaluation."""


@recs.command("evaluate")
@click.option("--json", "as_json", is_flag=True, help='Print {"model": {...}, "popularity": {...}} only.')
@with_appcontext
def evaluate_cmd(as_json: bool):
    """Hold out each user's latest request; compare the recommender with most-popular at 10."""
    from .evaluate import evaluate

    res = evaluate()
    if as_json:
        click.echo(json.dumps({"model": res["model"], "popularity": res["popularity"]}))
        return
    if not res["cases"]:
        click.echo("No user has two or more requests yet: nothing to hold out (seed the demo city or wait for "
                   "more requests).")
        return
    click.echo(f"Held out the latest request of {res['cases']} users; {res['catalog']} requestable entries.")
    click.echo(f"{'metric':<16}{'model':>10}{'popularity':>12}")
    for key, label in (("hit_rate_at_10", "hit-rate@10"), ("ndcg_at_10", "NDCG@10"), ("coverage", "coverage")):
        click.echo(f"{label:<16}{res['model'][key]:>10.4f}{res['popularity'][key]:>12.4f}")
    base = res["popularity"]["hit_rate_at_10"]
    if base:
        click.echo(f"hit-rate@10 relative to popularity: {res['model']['hit_rate_at_10'] / base - 1:+.1%}")


def register(cli: click.Group) -> None:
    cli.add_command(recs)
