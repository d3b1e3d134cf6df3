"""The row store behind catalog entries (public interface for other packages).

``iter_rows(dataset_id, columns=None)`` yields every record as a dict in a stable order (insertion
order), reading in keyset batches so memory stays flat whatever the size and no cursor stays open
between batches; ``row_count``, ``has_rows`` and ``key_column`` describe an entry's data.
Writes (``replace_rows``/``append_rows``) happen in the caller's transaction: an upload that fails
half-way leaves nothing behind.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import datetime

from sqlalchemy import JSON, Text, bindparam, cast, delete, func, insert, select

from market.db import db, utcnow

from .models import DataRow, DataTable

BATCH = 5000
# the unique key of an entry, in order of preference (企业: 统一社会信用代码, 个人: 公民身份号码, 证照: 编号 …)
KEY_PREFERENCE = (
    "统一社会信用代码",
    "公民身份号码",
    "许可证编号",
    "证照编号",
    "证书编号",
    "案件编号",
    "纳税人识别号",
    "号牌号码",
    "不动产单元号",
    "编号",
)
KEY_MAX = 200  # the indexed key copy is cut to this many characters


def _item_names(dataset_id: int) -> list[str]:
    from catalog.models import DataItem

    return list(db.session.scalars(select(DataItem.name).where(DataItem.dataset_id == dataset_id)
                                   .order_by(DataItem.position, DataItem.id)))


def guess_key_column(names: Iterable[str]) -> str | None:
    names = list(names)
    for preferred in KEY_PREFERENCE:
        if preferred in names:
            return preferred
    return next((n for n in names if n.endswith(("编号", "代码", "证号"))), None)


def table_of(dataset_id: int) -> DataTable | None:
    return db.session.get(DataTable, dataset_id)


def table_stamp(dataset_id: int) -> tuple[datetime, int] | None:
    """(last upload time, rows) of the entry's data as the database holds it now — a query, not the
    session's copy — or None without data. Every write bumps it, so it versions the rows."""
    row = db.session.execute(select(DataTable.updated_at, DataTable.rows)
                             .where(DataTable.dataset_id == dataset_id)).first()
    return (row[0], row[1]) if row is not None else None


def key_column(dataset_id: int) -> str | None:
    """The item whose value identifies a record (e.g. 统一社会信用代码), or None if the entry has none."""
    table = table_of(dataset_id)
    if table is not None and table.key_column:
        return table.key_column
    return guess_key_column(_item_names(dataset_id))


def row_count(dataset_id: int) -> int:
    table = table_of(dataset_id)
    return table.rows if table is not None else 0


def has_rows(dataset_id: int) -> bool:
    return row_count(dataset_id) > 0


def columns_of(dataset_id: int) -> list[str]:
    """The columns rows carry: the entry's data items in order."""
    return _item_names(dataset_id)


def iter_rows(dataset_id: int, columns: list[str] | None = None) -> Iterator[dict]:
    """Every row of the entry as ``{column: value}`` (only ``columns``, in that order, if given; a column
    the row lacks is None), ordered by insertion. Reads ``BATCH`` rows per query (keyset on the id)."""
    if columns is None:
        columns = columns_of(dataset_id)
    cols = list(columns)
    last = 0
    while True:
        batch = db.session.execute(
            select(DataRow.id, DataRow.data).where(DataRow.dataset_id == dataset_id, DataRow.id > last)
            .order_by(DataRow.id).limit(BATCH)).all()
        if not batch:
            return
        for row_id, data in batch:
            yield {c: data.get(c) for c in cols}
        last = batch[-1][0]
        if len(batch) < BATCH:
            return


def find_by_key(dataset_id: int, value: str, *, limit: int = 100) -> list[tuple[int, dict]]:
    """(row id, data) of the rows whose key item equals ``value`` (an index lookup)."""
    return [(r.id, r.data) for r in db.session.execute(
        select(DataRow.id, DataRow.data).where(DataRow.dataset_id == dataset_id,
                                               DataRow.key == value[:KEY_MAX])
        .order_by(DataRow.id).limit(limit))]


def _ensure_table(dataset_id: int, *, key: str | None, source: str, actor_id: int | None) -> DataTable:
    table = table_of(dataset_id)
    names = _item_names(dataset_id)
    if table is None:
        table = DataTable(dataset_id=dataset_id, rows=0)
        db.session.add(table)
    table.columns = names
    table.key_column = key if key is not None else (table.key_column or guess_key_column(names))
    table.source = source
    table.updated_at = utcnow()
    table.updated_by_id = actor_id
    return table


def _insert_statement():
    """INSERT of pre-serialised rows. The JSON is written unescaped (ensure_ascii=False): SQLite's
    json_extract does not match a \\u-escaped key against a Chinese path ('$."注册资本"'), so filters
    on rows written by the JSON type's default serialiser would silently find nothing."""
    data = bindparam("data", type_=Text)
    if db.session.get_bind().dialect.name != "sqlite":
        data = cast(data, JSON)
    return insert(DataRow.__table__).values(dataset_id=bindparam("dataset_id"), key=bindparam("key"), data=data)


def _write(dataset_id: int, rows: Iterable[dict], key: str | None) -> int:
    stmt = _insert_statement()
    dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=str).encode
    written = 0
    chunk: list[dict] = []
    for row in rows:
        k = row.get(key) if key else None
        chunk.append({"dataset_id": dataset_id, "key": None if k in (None, "") else str(k)[:KEY_MAX],
                      "data": dumps(row)})
        if len(chunk) >= BATCH:
            db.session.execute(stmt, chunk)
            written += len(chunk)
            chunk = []
    if chunk:
        db.session.execute(stmt, chunk)
        written += len(chunk)
    return written


def replace_rows(dataset_id: int, rows: Iterable[dict], *, key: str | None = None, source: str = "upload",
                 actor_id: int | None = None) -> int:
    """Replace the entry's rows with ``rows`` (in the caller's transaction); return how many."""
    table = _ensure_table(dataset_id, key=key, source=source, actor_id=actor_id)
    db.session.flush()
    db.session.execute(delete(DataRow).where(DataRow.dataset_id == dataset_id))
    table.rows = _write(dataset_id, rows, table.key_column)
    db.session.flush()
    return table.rows


def append_rows(dataset_id: int, rows: Iterable[dict], *, source: str = "upload",
                actor_id: int | None = None) -> int:
    """Add ``rows`` after the existing ones; return how many were added."""
    table = _ensure_table(dataset_id, key=None, source=source, actor_id=actor_id)
    db.session.flush()
    added = _write(dataset_id, rows, table.key_column)
    table.rows = db.session.scalar(select(func.count()).select_from(DataRow)
                                   .where(DataRow.dataset_id == dataset_id)) or 0
    db.session.flush()
    return added
