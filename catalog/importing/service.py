"""The import operation: read, check and write every row in one transaction, then update the index."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from market.db import db

from .errors import ImportFailed, ImportRejected
from .readers import Source
from .rows import Problem, normalise_row
from .writer import CatalogWriter

log = logging.getLogger(__name__)
PROGRESS_STEP = 500


@dataclass
class ImportReport:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    new_departments: int = 0
    new_categories: int = 0
    problems: list[Problem] = field(default_factory=list)
    seconds: float = 0.0  # reading, checking and writing, up to the commit
    index_seconds: float | None = None  # None: the database backend is the index, nothing to send
    index_error: str | None = None
    dataset_ids: list[int] = field(default_factory=list)


def import_catalog(
    source: Source,
    *,
    skip_invalid: bool = False,
    actor=None,
    on_progress: Callable[[int], None] | None = None,
    update_index: bool = True,
) -> ImportReport:
    """Import catalog entries from ``source``, keyed by their source id (re-imports update, never duplicate).

    Without ``skip_invalid`` any invalid row rejects the whole file (``ImportRejected`` listing every
    problem) and nothing is written; with it the valid rows are imported and the invalid ones are
    reported. Entries are created published; changed entries get an ``updated`` history row with the
    diff, equal ones are left alone. After the commit the created and updated entries are sent to the
    search index.
    """
    started = time.perf_counter()
    report = ImportReport()
    writer = CatalogWriter(actor_id=getattr(actor, "id", None), source_name=source.path.name)
    seen: dict[str, str] = {}
    invalid_rows = 0
    step = 0
    try:
        for record in source.records():
            report.rows += 1
            problems = [Problem(record.location, f, reason) for f, reason in record.problems]
            entry = None
            if record.data is not None or not problems:
                entry, row_problems = normalise_row(record.data, record.location)
                problems += row_problems
            if entry is not None and not problems:
                first = seen.setdefault(entry.source_id, record.location)
                if first != record.location:
                    problems.append(
                        Problem(record.location, "id", f"duplicate id {entry.source_id!r}, first on {first}")
                    )
            if problems:
                invalid_rows += 1
                report.problems.extend(problems)
            elif skip_invalid or not invalid_rows:
                writer.add(entry)  # once the file is rejected, later rows are only checked
            step += 1
            if on_progress and step == PROGRESS_STEP:
                on_progress(step)
                step = 0
        if on_progress and step:
            on_progress(step)
        if report.rows == 0:
            raise ImportFailed(f"{source.path.name} holds no catalog entries")
        if invalid_rows and not skip_invalid:
            raise ImportRejected(
                f"{invalid_rows} invalid row(s) in {source.path.name}, first on "
                f"{report.problems[0].location}; nothing was imported "
                f"(fix them, or import the valid rows with --skip-invalid)",
                report.problems,
            )
        if invalid_rows == report.rows:
            raise ImportRejected(
                f"no valid rows in {source.path.name} ({invalid_rows} invalid); nothing was imported",
                report.problems,
            )
        writer.flush()
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    report.seconds = time.perf_counter() - started
    report.skipped = invalid_rows
    report.created, report.updated, report.unchanged = writer.created, writer.updated, writer.unchanged
    report.new_departments, report.new_categories = writer.new_departments, writer.new_categories
    report.dataset_ids = writer.touched_ids
    if update_index:
        index_imported(report)
    return report


def index_imported(report: ImportReport) -> None:
    """Send the created and updated entries to the search index, batch by batch.

    Bulk statements bypass the ORM's after-commit index hook, hence this explicit step. A failure
    leaves the committed data alone and is reported: ``market reindex`` repairs the index.
    """
    from search.service import get_backend, index_datasets
    from search.sql import SqlBackend

    if isinstance(get_backend(), SqlBackend) or not report.dataset_ids:
        return  # the database backend reads the catalog tables directly: nothing to send
    started = time.perf_counter()
    try:
        index_datasets(sorted(report.dataset_ids))  # reads rows with Core in bounded batches
    except Exception as exc:  # any failure: the data is committed and `market reindex` rebuilds
        log.exception("index update after import failed")
        report.index_error = f"{type(exc).__name__}: {exc}"
    report.index_seconds = time.perf_counter() - started
