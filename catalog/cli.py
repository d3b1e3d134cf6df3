"""``market import`` and ``market seed-demo``: thin shells over catalog.importing and catalog.demo."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext


def register(cli: click.Group) -> None:
    @cli.command("import")
    @click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--format", "fmt", type=click.Choice(["jsonl", "csv", "ckan"]), default=None,
                  help="file format (default: from the file extension)")
    @click.option("--skip-invalid", is_flag=True, help="import the valid rows and report the invalid ones")
    @with_appcontext
    def import_cmd(path: Path, fmt: str | None, skip_invalid: bool):
        """Import catalog entries from JSONL, CSV or a CKAN JSON dump (idempotent by id)."""
        from .importing import run_import_command

        run_import_command(path, fmt=fmt, skip_invalid=skip_invalid)

    @cli.command("seed-demo")
    @click.option("--if-empty", is_flag=True, help="do nothing when the catalog already has entries")
    @with_appcontext
    def seed_demo_cmd(if_empty: bool):
        """Load the demo city of Wuxi: departments, categories, catalog entries, users for every role."""
        from .demo import run_seed_command

        run_seed_command(if_empty=if_empty)
