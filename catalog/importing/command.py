"""``market import``: progress bar, problem list and summary around the import service."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from .errors import ImportFailed, ImportRejected
from .readers import open_source
from .service import ImportReport, import_catalog


def run_import_command(path: Path, *, fmt: str | None = None, skip_invalid: bool = False) -> ImportReport:
    """Import ``path``; list invalid rows on stderr and fail with a one-line reason, or print the summary."""
    try:
        source = open_source(path, fmt)
        with click.progressbar(
            length=source.total, label=f"Importing {source.path.name}", file=sys.stderr, show_pos=True
        ) as bar:
            report = import_catalog(source, skip_invalid=skip_invalid, on_progress=bar.update)
    except ImportRejected as exc:
        _echo_problems(exc.problems)
        raise click.ClickException(str(exc)) from None
    except ImportFailed as exc:
        raise click.ClickException(str(exc)) from None
    if report.problems:
        click.echo(f"Skipped {report.skipped} invalid row(s):", err=True)
        _echo_problems(report.problems)
    click.echo(summary_line(source.path.name, report))
    if report.index_error:
        click.echo(
            f"Warning: the search index was not updated ({report.index_error}); run `market reindex`.",
            err=True,
        )
    return report


def _echo_problems(problems) -> None:
    for problem in problems:
        click.echo(f"  {problem}", err=True)


def summary_line(name: str, report: ImportReport) -> str:
    rate = report.rows / report.seconds if report.seconds else 0.0
    line = (
        f"Imported {name}: {report.rows} rows: {report.created} created, {report.updated} updated, "
        f"{report.unchanged} unchanged, {report.skipped} skipped; {report.new_departments} new departments, "
        f"{report.new_categories} new categories; {report.seconds:.1f} s ({rate:,.0f} rows/s)"
    )
    if report.index_seconds is not None:
        line += f"; search index updated in {report.index_seconds:.1f} s"
    return line
