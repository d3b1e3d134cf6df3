"""Delivery tables: the rows behind catalog entries, the usage ledger, API keys and their rate counters.

Rows live in the main database (one JSON document per row, see docs/benchmarks.md for why not
Parquet/DuckDB files): uploads commit or roll back with the rest of the transaction, every process and
every server sees the same rows, and the test database empties them like any other table.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from market.db import db, utcnow

# BIGINT on PostgreSQL; on SQLite a plain INTEGER PRIMARY KEY (the rowid alias) keeps autoincrement
RowId = BigInteger().with_variant(Integer, "sqlite")


class DataTable(db.Model):
    """The data behind one catalog entry: which item is the lookup key, how many rows, last upload."""

    __tablename__ = "delivery_tables"

    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"), primary_key=True)
    key_column: Mapped[str | None] = mapped_column(String(200))
    columns: Mapped[list[str]] = mapped_column(JSON, default=list)  # item names, in the entry's order
    rows: Mapped[int] = mapped_column(Integer, default=0)
    source: Mapped[str] = mapped_column(String(40), default="upload")  # upload, demo, cli
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    dataset = relationship("Dataset")


class DataRow(db.Model):
    """One record of an entry: ``data`` maps data item name → value; ``key`` copies the key item's value
    so an authorised query is an index lookup; ``id`` gives the stable delivery order."""

    __tablename__ = "delivery_rows"
    __table_args__ = (
        Index("ix_delivery_rows_dataset_id_id", "dataset_id", "id"),
        Index("ix_delivery_rows_dataset_key", "dataset_id", "key"),
    )

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"))
    key: Mapped[str | None] = mapped_column(String(200))
    data: Mapped[dict] = mapped_column(JSON)  # written by store._write (unescaped UTF-8 on SQLite)


class DataUpload(db.Model):
    """One accepted upload (who, which file, how many rows, replace or append)."""

    __tablename__ = "delivery_uploads"

    id: Mapped[int] = mapped_column(primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    filename: Mapped[str] = mapped_column(String(255))
    format: Mapped[str] = mapped_column(String(10))
    mode: Mapped[str] = mapped_column(String(10))  # replace, append
    rows: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)

    user = relationship("User")


class ApiKey(db.Model):
    """An API key (for enterprises and citizens, open data; a grant holder's key also carries their grants).
    Only the SHA-256 of the secret is stored; ``prefix`` identifies it on pages."""

    __tablename__ = "delivery_api_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    prefix: Mapped[str] = mapped_column(String(12))
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    daily_quota: Mapped[int] = mapped_column(Integer)
    per_minute: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)

    user = relationship("User")

    @property
    def active(self) -> bool:
        return self.revoked_at is None


class RateCounter(db.Model):
    """Calls counted per subject (``key:<id>`` or ``user:<id>``) and window (``m:<epoch minute>`` or
    ``d:<yyyy-mm-dd>``), in the database so every worker process shares the count."""

    __tablename__ = "delivery_rate_counters"
    __table_args__ = (UniqueConstraint("subject", "window", name="rate_subject_window"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    subject: Mapped[str] = mapped_column(String(40))
    window: Mapped[str] = mapped_column(String(20))
    count: Mapped[int] = mapped_column(Integer, default=0)
    expires_at: Mapped[datetime] = mapped_column(DateTime, index=True)


class UsageEvent(db.Model):
    """The usage ledger: every delivered copy (download), API call and authorised query."""

    __tablename__ = "delivery_usage"
    __table_args__ = (
        Index("ix_delivery_usage_user_dataset", "user_id", "dataset_id"),
        Index("ix_delivery_usage_grant", "grant_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    grant_id: Mapped[int | None] = mapped_column(ForeignKey("grants.id", ondelete="SET NULL"))
    api_key_id: Mapped[int | None] = mapped_column(ForeignKey("delivery_api_keys.id", ondelete="SET NULL"))
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"), index=True)
    action: Mapped[str] = mapped_column(String(10))  # download, api, query
    format: Mapped[str] = mapped_column(String(10), default="")  # csv, json, xlsx for downloads
    rows: Mapped[int] = mapped_column(Integer, default=0)
    fields: Mapped[list[str]] = mapped_column(JSON, default=list)
    purpose: Mapped[str] = mapped_column(Text, default="")
    query_key: Mapped[str] = mapped_column(String(200), default="")
    address: Mapped[str] = mapped_column(String(64), default="")
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)

    user = relationship("User")
    dataset = relationship("Dataset")
