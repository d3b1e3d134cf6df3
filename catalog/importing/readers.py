"""Read an import file into raw rows, each with its place in the file (``line 12`` / ``record 3``).

A row that cannot even be read (broken JSON, bad UTF-8, too many CSV columns) comes out as a
record with an error, so it is listed with the other invalid rows instead of stopping the import.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from .ckan import package_to_row, packages_of
from .errors import ImportFailed

FORMATS = ("jsonl", "csv", "ckan")
SUFFIXES = {".jsonl": "jsonl", ".ndjson": "jsonl", ".jl": "jsonl", ".csv": "csv", ".json": "ckan"}
BOM = b"\xef\xbb\xbf"

CSV_COLUMNS = (
    "id",
    "title",
    "description",
    "publisher",
    "category",
    "tags",
    "formats",
    "update_frequency",
    "open_condition",
    "fields",
    "region",
    "url",
    "published",
    "updated",
    "record_count",
)
CSV_IGNORED = ("fields_source", "industry", "extra", "source", "license", "created")
CSV_REQUIRED = ("id", "title", "publisher")
CSV_LISTS = ("tags", "formats", "fields")


@dataclass(slots=True)
class Record:
    location: str
    data: object = None
    problems: list[tuple[str, str]] = field(default_factory=list)  # (field, reason) found while reading


@dataclass
class Source:
    """An import file: how many rows it holds (for the progress bar) and its records."""

    path: Path
    fmt: str
    total: int
    records: Callable[[], Iterator[Record]]


def open_source(path: Path, fmt: str | None = None) -> Source:
    """Open ``path`` as ``fmt`` (jsonl, csv, ckan; by default from the file extension)."""
    path = Path(path)
    fmt = fmt or SUFFIXES.get(path.suffix.lower())
    if fmt is None:
        raise ImportFailed(
            f"cannot tell the format of {path.name} from its extension; pass --format {'|'.join(FORMATS)}"
        )
    if fmt not in FORMATS:
        raise ImportFailed(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    if fmt == "csv":
        return _csv_source(path)
    if fmt == "ckan":
        return _ckan_source(path)
    return _jsonl_source(path, lambda data: (data, []))


# --- JSON Lines -----------------------------------------------------------------------------------
def _jsonl_source(path: Path, transform) -> Source:
    with path.open("rb") as f:
        total = sum(1 for line in f if line.strip() and line.strip() != BOM)

    def records() -> Iterator[Record]:
        with path.open("rb") as f:
            for n, raw in enumerate(f, 1):
                if n == 1 and raw.startswith(BOM):
                    raw = raw[len(BOM) :]
                if not raw.strip():
                    continue
                location = f"line {n}"
                try:
                    data = json.loads(raw.decode("utf-8"))
                except UnicodeDecodeError as exc:
                    yield Record(location, problems=[("encoding", f"not UTF-8 text (byte {exc.start + 1})")])
                    continue
                except json.JSONDecodeError as exc:
                    yield Record(
                        location,
                        problems=[
                            ("json", f"broken JSON: {exc.msg.removesuffix(' at')} (column {exc.colno})")
                        ],
                    )
                    continue
                row, problems = transform(data)
                yield Record(location, row, problems)

    return Source(path, "jsonl", total, records)


# --- CKAN API answers -----------------------------------------------------------------------------
def _ckan_source(path: Path) -> Source:
    try:
        text = path.read_bytes().decode("utf-8-sig").strip()
    except UnicodeDecodeError as exc:
        raise ImportFailed(f"{path.name} is not UTF-8 text (byte {exc.start + 1})") from None
    try:
        doc = json.loads(text) if text else []
    except json.JSONDecodeError as exc:
        # several JSON documents, one per line: JSON Lines of packages (a broken line is an invalid row)
        if exc.msg == "Extra data" or "\n" in text and _parses(text.split("\n", 1)[0]):
            source = _jsonl_source(path, package_to_row)
            source.fmt = "ckan"
            return source
        raise ImportFailed(
            f"{path.name}: broken JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
        ) from None
    packages = packages_of(doc)

    def records() -> Iterator[Record]:
        for n, pkg in enumerate(packages, 1):
            row, problems = package_to_row(pkg)
            yield Record(f"record {n}", row, problems)

    return Source(path, "ckan", len(packages), records)


def _parses(text: str) -> bool:
    try:
        json.loads(text)
    except json.JSONDecodeError:
        return False
    return True


# --- CSV ------------------------------------------------------------------------------------------
def _csv_source(path: Path) -> Source:
    """CSV with a header row naming the columns of the common schema.

    Header (any order; ``id``, ``title`` and ``publisher`` are required, unknown columns are refused)::

        id,title,description,publisher,category,tags,formats,update_frequency,open_condition,fields,
        region,url,published,updated,record_count

    ``tags``, ``formats`` and ``fields`` hold several values separated by ``|`` or ``,``; an empty
    cell is no value; ``record_count`` is a whole number. ``fields_source``, ``industry``, ``extra``,
    ``source``, ``license`` and ``created`` (exported from the JSONL corpus) are accepted and ignored.
    """
    try:
        with path.open(encoding="utf-8-sig", newline="") as f:
            reader = csv.reader(f)
            header = [h.strip().lower() for h in next(reader, [])]
            total = sum(1 for values in reader if any(v.strip() for v in values))
    except UnicodeDecodeError as exc:
        raise ImportFailed(f"{path.name} is not UTF-8 text (byte {exc.start + 1})") from None
    except csv.Error as exc:
        raise ImportFailed(f"{path.name}: unreadable CSV: {exc}") from None
    if header:
        unknown = [h for h in header if h not in CSV_COLUMNS + CSV_IGNORED]
        missing = [c for c in CSV_REQUIRED if c not in header]
        if unknown or missing:
            what = [f"unknown column(s) {', '.join(unknown)}"] if unknown else []
            what += [f"missing column(s) {', '.join(missing)}"] if missing else []
            raise ImportFailed(
                f"{path.name}: CSV header: {'; '.join(what)} (columns: {','.join(CSV_COLUMNS)})"
            )

    def records() -> Iterator[Record]:
        with path.open(encoding="utf-8-sig", newline="") as f:
            reader = csv.reader(f)
            next(reader, None)
            start = reader.line_num + 1
            for values in reader:
                location, start = f"line {start}", reader.line_num + 1
                if not any(v.strip() for v in values):
                    continue
                if len(values) > len(header):
                    yield Record(
                        location, problems=[("row", f"{len(values)} columns, the header has {len(header)}")]
                    )
                    continue
                yield Record(location, _csv_row(dict(zip(header, values))))

    return Source(path, "csv", total, records)


def _csv_row(cells: dict[str, str]) -> dict:
    row: dict[str, object] = {}
    for key, value in cells.items():
        if key in CSV_IGNORED:
            continue
        value = value.strip()
        if key in CSV_LISTS:
            row[key] = [v for v in re.split(r"[|,]", value) if v.strip()]
        else:
            row[key] = value or None
    return row
