"""Figures for the dashboards (数据看板): demand fulfilment rate and time, objection resolution time.
Definitions (also in docs/demands.md):

Demand fulfilment rate
    Of the demands *posted* in [start, end) and not withdrawn by their requester, the share that were
    met: closed as ``fulfilled`` (a linked entry was published) or ``existing`` (the owner pointed to
    an entry that already held the data). Open demands count against the rate until they are met.
    ``None`` when no demand was posted in the period.
Demand fulfilment time
    For those met demands: ``closed_at − created_at`` in days; median and p90.
Objection resolution time
    Of the objections *answered* in [start, end): ``answered_at − created_at`` in hours; median and
    p90; ``on_time_rate`` = answered by their due time ÷ answered.

Percentiles are nearest-rank (the smallest value with at least p % of the values at or below it).
``department_id`` narrows demands to those routed to the department and objections to those against
its entries. ``start``/``end`` are naive UTC datetimes; ``None`` means unbounded.
"""

from __future__ import annotations

import math
from datetime import datetime

from sqlalchemy import func, select

from market.db import db, utcnow

from .models import Demand, Objection
from .state import MET_DEMAND_STATES, DemandState, ObjectionState

MAX_ROWS = 200_000  # a bound on rows read for percentiles


def percentile(values: list[float], p: float) -> float | None:
    """Nearest-rank percentile of ``values`` (``None`` when empty)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def _period(col, start: datetime | None, end: datetime | None) -> list:
    conds = []
    if start is not None:
        conds.append(col >= start)
    if end is not None:
        conds.append(col < end)
    return conds


def demand_fulfilment(start: datetime | None = None, end: datetime | None = None,
                      department_id: int | None = None) -> dict:
    """``{"posted", "met", "open", "refused", "rate", "median_days", "p90_days", "by_state"}``."""
    conds = [Demand.state != DemandState.withdrawn, *_period(Demand.created_at, start, end)]
    if department_id is not None:
        conds.append(Demand.department_id == department_id)
    by_state = {str(getattr(s, "value", s)): n for s, n in db.session.execute(
        select(Demand.state, func.count()).where(*conds).group_by(Demand.state))}
    posted = sum(by_state.values())
    met = sum(by_state.get(s.value, 0) for s in MET_DEMAND_STATES)
    rows = db.session.execute(select(Demand.created_at, Demand.closed_at)
                              .where(*conds, Demand.state.in_(MET_DEMAND_STATES), Demand.closed_at.is_not(None))
                              .limit(MAX_ROWS)).all()
    days = [(closed - created).total_seconds() / 86400 for created, closed in rows]
    med, p90 = percentile(days, 50), percentile(days, 90)
    return {
        "posted": posted, "met": met,
        "open": sum(by_state.get(s, 0) for s in ("submitted", "routed", "planned")),
        "refused": by_state.get("refused", 0),
        "rate": round(met / posted, 4) if posted else None,
        "median_days": round(med, 2) if med is not None else None,
        "p90_days": round(p90, 2) if p90 is not None else None,
        "by_state": by_state,
    }


def objection_resolution(start: datetime | None = None, end: datetime | None = None,
                         department_id: int | None = None, now: datetime | None = None) -> dict:
    """``{"answered", "median_hours", "p90_hours", "on_time_rate", "by_outcome", "open", "overdue_open"}``."""
    now = now or utcnow()
    dept = [Objection.department_id == department_id] if department_id is not None else []
    rows = db.session.execute(select(Objection.created_at, Objection.answered_at, Objection.due_at, Objection.state)
                              .where(Objection.state != ObjectionState.open, *dept,
                                     *_period(Objection.answered_at, start, end))
                              .limit(MAX_ROWS)).all()
    hours = [(r.answered_at - r.created_at).total_seconds() / 3600 for r in rows]
    on_time = sum(1 for r in rows if r.due_at is None or r.answered_at <= r.due_at)
    by_outcome: dict[str, int] = {}
    for r in rows:
        key = str(getattr(r.state, "value", r.state))
        by_outcome[key] = by_outcome.get(key, 0) + 1
    open_now = db.session.scalar(select(func.count()).select_from(Objection)
                                 .where(Objection.state == ObjectionState.open, *dept)) or 0
    overdue = db.session.scalar(select(func.count()).select_from(Objection)
                                .where(Objection.state == ObjectionState.open, Objection.due_at < now, *dept)) or 0
    med, p90 = percentile(hours, 50), percentile(hours, 90)
    return {
        "answered": len(rows),
        "median_hours": round(med, 2) if med is not None else None,
        "p90_hours": round(p90, 2) if p90 is not None else None,
        "on_time_rate": round(on_time / len(rows), 4) if rows else None,
        "by_outcome": by_outcome,
        "open": open_now,
        "overdue_open": overdue,
    }
