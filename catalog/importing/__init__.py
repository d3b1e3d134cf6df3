"""Import catalog entries from JSON Lines, CSV or CKAN API answers (``market import``)."""

from __future__ import annotations

from .command import run_import_command
from .errors import ImportFailed, ImportRejected
from .readers import open_source
from .rows import Entry, Problem, normalise_row, parse_date
from .service import ImportReport, import_catalog, index_imported

__all__ = [
    "Entry",
    "ImportFailed",
    "ImportRejected",
    "ImportReport",
    "Problem",
    "import_catalog",
    "index_imported",
    "normalise_row",
    "open_source",
    "parse_date",
    "run_import_command",
]
