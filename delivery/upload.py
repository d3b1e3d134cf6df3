"""Uploading an entry's data (CSV, XLSX, JSON) by its owning officer: the file is checked against the
entry's data items — missing or unknown columns, values of the wrong type, too many rows — and either
every row is written (replacing or appending) or none is, with errors naming the row and the column."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _

from audit import record_event
from catalog.models import Dataset
from market.db import db
from market.errors import ValidationFailed

from . import store
from .models import DataUpload

MAX_ROWS = 300_000  # rows per upload (the body is also capped by MARKET_MAX_UPLOAD_MB)
MAX_ERRORS = 50  # errors reported per upload (the first ones, then a count)
MAX_CELL = 4000  # characters per value
MAX_XLSX_EXPANDED = 512 * 1024 * 1024  # an XLSX's members, uncompressed: a zip bomb is refused before it is read
UPLOAD_FORMATS = ("csv", "xlsx", "json")
MODES = ("replace", "append")
_WKT = re.compile(r"^\s*(MULTI)?(POINT|LINESTRING|POLYGON)\s*\(", re.IGNORECASE)
_DATE = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:[ T].*)?$")
_TRUE = {"1", "true", "yes", "是", "y"}
_FALSE = {"0", "false", "no", "否", "n"}


class CellError(ValueError):
    """A value that does not fit its data item (the message says why)."""


@dataclass
class UploadReport:
    rows: int = 0
    errors: list[dict] = field(default_factory=list)
    more_errors: int = 0

    def add(self, row: int | None, column: str | None, message: str) -> None:
        if len(self.errors) < MAX_ERRORS:
            self.errors.append({"row": row, "column": column, "message": message})
        else:
            self.more_errors += 1


def fmt_of(filename: str) -> str | None:
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    return ext if ext in UPLOAD_FORMATS else None


# --- reading ------------------------------------------------------------------------------------------
def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ValidationFailed(_("无法识别文件编码：请另存为 UTF-8 编码的 CSV。"), fields={"file": ["encoding"]})


def _read_csv(data: bytes) -> tuple[list[str], Iterator[list]]:
    reader = csv.reader(io.StringIO(_decode(data)))
    header = next(reader, None)
    if not header:
        raise ValidationFailed(_("文件是空的：第一行应为表头（信息项名称）。"), fields={"file": ["empty"]})
    return [h.strip() for h in header], reader


def _read_xlsx(data: bytes) -> tuple[list[str], Iterator[list]]:
    import zipfile

    from openpyxl import load_workbook

    try:
        # zipfile never inflates a member past its declared size, so the declared sizes bound the memory
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            expanded = sum(info.file_size for info in zf.infolist())
    except (zipfile.BadZipFile, ValueError, OSError):
        expanded = 0  # not a zip: load_workbook below says so clearly
    if expanded > MAX_XLSX_EXPANDED:
        raise ValidationFailed(_("该 XLSX 文件解压后超过 %(n)s MB（疑似压缩炸弹）：请拆分文件或改用 CSV 上传。",
                                 n=MAX_XLSX_EXPANDED >> 20), fields={"file": ["expands too much"]})
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError):
        raise ValidationFailed(_("无法读取该 XLSX 文件：请确认它是 Excel 2007 及以上格式（.xlsx）。"),
                               fields={"file": ["not an xlsx workbook"]}) from None
    rows = wb.worksheets[0].iter_rows(values_only=True)
    header = next(rows, None)
    if not header or not any(h not in (None, "") for h in header):
        raise ValidationFailed(_("工作表是空的：第一行应为表头（信息项名称）。"), fields={"file": ["empty"]})
    names = [("" if h is None else str(h)).strip() for h in header]
    while names and not names[-1]:
        names.pop()
    return names, (list(r) for r in rows if any(v not in (None, "") for v in r))


def _read_json(data: bytes) -> tuple[list[str], Iterator[list]]:
    try:
        doc = json.loads(_decode(data))
    except json.JSONDecodeError as exc:
        raise ValidationFailed(_("JSON 格式错误（第 %(l)s 行第 %(c)s 列）：%(m)s", l=exc.lineno, c=exc.colno, m=exc.msg),
                               fields={"file": ["invalid JSON"]}) from None
    rows = doc.get("rows") if isinstance(doc, dict) else doc
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise ValidationFailed(_("JSON 应为对象数组 [{\"信息项\": 值, …}]，或 {\"rows\": [...]}。"),
                               fields={"file": ["expected an array of objects"]})
    header: list[str] = list(doc.get("columns") or []) if isinstance(doc, dict) else []
    for r in rows:
        for k in r:
            if k not in header:
                header.append(k)
    return header, ([r.get(h) for h in header] for r in rows)


READERS = {"csv": _read_csv, "xlsx": _read_xlsx, "json": _read_json}


# --- checking values ------------------------------------------------------------------------------------
def convert(value, kind: str):
    """The stored value for a cell of type ``kind``; raise ValueError with a readable reason."""
    if value is None:
        return None
    if isinstance(value, (dict, list)):
        raise CellError(_("应为单个值，不能是对象或数组"))
    if isinstance(value, str):
        value = value.strip()
        if value == "":
            return None
        if len(value) > MAX_CELL:
            raise ValueError(_("超过 %(n)s 个字符", n=MAX_CELL))
    if kind == "integer":
        if isinstance(value, bool):
            raise ValueError(_("应为整数"))
        if isinstance(value, float) and value.is_integer():
            return int(value)
        try:
            return int(str(value).replace(",", ""))
        except ValueError:
            raise ValueError(_("应为整数")) from None
    if kind == "decimal":
        try:
            number = Decimal(str(value).replace(",", ""))
        except InvalidOperation:
            raise ValueError(_("应为数字")) from None
        if not number.is_finite():
            raise ValueError(_("应为数字"))
        return float(number)
    if kind == "date":
        if isinstance(value, datetime):
            return value.date().isoformat()
        if isinstance(value, date):
            return value.isoformat()
        m = _DATE.match(str(value))
        try:
            return date(int(m[1]), int(m[2]), int(m[3])).isoformat()
        except (TypeError, ValueError):
            raise ValueError(_("应为日期，格式 YYYY-MM-DD")) from None
    if kind == "datetime":
        if isinstance(value, datetime):
            return value.strftime("%Y-%m-%d %H:%M:%S")
        try:
            return datetime.fromisoformat(str(value).replace("/", "-")).strftime("%Y-%m-%d %H:%M:%S")
        except ValueError:
            raise ValueError(_("应为日期时间，格式 YYYY-MM-DD HH:MM:SS")) from None
    if kind == "boolean":
        if isinstance(value, bool):
            return value
        text = str(value).lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise ValueError(_("应为“是”或“否”"))
    if kind == "geometry":
        if not _WKT.match(str(value)):
            raise ValueError(_("应为 WKT 几何，例如 POINT(120.3 31.5)"))
        return str(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # an XLSX cell holding a code like 320213 reads as a float
    return str(value)


def check_header(dataset: Dataset, header: list[str], report: UploadReport) -> list[str]:
    names = [i.name for i in dataset.items]
    seen = set()
    for pos, h in enumerate(header, 1):
        if not h:
            report.add(1, None, _("第 %(n)s 列没有表头。", n=pos))
        elif h in seen:
            report.add(1, h, _("列“%(c)s”重复出现。", c=h))
        seen.add(h)
    missing = [n for n in names if n not in seen]
    extra = [h for h in header if h and h not in names]
    if missing:
        report.add(1, None, _("缺少信息项列：%(c)s。", c="、".join(missing)))
    if extra:
        report.add(1, None, _("多出不属于该目录的列：%(c)s（请删除，或先在目录中增加该信息项）。", c="、".join(extra)))
    return names


def _rows(dataset: Dataset, header: list[str], body: Iterator[list], report: UploadReport) -> Iterator[dict]:
    kinds = {i.name: i.type for i in dataset.items}
    index = {h: pos for pos, h in enumerate(header)}
    for line, cells in enumerate(body, 2):
        if report.rows >= MAX_ROWS:
            report.add(line, None, _("超过单次上传上限 %(n)s 行：请拆分文件，第二个起用“追加”方式上传。", n=MAX_ROWS))
            return
        if len(cells) > len(header) and any(c not in (None, "") for c in cells[len(header):]):
            report.add(line, None, _("该行有 %(n)s 个值，多于表头的 %(h)s 列。", n=len(cells), h=len(header)))
            continue
        row = {}
        for name, kind in kinds.items():
            raw = cells[index[name]] if index[name] < len(cells) else None
            try:
                row[name] = convert(raw, kind)
            except ValueError as exc:
                report.add(line, name, _("“%(v)s”%(why)s。", v=str(raw)[:40], why=str(exc)))
        report.rows += 1
        yield row


def ingest(dataset: Dataset, filename: str, data: bytes, *, mode: str, actor) -> UploadReport:
    """Check and write an uploaded file in the caller's transaction; ValidationFailed (nothing written)
    lists the errors by row and column."""
    fmt = fmt_of(filename or "")
    if fmt is None:
        raise ValidationFailed(_("只接受 CSV、XLSX 或 JSON 文件（按扩展名识别）。"), fields={"file": ["csv, xlsx or json"]})
    if mode not in MODES:
        raise ValidationFailed(_("上传方式应为“替换”或“追加”。"), fields={"mode": ["replace or append"]})
    if not data:
        raise ValidationFailed(_("请选择要上传的文件。"), fields={"file": ["required"]})
    header, body = READERS[fmt](data)
    report = UploadReport()
    check_header(dataset, header, report)
    if report.errors:
        raise _failed(report)
    with db.session.begin_nested() as savepoint:
        rows = _rows(dataset, header, body, report)
        actor_id = getattr(actor, "id", None)  # None: the command line
        if mode == "replace":
            store.replace_rows(dataset.id, rows, source="upload" if actor else "cli", actor_id=actor_id)
        else:
            store.append_rows(dataset.id, rows, source="upload" if actor else "cli", actor_id=actor_id)
        if report.errors or not report.rows:
            savepoint.rollback()
    if not report.rows and not report.errors:
        report.add(None, None, _("文件里没有数据行。"))
    if report.errors:
        db.session.expire_all()
        raise _failed(report)
    db.session.add(DataUpload(dataset_id=dataset.id, user_id=getattr(actor, "id", None), filename=filename[:255],
                              format=fmt, mode=mode, rows=report.rows))
    record_event("delivery.upload", "dataset", dataset.id, actor=actor,
                 payload={"file": filename[:255], "format": fmt, "mode": mode, "rows": report.rows,
                          "total_rows": store.row_count(dataset.id)})
    return report


def _failed(report: UploadReport) -> ValidationFailed:
    fields: dict[str, list[str]] = {}
    for e in report.errors:
        where = (_("第 %(n)s 行", n=e["row"]) if e["row"] else _("文件")) + (f" · {e['column']}" if e["column"] else "")
        fields.setdefault(where, []).append(e["message"])
    if report.more_errors:
        fields[_("其余")] = [_("还有 %(n)s 处错误未列出。", n=report.more_errors)]
    failed = ValidationFailed(_("文件未通过校验，没有写入任何数据（共 %(n)s 处错误）。请修改后重新上传。",
                                n=len(report.errors) + report.more_errors), fields=fields, code="upload_invalid")
    failed.report = report
    return failed
