"""The few SQL expressions that differ between SQLite and PostgreSQL, and a portable percentile."""

from __future__ import annotations

import math
from datetime import datetime

from sqlalchemy import extract, func, literal_column
from sqlalchemy.sql import ColumnElement, Select

from market.db import db


def _dialect() -> str:
    return db.session.get_bind().dialect.name


def hours_between(start, end) -> ColumnElement:
    """``end - start`` in hours as a float expression (used for ordering and averages)."""
    if _dialect() == "postgresql":
        return extract("epoch", end - start) / 3600.0
    return (func.julianday(end) - func.julianday(start)) * 24.0


def month_of(column) -> ColumnElement:
    """'YYYY-MM' of a timestamp column."""
    if _dialect() == "postgresql":
        return func.to_char(column, literal_column("'YYYY-MM'"))
    return func.strftime("%Y-%m", column)


def hours(start: datetime, end: datetime) -> float:
    return (end - start).total_seconds() / 3600.0


PERCENTILE_METHOD = ("linear interpolation between closest ranks (numpy 'linear', Excel PERCENTILE.INC): "
                     "for n sorted values x[0..n-1], P(p) = x[k] + (h - k)(x[k+1] - x[k]) with h = (n-1)p, "
                     "k = floor(h); the median is P(0.5)")


def percentiles_of_durations(query: Select, start, end, ps: tuple[float, ...]) -> tuple[int, dict[float, float]]:
    """Percentiles of ``end - start`` (hours) over the rows of ``query`` without loading them all.

    ``query`` is a SELECT with the wanted FROM/WHERE; for each percentile only the one or two rows at
    its rank are fetched (ORDER BY the duration, OFFSET k, LIMIT 2), so memory stays bounded on any
    number of rows and the SQL is the same on SQLite and PostgreSQL.
    """
    base = query.where(start.is_not(None), end.is_not(None))
    n = db.session.scalar(base.with_only_columns(func.count()).order_by(None)) or 0
    if n == 0:
        return 0, {}
    order = hours_between(start, end)
    out: dict[float, float] = {}
    for p in ps:
        h = (n - 1) * p
        k = math.floor(h)
        rows = db.session.execute(base.with_only_columns(start, end).order_by(order, start)
                                  .offset(k).limit(2)).all()
        values = [hours(a, b) for a, b in rows]
        low = values[0]
        high = values[1] if len(values) > 1 else low
        out[p] = low + (h - k) * (high - low)
    return n, out

