"""Append to and verify the hash-chained audit log."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from market.db import db, utcnow

from .models import GENESIS, AuditChainHead, AuditEvent

HEAD_ID = 1


def canonical(row: dict) -> str:
    """The exact text that is hashed: sorted keys, no spaces, UTF-8 kept, datetimes as ISO 8601."""
    return json.dumps(row, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def compute_hash(*, id: int, at: datetime, actor_id: int | None, action: str, object_type: str,
                 object_id: str, payload: dict, prev_hash: str) -> str:
    body = {"id": id, "at": at.isoformat(timespec="microseconds"), "actor_id": actor_id, "action": action,
            "object_type": object_type, "object_id": str(object_id), "payload": payload}
    return hashlib.sha256((canonical(body) + prev_hash).encode()).hexdigest()


def _lock_head() -> tuple[int, str]:
    """Take the append lock and return (last id, last hash).

    The first statement is an UPDATE of the head row, not a SELECT: on PostgreSQL it waits for the
    row lock held by any other appending transaction and then sees that transaction's committed
    head (READ COMMITTED re-reads the updated row), and on SQLite an UPDATE is what acquires the
    database write lock (the BEGIN IMMEDIATE equivalent). Reading the last audit row with
    ``SELECT … ORDER BY id DESC LIMIT 1 FOR UPDATE`` would not do: after the wait PostgreSQL returns
    the row it locked, not the row the other transaction just added, and the chain would fork.
    """
    session = db.session
    session.flush()
    touched = session.execute(update(AuditChainHead).where(AuditChainHead.id == HEAD_ID)
                              .values(last_id=AuditChainHead.last_id)
                              .execution_options(synchronize_session=False)).rowcount
    if not touched:
        try:
            with session.begin_nested():
                session.execute(insert(AuditChainHead).values(id=HEAD_ID, last_id=0, last_hash=GENESIS))
        except IntegrityError:
            # another transaction created the head first: wait for its lock like everybody else
            session.execute(update(AuditChainHead).where(AuditChainHead.id == HEAD_ID)
                            .values(last_id=AuditChainHead.last_id)
                            .execution_options(synchronize_session=False))
    row = session.execute(select(AuditChainHead.last_id, AuditChainHead.last_hash)
                          .where(AuditChainHead.id == HEAD_ID)
                          .execution_options(populate_existing=True)).one()
    return row.last_id, row.last_hash


def record_event(action: str, obj_type: str, obj_id, *, actor=None, payload: dict | None = None) -> AuditEvent:
    """Append one audit entry in the caller's transaction (it commits or rolls back with the change).

    Appends are serialised by the chain-head lock (see ``_lock_head``), held until the caller's
    transaction ends, so two processes appending at once produce one unbroken chain.
    """
    actor_id = getattr(actor, "id", actor) if actor is not None else None
    payload = json.loads(canonical(payload or {}))  # store exactly what is hashed
    last_id, last_hash = _lock_head()
    at = utcnow()
    entry = AuditEvent(id=last_id + 1, at=at, actor_id=actor_id, action=action, object_type=obj_type,
                       object_id=str(obj_id), payload=payload, prev_hash=last_hash)
    entry.hash = compute_hash(id=entry.id, at=at, actor_id=actor_id, action=action, object_type=obj_type,
                              object_id=entry.object_id, payload=payload, prev_hash=last_hash)
    db.session.add(entry)
    db.session.execute(update(AuditChainHead).where(AuditChainHead.id == HEAD_ID)
                       .values(last_id=entry.id, last_hash=entry.hash)
                       .execution_options(synchronize_session=False))
    db.session.flush()
    return entry


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int
    broken_id: int | None = None
    reason: str = ""


def verify_chain(batch: int = 1000) -> VerifyResult:
    """Recompute every hash in id order; report the first entry whose content or link is wrong."""
    cols = (AuditEvent.id, AuditEvent.at, AuditEvent.actor_id, AuditEvent.action, AuditEvent.object_type,
            AuditEvent.object_id, AuditEvent.payload, AuditEvent.prev_hash, AuditEvent.hash)
    expected_prev, expected_id, checked, after = GENESIS, 1, 0, 0
    while True:
        rows = db.session.execute(select(*cols).where(AuditEvent.id > after).order_by(AuditEvent.id)
                                  .limit(batch)).all()
        if not rows:
            break
        for r in rows:
            if r.id != expected_id:
                return VerifyResult(False, checked, expected_id, f"entry {expected_id} is missing")
            if r.prev_hash != expected_prev:
                return VerifyResult(False, checked, r.id, "its prev_hash does not match the previous entry's hash")
            digest = compute_hash(id=r.id, at=r.at, actor_id=r.actor_id, action=r.action,
                                  object_type=r.object_type, object_id=r.object_id, payload=r.payload,
                                  prev_hash=r.prev_hash)
            if digest != r.hash:
                return VerifyResult(False, checked, r.id, "its content does not match its hash (edited)")
            expected_prev, expected_id, checked = r.hash, r.id + 1, checked + 1
        after = rows[-1].id
    head = db.session.execute(select(AuditChainHead.last_id, AuditChainHead.last_hash)
                              .where(AuditChainHead.id == HEAD_ID)).first()
    if head is not None and (head.last_id, head.last_hash) != (expected_id - 1, expected_prev):
        return VerifyResult(False, checked, head.last_id,
                            f"the chain head names entry {head.last_id} but the log ends at {expected_id - 1} "
                            "(entries were removed from the end)")
    return VerifyResult(True, checked)
