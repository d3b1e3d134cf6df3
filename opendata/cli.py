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


@harvest_group.group("sources")
def sources_group():
    """Scheduled harvest sources (run by the job queue's opendata.harvest job)."""


@sources_group.command("add")
@click.argument("kind", type=click.Choice(["ckan", "dcat"]))
@click.argument("url")
@click.option("--organization", default="", help="CKAN only: harvest just this organization (name).")
@click.option("--interval", type=int, default=None, help="Minutes between harvests (15–44640; default 1440).")
@click.option("--disabled", is_flag=True, help="Register it without running it yet.")
@with_appcontext
def sources_add_command(kind: str, url: str, organization: str, interval: int | None, disabled: bool):
    """Register (or reschedule) a harvest source."""
    from market.db import db
    from market.errors import MarketError

    from .harvest.schedule import DEFAULT_INTERVAL, save_source

    try:
        source = save_source(kind, url, organization=organization, interval=interval or DEFAULT_INTERVAL,
                             enabled=not disabled)
    except MarketError as exc:
        raise click.ClickException(exc.message) from None
    db.session.commit()
    click.echo(f"Harvest source {source.id}: {source.kind.value} {source.url}"
               f"{f' (organization {source.organization})' if source.organization else ''}, every "
               f"{source.interval_minutes} min, {'enabled' if source.enabled else 'disabled'}")


@sources_group.command("list")
@with_appcontext
def sources_list_command():
    """The harvest sources, their schedule and last run."""
    from sqlalchemy import select

    from market.db import db

    from .harvest.services import report_line
    from .models import HarvestRun, HarvestSource

    sources = list(db.session.scalars(select(HarvestSource).order_by(HarvestSource.id)))
    if not sources:
        click.echo("No harvest sources. Add one: market harvest sources add ckan|dcat URL [--interval MIN]")
        return
    for s in sources:
        schedule = f"every {s.interval_minutes} min" if s.interval_minutes else "on demand"
        last = db.session.scalar(select(HarvestRun).where(HarvestRun.source_id == s.id).order_by(HarvestRun.id.desc()))
        last_text = (f"last run {last.started_at:%Y-%m-%d %H:%M} {last.state.value}: {report_line(last)}"
                     + (f" — {last.error}" if last.error else "")) if last else "never run"
        click.echo(f"{s.id}\t{s.kind.value}\t{s.url}{f' [{s.organization}]' if s.organization else ''}\t{schedule}"
                   f"\t{'enabled' if s.enabled else 'disabled'}\t{last_text}")


@sources_group.command("remove")
@click.argument("source_id", type=int)
@with_appcontext
def sources_remove_command(source_id: int):
    """Remove a source with its run history; the entries it harvested are retired."""
    from market.db import db
    from market.errors import MarketError

    from .harvest.schedule import remove_source

    try:
        retired = remove_source(source_id)
    except MarketError as exc:
        raise click.ClickException(exc.message) from None
    db.session.commit()
    click.echo(f"Removed harvest source {source_id}; {retired} harvested entries retired.")


def register(cli: click.Group) -> None:
    cli.add_command(harvest_group)
