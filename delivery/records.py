"""The data API's page of records: field selection, filters (``<item>=v``, ``<item>__gte=v`` …), sort on
one item and keyset (cursor) pagination — the same SQL on SQLite and PostgreSQL (JSON path extraction
through SQLAlchemy's JSON type). Filters, sort and cursor work on the stored values; the rows of a page
made under a grant then carry the grant's watermark, exactly as in a download (``access.hand_out``)."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import and_, case, or_, select

from market.db import db
from market.errors import ValidationFailed

from .access import Delivery, hand_out
from .models import DataRow

MAX_LIMIT = 1000
DEFAULT_LIMIT = 100
MAX_FILTERS = 10
OPERATORS = {"": "=", "eq": "=", "ne": "!=", "gt": ">", "gte": ">=", "lt": "<", "lte": "<=", "contains": "~"}
RESERVED = {"fields", "sort", "cursor", "limit", "format", "lang"}
NUMERIC = {"integer", "decimal"}


@dataclass
class Page:
    columns: list[str]
    items: list[dict]
    next_cursor: str | None


def _expr(kind: str, name: str):
    node = DataRow.data[name]
    return node.as_float() if kind in NUMERIC else node.as_string()


def _value(kind: str, name: str, raw: str):
    if kind in NUMERIC:
        try:
            return float(raw)
        except ValueError:
            raise ValidationFailed(_("筛选条件“%(n)s”应为数字。", n=name), fields={name: ["number expected"]}) from None
    if kind == "boolean":
        raise ValidationFailed(_("暂不支持按是/否类信息项“%(n)s”筛选。", n=name), fields={name: ["not filterable"]})
    return raw


def _encode(values: list) -> str:
    return base64.urlsafe_b64encode(json.dumps(values, ensure_ascii=False).encode()).decode().rstrip("=")


def _decode(cursor: str) -> list:
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, UnicodeDecodeError):
        values = None
    if not isinstance(values, list) or len(values) not in (1, 3) or not isinstance(values[-1], int):
        raise ValidationFailed(_("cursor 无效：请使用上一页返回的 next_cursor 原样传入。"), fields={"cursor": ["invalid"]})
    return values


def parse_fields(delivery: Delivery, raw: str | None) -> list[str]:
    if not raw:
        return delivery.columns
    wanted = [f.strip() for f in raw.split(",") if f.strip()]
    unknown = [f for f in wanted if f not in delivery.columns]
    if unknown:
        raise ValidationFailed(_("无权获取或不存在的信息项：%(u)s。可用：%(ok)s", u="、".join(unknown),
                                 ok="、".join(delivery.columns)), fields={"fields": [f"not available: {u}" for u in unknown]})
    return [c for c in delivery.columns if c in wanted]


def fetch_page(delivery: Delivery, args) -> Page:
    """One page of records for ``delivery`` from the request's query ``args`` (a MultiDict)."""
    kinds = {i.name: i.type for i in delivery.dataset.items}
    columns = parse_fields(delivery, args.get("fields"))
    try:
        limit = int(args.get("limit") or DEFAULT_LIMIT)
    except ValueError:
        limit = -1
    if not 1 <= limit <= MAX_LIMIT:
        raise ValidationFailed(_("limit 应为 1–%(n)s 之间的整数。", n=MAX_LIMIT), fields={"limit": [f"1..{MAX_LIMIT}"]})

    stmt = select(DataRow.id, DataRow.data).where(DataRow.dataset_id == delivery.dataset.id)
    filters = [(k, v) for k, v in args.items(multi=True) if k not in RESERVED]
    if len(filters) > MAX_FILTERS:
        raise ValidationFailed(_("筛选条件最多 %(n)s 个。", n=MAX_FILTERS), fields={"filters": [f"at most {MAX_FILTERS}"]})
    for key, raw in filters:
        name, _sep, op = key.partition("__")
        if name not in delivery.columns or op not in OPERATORS:
            raise ValidationFailed(_("未知的参数或筛选条件“%(k)s”：可用信息项 %(ok)s，操作符 __gte/__gt/__lte/__lt/__ne/__contains。",
                                     k=key, ok="、".join(delivery.columns)), fields={key: ["unknown filter"]})
        if name in delivery.masked:
            raise ValidationFailed(_("敏感信息项“%(n)s”已脱敏，不能作为筛选条件。", n=name), fields={key: ["masked item"]})
        expr, value = _expr(kinds[name], name), _value(kinds[name], name, raw[:200])
        sym = OPERATORS[op]
        if sym == "~":
            escaped = str(value).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            stmt = stmt.where(expr.like(f"%{escaped}%", escape="\\"))
        else:
            stmt = stmt.where(expr.op(sym)(value))

    sort = args.get("sort") or ""
    desc = sort.startswith("-")
    sort_name = sort.lstrip("-")
    if sort_name and (sort_name not in delivery.columns or sort_name in delivery.masked):
        raise ValidationFailed(_("不能按“%(n)s”排序：可用信息项 %(ok)s（前加 - 表示倒序）。", n=sort_name,
                                 ok="、".join(c for c in delivery.columns if c not in delivery.masked)),
                               fields={"sort": ["unknown or masked item"]})
    cursor = _decode(args["cursor"]) if args.get("cursor") else None
    if sort_name:
        expr = _expr(kinds[sort_name], sort_name)
        nulls = case((expr.is_(None), 1), else_=0)  # NULLs last in both directions, on every database
        if cursor is not None:
            if len(cursor) != 3:
                raise ValidationFailed(_("cursor 与当前排序不匹配：换排序时请从第一页开始。"), fields={"cursor": ["sort changed"]})
            c_null, c_val, c_id = cursor
            later = (expr < c_val) if desc else (expr > c_val)
            if c_null:
                stmt = stmt.where(nulls == 1, DataRow.id > c_id)
            else:
                stmt = stmt.where(or_(nulls == 1, later, and_(expr == c_val, DataRow.id > c_id)))
        stmt = stmt.add_columns(nulls, expr).order_by(nulls, expr.desc() if desc else expr, DataRow.id)
    else:
        if cursor is not None:
            if len(cursor) != 1:
                raise ValidationFailed(_("cursor 与当前排序不匹配：换排序时请从第一页开始。"), fields={"cursor": ["sort changed"]})
            stmt = stmt.where(DataRow.id > cursor[0])
        stmt = stmt.order_by(DataRow.id)

    result = db.session.execute(stmt.limit(limit + 1)).all()
    more = len(result) > limit
    result = result[:limit]
    # whole delivered rows through the same hook as a download (mask, and the grant's watermark), then
    # the requested fields: a row shows the same values in a page as in the grant's file
    rows = hand_out(delivery, ({c: r[1].get(c) for c in delivery.columns} for r in result))
    items = [{c: row[c] for c in columns} for row in rows]
    next_cursor = None
    if more and result:
        last = result[-1]
        next_cursor = _encode([last[2], last[3], last[0]] if sort_name else [last[0]])
    return Page(columns, items, next_cursor)
