"""Read a suspected copy (CSV with or without header, XLSX, JSON or JSON lines) into plain rows."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from dataclasses import dataclass

MAX_ROWS = 200_000
MAX_COLUMNS = 200
FORMATS = ("csv", "xlsx", "json")


class UnreadableFile(ValueError):
    """The file is not CSV, XLSX or JSON we can read; the message says why, ``code`` names the case
    (encoding, empty, xlsx, json, json_shape) for pages that explain it in the reader's language."""

    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.code = code


@dataclass
class Table:
    """Cells as read. ``header`` is set when the format names its columns (JSON keys); for CSV and XLSX
    the first row may or may not be a header, which the tracer decides by comparing with the entry."""

    format: str
    rows: list[list]
    header: list[str] | None = None


def detect_format(filename: str, head: bytes) -> str:
    name = (filename or "").lower()
    for fmt in FORMATS:
        if name.endswith("." + fmt):
            return fmt
    if name.endswith((".jsonl", ".ndjson")):
        return "json"
    if name.endswith((".tsv", ".txt")):
        return "csv"
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    if head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] in (b"[", b"{"):
        return "json"
    return "csv"


def read_table(data: bytes, filename: str = "") -> Table:
    fmt = detect_format(filename, data[:16])
    if fmt == "xlsx":
        return _read_xlsx(data)
    if fmt == "json":
        return _read_json(_decode(data))
    return _read_csv(_decode(data))


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise UnreadableFile("the file is neither UTF-8 nor GB18030 text", "encoding")


def _bounded(rows) -> list[list]:
    out = []
    for row in rows:
        if len(out) >= MAX_ROWS:
            break
        row = list(row)[:MAX_COLUMNS]
        if any(v not in (None, "") for v in row):
            out.append(row)
    return out


def _read_csv(text: str) -> Table:
    # comment lines (# …) and blank lines a leaker may add or keep are dropped before parsing
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    if not lines:
        raise UnreadableFile("the file has no data rows", "empty")
    sample = "\n".join(lines[:50])
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",\t;|")
    except csv.Error:
        dialect = csv.excel
    return Table("csv", _bounded(csv.reader(lines, dialect)))


def _read_xlsx(data: bytes) -> Table:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as exc:
        raise UnreadableFile(f"not a readable XLSX workbook ({exc.__class__.__name__})", "xlsx") from exc
    try:
        for ws in wb.worksheets:
            rows = _bounded(ws.iter_rows(values_only=True))
            if rows:
                return Table("xlsx", rows)
    finally:
        wb.close()
    raise UnreadableFile("the workbook has no data rows", "empty")


def _read_json(text: str) -> Table:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError:
        try:  # JSON lines
            doc = [json.loads(ln) for ln in text.splitlines() if ln.strip()]
        except json.JSONDecodeError as exc:
            raise UnreadableFile(f"invalid JSON at line {exc.lineno}: {exc.msg}", "json") from exc
    if isinstance(doc, dict):
        for key in ("items", "rows", "records", "data", "result"):
            if isinstance(doc.get(key), list):
                doc = doc[key]
                break
        else:
            raise UnreadableFile("JSON object without a list of rows (items, rows, records or data)", "json_shape")
    if not isinstance(doc, list) or not doc:
        raise UnreadableFile("the JSON holds no rows", "empty")
    if all(isinstance(r, list) for r in doc):
        return Table("json", _bounded(doc))
    header: list[str] = []
    for r in doc[:MAX_ROWS]:
        if isinstance(r, dict):
            for k in r:
                if k not in header and len(header) < MAX_COLUMNS:
                    header.append(k)
    if not header:
        raise UnreadableFile("the JSON rows are neither objects nor lists", "json_shape")
    rows = _bounded([r.get(k) for k in header] for r in doc if isinstance(r, dict))
    return Table("json", rows, header=header)
