"""Why an import did not happen."""

from __future__ import annotations


class ImportFailed(Exception):
    """The file as a whole cannot be imported (unreadable, unknown format, no rows)."""


class ImportRejected(ImportFailed):
    """Some rows are invalid and --skip-invalid was not given: nothing was written."""

    def __init__(self, message: str, problems: list):
        super().__init__(message)
        self.problems = problems
