"""``market harvest ckan URL [--organization …]`` and ``market harvest dcat URL``."""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext


@click.group("harvest")
def harvest_group():
    """Harvest (目录级联) catalog entries from CKAN or DCAT catalogs."""


def _run(start, label: str, **kwargs):
    from .harvest.services import HarvestFailed, iter_problems, report_line

    bar = click.progressbar(length=1, label=label, file=sys.stderr, show_pos=True)

    def on_total(total: int) -> None:
        bar.length = max(total, 1)
        bar.render_progress()

    try:
        with bar:
            run = start(on_total=on_total, on_progress=bar.update, **kwargs)
    except HarvestFailed as exc:
        raise click.ClickException(f"harvest failed, nothing was retired: {exc}") from None
    for problem in iter_problems(run):
        click.echo(f"  {problem}", err=True)
    click.echo(f"Harvest run {run.id} of {run.source.label}: {report_line(run)}")


@harvest_group.command("ckan")
@click.argument("url")
@click.option("--organization", default=None, help="Only this organization (name) of the CKAN catalog.")
@with_appcontext
def harvest_ckan_command(url: str, organization: str | None):
    """Harvest a CKAN catalog through its Action API (package_search), incrementally."""
    from .harvest import harvest_ckan

    _run(harvest_ckan, f"Harvesting {url}", url=url, organization=organization)


@harvest_group.command("dcat")
@click.argument("url")
@with_appcontext
def harvest_dcat_command(url: str):
    """Harvest a DCAT catalog document (Turtle, JSON-LD or RDF/XML; hydra pages followed), incrementally."""
    from .harvest import harvest_dcat

    _run(harvest_dcat, f"Harvesting {url}", url=url)


def register(cli: click.Group) -> None:
    cli.add_command(harvest_group)
