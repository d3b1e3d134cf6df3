"""Streamed file formats: CSV, JSON and XLSX generators that yield bytes as rows arrive, so a download's
memory stays flat whatever its size. XLSX is written by hand (inline strings, one sheet) into a zip
stream with data descriptors: no temporary file, no shared-strings table growing with the data."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from decimal import Decimal
from xml.sax.saxutils import escape

FORMATS = ("csv", "json", "xlsx")
MIMETYPES = {
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
XLSX_MAX_ROWS = 1_048_575  # Excel's sheet limit minus the header row
FLUSH_ROWS = 500  # rows per yielded chunk
# Part of the open-download cache key (delivery/filecache.py), beside a digest of this file's and
# access.py's source: bump it when the bytes change without either file changing (e.g. a csv/json/zipfile
# upgrade that writes differently), so no cached file of the old output is served again.
RENDER_VERSION = 1
ZIP64_ROWS = 300_000  # above this many rows the XLSX sheet may pass 4 GB uncompressed: use ZIP64


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    return str(value)


def csv_stream(columns: list[str], rows: Iterable[dict]) -> Iterator[bytes]:
    """UTF-8 CSV with a BOM (so Excel opens Chinese text correctly) and a header row."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(columns)
    yield ("\ufeff" + buf.getvalue()).encode()
    buf.seek(0)
    buf.truncate()
    for n, row in enumerate(rows, 1):
        writer.writerow([_text(row.get(c)) for c in columns])
        if n % FLUSH_ROWS == 0:
            yield buf.getvalue().encode()
            buf.seek(0)
            buf.truncate()
    if buf.tell():
        yield buf.getvalue().encode()


def _json_default(value):
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return str(value)


def json_stream(columns: list[str], rows: Iterable[dict]) -> Iterator[bytes]:
    """``{"columns": [...], "rows": [{...}, ...]}`` written row by row."""
    yield (json.dumps({"columns": columns}, ensure_ascii=False)[:-1] + ', "rows": [').encode()
    parts: list[str] = []
    first = True
    for row in rows:
        text = json.dumps({c: row.get(c) for c in columns}, ensure_ascii=False, default=_json_default)
        parts.append(text if first else "," + text)
        first = False
        if len(parts) >= FLUSH_ROWS:
            yield "\n".join(parts).encode()
            parts = []
    parts.append("]}\n")
    yield "\n".join(parts).encode()


class _Sink:
    """A write-only byte sink zipfile writes into; ``drain`` hands over what accumulated. It has no
    ``tell``/``seek``, so zipfile streams (data descriptors after each member)."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []

    def write(self, data) -> int:
        self.parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def drain(self) -> bytes:
        out = b"".join(self.parts)
        self.parts = []
        return out


_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '</Types>')
_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="xl/workbook.xml"/></Relationships>')
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="data" sheetId="1" r:id="rId1"/></sheets></workbook>')
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
    'Target="worksheets/sheet1.xml"/></Relationships>')


def _clean(text: str) -> str:
    # XML 1.0 forbids most control characters; drop them rather than write an unreadable file
    return escape("".join(ch for ch in text if ch >= " " or ch in "\t\n\r"))


def _cell(value) -> str:
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        return f"<c><v>{value}</v></c>"
    text = _text(value)
    if not text:
        return "<c/>"
    return f'<c t="inlineStr"><is><t xml:space="preserve">{_clean(text)}</t></is></c>'


def xlsx_stream(columns: list[str], rows: Iterable[dict], total: int | None = None) -> Iterator[bytes]:
    """An .xlsx workbook with one sheet ("data"), header in row 1, streamed. The sheet gets ZIP64 size
    fields only when it may pass 4 GB (``total`` rows unknown or large): some readers dislike them."""
    sink = _Sink()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", _CONTENT_TYPES)
        zf.writestr("_rels/.rels", _RELS)
        zf.writestr("xl/workbook.xml", _WORKBOOK)
        zf.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=total is None or total > ZIP64_ROWS) as sheet:
            sheet.write(('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                         '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                         "<sheetData><row>" + "".join(_cell(c) for c in columns) + "</row>").encode())
            parts: list[str] = []
            for n, row in enumerate(rows, 1):
                if n > XLSX_MAX_ROWS:
                    raise ValueError("more rows than an XLSX sheet holds")
                parts.append("<row>" + "".join(_cell(row.get(c)) for c in columns) + "</row>")
                if len(parts) >= FLUSH_ROWS:
                    sheet.write("".join(parts).encode())
                    parts = []
                    chunk = sink.drain()
                    if chunk:
                        yield chunk
            sheet.write(("".join(parts) + "</sheetData></worksheet>").encode())
    yield sink.drain()


def stream(fmt: str, columns: list[str], rows: Iterable[dict], total: int | None = None) -> Iterator[bytes]:
    if fmt == "xlsx":
        return xlsx_stream(columns, rows, total)
    return {"csv": csv_stream, "json": json_stream}[fmt](columns, rows)
