"""Shared by the shop pages and the JSON API: turn arguments into a search, and a search page into
datasets and labelled facets."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from market.db import db
from search.base import SearchPage, SearchQuery
from search.service import search_datasets

from .models import Category, Dataset, Department
from .permissions import visibility
from .schemas import DatasetListArgs
from .vocab import label

VOCAB_FACETS = {"share_attribute": "share_attribute", "open_attribute": "open_attribute", "level": "level",
                "update_frequency": "update_frequency"}


@dataclass
class Results:
    page: SearchPage
    datasets: list[Dataset]
    facets: dict[str, list[dict]]
    query: SearchQuery


def build_query(args: dict, user) -> SearchQuery:
    return SearchQuery(q=args.get("q", "").strip(), filters=DatasetListArgs.filters(args), sort=args["sort"],
                       page=args["page"], per_page=args["per_page"], **visibility(user))


def _labels(name: str, values: list[str], locale: str) -> dict[str, str]:
    if name == "department":
        rows = db.session.execute(select(Department.code, Department.name, Department.name_en)
                                  .where(Department.code.in_(values)))
        return {c: (en or n) if locale == "en" else n for c, n, en in rows}
    if name == "category":
        rows = db.session.execute(select(Category.code, Category.name, Category.name_en)
                                  .where(Category.code.in_(values)))
        return {c: (en or n) if locale == "en" else n for c, n, en in rows}
    if name in VOCAB_FACETS:
        return {v: label(VOCAB_FACETS[name], v, locale) for v in values}
    return {v: v for v in values}


def run_search(args: dict, user, locale: str = "zh") -> Results:
    """Search with the caller's visibility and return datasets in rank order plus labelled facets."""
    query = build_query(args, user)
    page = search_datasets(query)
    ids = page.ids
    by_id = {d.id: d for d in db.session.scalars(select(Dataset).where(Dataset.id.in_(ids)))} if ids else {}
    datasets = [by_id[i] for i in ids if i in by_id]
    facets = {}
    for name, values in page.facets.items():
        labels = _labels(name, [v.value for v in values], locale)
        selected = set(query.filters.get(name, []))
        facets[name] = [{"value": v.value, "label": labels.get(v.value, v.label or v.value), "count": v.count,
                         "selected": v.value in selected} for v in values]
    return Results(page=page, datasets=datasets, facets=facets, query=query)
