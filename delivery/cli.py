"""``market delivery …``: load an entry's data from a file, purge spent rate counters."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext


@click.group("delivery")
def delivery():
    """The data behind catalog entries, API keys and their rate counters."""


@delivery.command("load")
@click.argument("dataset_id", type=int)
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--append", is_flag=True, help="add after the existing rows instead of replacing them")
@with_appcontext
def load_cmd(dataset_id: int, path: Path, append: bool):
    """Check a CSV/XLSX/JSON file against the entry's data items and load it (all rows or none)."""
    from catalog.models import Dataset
    from market.db import db
    from market.errors import ValidationFailed

    from .upload import ingest

    dataset = db.session.get(Dataset, dataset_id)
    if dataset is None:
        raise click.ClickException(f"no catalog entry with id {dataset_id}")
    try:
        report = ingest(dataset, path.name, path.read_bytes(), mode="append" if append else "replace", actor=None)
    except ValidationFailed as exc:
        db.session.rollback()
        lines = [f"  {where}: {'; '.join(msgs)}" for where, msgs in list((exc.fields or {}).items())[:20]]
        raise click.ClickException("\n".join([exc.message, *lines])) from None
    db.session.commit()
    click.echo(f"Loaded {report.rows:,} rows into {dataset.code} {dataset.title}.")


@delivery.command("purge-counters")
@with_appcontext
def purge_cmd():
    """Delete API rate counters whose window has passed."""
    from market.db import db

    from .keys import purge_counters

    n = purge_counters()
    db.session.commit()
    click.echo(f"{n} spent rate counters deleted.")


def register(cli) -> None:
    cli.add_command(delivery)
