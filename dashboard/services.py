"""Assemble the dashboard: one dict that the page, the JSON API and the CSV export all read."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import select

from catalog.models import Department
from market.db import db, utcnow

from . import catalog, integrations, requests
from .scope import Scope
from .sql import PERCENTILE_METHOD


def league_table(scope: Scope, share_by_department: list[dict] | None = None) -> list[dict]:
    """Departments ranked by on-demand share rate (higher first), then fewer deadline breaches, then a
    shorter mean owner-approval time, then more published entries. A department scope gets its own row
    only, still carrying its city-wide rank."""
    city = replace(scope, department=None)
    if share_by_department is None or scope.department is not None:
        share_by_department = requests.share_rate(city)["by_department"]
    share = {r["department_id"]: r for r in share_by_department}
    cat = catalog.department_catalog()
    hours = requests.owner_hours_by_department(city)
    breaches = requests.breaches_by_department(city)
    ids = set(share) | set(cat)
    names = dict(db.session.execute(select(Department.id, Department.name)
                                    .where(Department.id.in_(list(ids) or [0]))).all())
    rows = []
    for d in ids:
        s = share.get(d, {})
        c = cat.get(d, {})
        rows.append({"department_id": d, "department": names.get(d, ""), "entries": c.get("entries", 0),
                     "lines_decided": s.get("decided", 0), "fulfilled": s.get("fulfilled", 0),
                     "share_rate": s.get("rate"), "owner_hours_mean": hours.get(d),
                     "deadline_breaches": breaches.get(d, 0), "rating_avg": c.get("rating_avg"),
                     "rating_count": c.get("rating_count", 0)})
    rows.sort(key=lambda r: (r["share_rate"] is None, -(r["share_rate"] or 0), r["deadline_breaches"],
                             r["owner_hours_mean"] is None, r["owner_hours_mean"] or 0, -r["entries"],
                             r["department"]))
    for rank, row in enumerate(rows, start=1):
        row["rank"] = rank
    if scope.department is not None:
        rows = [r for r in rows if r["department_id"] == scope.department_id]
    return rows


def build_dashboard(scope: Scope) -> dict:
    """Every figure of the dashboard for ``scope`` (see docs/dashboard.md for the definitions)."""
    share = requests.share_rate(scope)
    cov = catalog.coverage(scope)
    data = {
        "period": {"from": scope.start.isoformat(), "to": scope.end.isoformat()},
        "scope": scope.as_dict(),
        "generated_at": utcnow().replace(microsecond=0).isoformat() + "Z",
        "percentile_method": PERCENTILE_METHOD,
        "on_demand_share_rate": share,
        "approval_time_hours": requests.approval_times(scope),
        "deadline_breaches": requests.deadline_breaches(scope),
        "top_requested": requests.top_requested(scope),
        "best_rated": catalog.best_rated(scope),
        "catalog_coverage": {"categories": cov, "libraries": catalog.coverage_by_library(cov)},
        "department_league": league_table(scope, share["by_department"]),
    }
    data.update(integrations.sections(scope))
    return data
