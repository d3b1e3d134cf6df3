"""The usage ledger (public interface): every delivered copy, API call and authorised query, per grant or
API key — who, what, when, how many rows — each also appended to the audit chain."""

from __future__ import annotations

from sqlalchemy import exists, func, select

from audit import record_event
from market.db import db

from .models import UsageEvent

ACTIONS = ("download", "api", "query")


def record_usage(*, action: str, dataset_id: int, user=None, grant_id: int | None = None,
                 api_key_id: int | None = None, fmt: str = "", rows: int = 0, fields: list[str] | None = None,
                 purpose: str = "", query_key: str = "", address: str = "") -> UsageEvent:
    """Write one ledger line and its audit entry in the caller's transaction."""
    if action not in ACTIONS:
        raise ValueError(f"unknown usage action {action!r}")
    user_id = getattr(user, "id", None)
    event = UsageEvent(user_id=user_id, grant_id=grant_id, api_key_id=api_key_id, dataset_id=dataset_id,
                       action=action, format=fmt, rows=rows, fields=list(fields or []), purpose=purpose,
                       query_key=query_key[:200], address=(address or "")[:64])
    db.session.add(event)
    db.session.flush()
    payload = {"usage": event.id, "dataset": dataset_id, "grant": grant_id, "api_key": api_key_id,
               "format": fmt, "rows": rows, "fields": event.fields}
    if action == "query":
        payload.update(purpose=purpose, key=query_key[:200])
    record_event(f"delivery.{action}", "dataset", dataset_id, actor=user_id, payload=payload)
    return event


def user_received(user_id: int, dataset_id: int) -> bool:
    """True if the user holds or held a grant for the entry, or downloaded, called or queried it."""
    from orders.models import Grant

    return bool(db.session.scalar(select(
        exists().where(Grant.user_id == user_id, Grant.dataset_id == dataset_id)
        | exists().where(UsageEvent.user_id == user_id, UsageEvent.dataset_id == dataset_id))))


def usage_by_grant(grant_ids: list[int]) -> dict[int, dict]:
    """{grant id: {"download": (events, rows), "api": …, "query": …, "last": datetime}} for the grants page."""
    out: dict[int, dict] = {g: {} for g in grant_ids}
    if not grant_ids:
        return out
    for grant_id, action, n, rows, last in db.session.execute(
            select(UsageEvent.grant_id, UsageEvent.action, func.count(), func.coalesce(func.sum(UsageEvent.rows), 0),
                   func.max(UsageEvent.at))
            .where(UsageEvent.grant_id.in_(grant_ids)).group_by(UsageEvent.grant_id, UsageEvent.action)):
        entry = out[grant_id]
        entry[action] = (n, rows)
        entry["last"] = max(filter(None, (entry.get("last"), last)), default=None)
    return out


def copies_of_grant(grant_id: int) -> list[UsageEvent]:
    """The delivered copies (downloads) of a grant, oldest first: what a trace can name."""
    return list(db.session.scalars(select(UsageEvent).where(UsageEvent.grant_id == grant_id,
                                                            UsageEvent.action == "download")
                                   .order_by(UsageEvent.id)))
