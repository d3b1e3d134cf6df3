"""Catalog-side figures: coverage per library (基础库 / 主题库 and their categories), best-rated entries,
published entries per department. These describe the catalog as it stands now, not a period."""

from __future__ import annotations

from sqlalchemy import case, func, select

from catalog.models import Category, Dataset, Department
from catalog.vocab import DatasetStatus, OpenAttribute, ShareAttribute
from market.db import db

from .scope import Scope

MIN_RATINGS = 1  # an entry needs at least this many ratings to appear among the best rated


def _published(query, scope: Scope):
    query = query.where(Dataset.status == DatasetStatus.published)
    if scope.department_id is not None:
        query = query.where(Dataset.department_id == scope.department_id)
    return query


def _count_if(cond):
    return func.coalesce(func.sum(case((cond, 1), else_=0)), 0)


def coverage(scope: Scope) -> list[dict]:
    """Published entries per category, grouped by library, with how many are shareable, open, requested."""
    cols = (func.count(Dataset.id), func.count(func.distinct(Dataset.department_id)),
            _count_if(Dataset.share_attribute != ShareAttribute.none),
            _count_if(Dataset.open_attribute != OpenAttribute.closed),
            _count_if(Dataset.request_count > 0))
    rows = db.session.execute(_published(
        select(Category.library, Category.code, Category.name, Category.position, *cols)
        .select_from(Dataset).outerjoin(Category, Dataset.category_id == Category.id), scope)
        .group_by(Category.library, Category.code, Category.name, Category.position)).all()
    out = []
    for library, code, name, position, entries, depts, shareable, open_, requested in rows:
        out.append({"library": None if library is None else str(library), "category_code": code, "category": name,
                    "entries": entries, "departments": depts, "shareable": int(shareable), "open": int(open_),
                    "requested": int(requested),
                    "requested_share": round(int(requested) / entries, 4) if entries else None,
                    "_order": (library is None, str(library or ""), position or 0, name or "")})
    out.sort(key=lambda r: r.pop("_order"))
    return out


def coverage_by_library(rows: list[dict]) -> list[dict]:
    """Totals per library from :func:`coverage` rows (a department may sit in several categories)."""
    totals: dict[str | None, dict] = {}
    for r in rows:
        t = totals.setdefault(r["library"], {"library": r["library"], "categories": 0, "entries": 0, "shareable": 0,
                                             "open": 0, "requested": 0})
        t["categories"] += 1 if r["category_code"] else 0
        for key in ("entries", "shareable", "open", "requested"):
            t[key] += r[key]
    return list(totals.values())


def _rating_prior() -> tuple[float, float]:
    """(prior mean, prior weight) of the ratings package's Bayesian average; (4.0, 0) without it (raw mean)."""
    from .integrations import optional_module

    services = optional_module("ratings.services")
    if services is None:
        return 4.0, 0.0
    return float(services.platform_mean()), float(services.PRIOR_WEIGHT)


def best_rated(scope: Scope, limit: int = 10) -> list[dict]:
    """Published entries by Bayesian average rating (the ratings package's: the mean pulled towards the
    platform mean by a few imaginary reviews, so one 5-star review does not beat fifty 4.8s)."""
    prior, weight = _rating_prior()
    bayes = (weight * prior + Dataset.rating_avg * Dataset.rating_count) / (weight + Dataset.rating_count)
    rows = db.session.execute(_published(
        select(Dataset.id, Dataset.code, Dataset.title, Department.name, Dataset.rating_avg, Dataset.rating_count,
               bayes).join(Department, Dataset.department_id == Department.id), scope)
        .where(Dataset.rating_count >= MIN_RATINGS, Dataset.rating_avg.is_not(None))
        .order_by(bayes.desc(), Dataset.rating_count.desc(), Dataset.title, Dataset.id)
        .limit(limit)).all()
    return [{"dataset_id": r[0], "code": r[1], "title": r[2], "department": r[3],
             "rating_avg": round(float(r[4]), 2), "rating_count": r[5], "bayesian_avg": round(float(r[6]), 2)}
            for r in rows]


def department_catalog() -> dict[int, dict]:
    """Published entries and the rating-count-weighted average rating of every department."""
    weighted = func.sum(case((Dataset.rating_avg.is_not(None), Dataset.rating_avg * Dataset.rating_count), else_=0))
    counted = func.sum(case((Dataset.rating_avg.is_not(None), Dataset.rating_count), else_=0))
    rows = db.session.execute(select(Dataset.department_id, func.count(Dataset.id), weighted, counted)
                              .where(Dataset.status == DatasetStatus.published)
                              .group_by(Dataset.department_id)).all()
    return {d: {"entries": n, "rating_avg": round(float(w) / c, 2) if c else None, "rating_count": int(c or 0)}
            for d, n, w, c in rows}
