"""Sections fed by other feature packages: demands and objections (``demands.stats``), downloads
(``delivery.ledger``) and the owners' improvement list (``ratings.improvement_list``).

Each package is imported lazily: when it is not installed its section is ``None`` in the JSON and the
page leaves it out, so the dashboard never depends on a package being present.
"""

from __future__ import annotations

import importlib
import importlib.util
from types import ModuleType

from sqlalchemy import func, select

from catalog.models import Dataset, Department
from market.db import db

from .scope import Scope

DEMAND_STATES = ("submitted", "routed", "planned", "fulfilled", "existing", "refused")
OBJECTION_OUTCOMES = ("corrected", "explained", "rejected")
NEAREST_RANK = "nearest rank (the smallest value with at least p % of the values at or below it)"
IMPROVEMENT_LIMIT = 20


def optional_module(name: str) -> ModuleType | None:
    """``name`` imported, or None when its package does not exist (other import errors propagate)."""
    top = name.split(".")[0]
    if importlib.util.find_spec(top) is None:
        return None
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name in (name, top):
            return None
        raise


def demand_section(scope: Scope) -> dict | None:
    """Demands posted in the period (routed to the department, in a department scope): rate and time."""
    stats = optional_module("demands.stats")
    if stats is None:
        return None
    d = stats.demand_fulfilment(scope.lo, scope.hi, scope.department_id)
    by_state = d.get("by_state", {})
    return {**d, "by_state": [{"state": s, "demands": by_state.get(s, 0)} for s in DEMAND_STATES],
            "percentile_method": NEAREST_RANK}


def objection_section(scope: Scope) -> dict | None:
    """Objections answered in the period (against the department's entries): resolution hours."""
    stats = optional_module("demands.stats")
    if stats is None:
        return None
    d = stats.objection_resolution(scope.lo, scope.hi, scope.department_id, now=scope.now)
    by_outcome = d.get("by_outcome", {})
    return {**d, "median": d.get("median_hours"), "p90": d.get("p90_hours"),
            "by_outcome": [{"outcome": o, "objections": by_outcome.get(o, 0)} for o in OBJECTION_OUTCOMES],
            "percentile_method": NEAREST_RANK}


def top_downloaded(scope: Scope, limit: int = 10) -> list[dict] | None:
    """Entries with the most downloads (delivered copies) in the period, from the usage ledger."""
    ledger = optional_module("delivery.ledger")
    if ledger is None:
        return None
    usage = ledger.UsageEvent
    n = func.count(usage.id)
    rows_sum = func.coalesce(func.sum(usage.rows), 0)
    query = (select(Dataset.id, Dataset.code, Dataset.title, Department.name, n, rows_sum)
             .select_from(usage).join(Dataset, usage.dataset_id == Dataset.id)
             .join(Department, Dataset.department_id == Department.id)
             .where(usage.action == "download", usage.at >= scope.lo, usage.at < scope.hi))
    if scope.department_id is not None:
        query = query.where(Dataset.department_id == scope.department_id)
    rows = db.session.execute(query.group_by(Dataset.id, Dataset.code, Dataset.title, Department.name)
                              .order_by(n.desc(), rows_sum.desc(), Dataset.title, Dataset.id).limit(limit)).all()
    return [{"dataset_id": r[0], "code": r[1], "title": r[2], "department": r[3], "downloads": r[4],
             "rows": int(r[5])} for r in rows]


def improvement_list(scope: Scope) -> list[dict] | None:
    """The department's improvement list from the ratings package (department scopes only)."""
    ratings = optional_module("ratings")
    if ratings is None or not hasattr(ratings, "improvement_list") or scope.department_id is None:
        return None
    out = []
    for item in ratings.improvement_list(scope.department_id, limit=IMPROVEMENT_LIMIT):
        issues = item.get("issues", [])
        out.append({**item, "issues_summary": "、".join(f"{i['label']}({i['complaints']})" for i in issues),
                    "advice": "；".join(i["advice"] for i in issues[:2])})
    return out


def sections(scope: Scope) -> dict:
    """The integrated sections' keys; each is None when the feeding package is absent."""
    return {
        "demand_fulfilment_rate": demand_section(scope),
        "objection_resolution_time_hours": objection_section(scope),
        "top_downloaded": top_downloaded(scope),
        "improvement_list": improvement_list(scope),
    }
