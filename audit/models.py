"""Audit rows and the one-row chain head that serialises appends."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, ForeignKey, Index, Integer, String, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from market.db import db, utcnow

GENESIS = "0" * 64


class AuditEvent(db.Model):
    """One audit entry. ``hash`` = sha256(canonical JSON of the row's fields + ``prev_hash``).

    ``prev_hash`` is unique: two appends that read the same chain head cannot both be stored, so the
    chain can never fork even if the head lock were bypassed.
    """

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_object", "object_type", "object_id"),)

    # assigned by record_event (head.last_id + 1), never by a sequence: ids are part of the hash
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    action: Mapped[str] = mapped_column(String(60), index=True)
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict] = mapped_column(JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hash: Mapped[str] = mapped_column(String(64), unique=True)

    actor = relationship("User", lazy="joined")


class AuditChainHead(db.Model):
    """The single row (id = 1) naming the last entry. Every append updates it first, which takes a
    row lock on PostgreSQL and the database write lock on SQLite, so appends run one at a time."""

    __tablename__ = "audit_chain_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_id: Mapped[int] = mapped_column(Integer, default=0)
    last_hash: Mapped[str] = mapped_column(String(64), default=GENESIS)


class AppendOnlyError(Exception):
    pass


@event.listens_for(AuditEvent, "before_update")
@event.listens_for(AuditEvent, "before_delete")
def _refuse_rewrite(mapper, connection, target):
    raise AppendOnlyError("the audit log is append-only")
