"""``package_search``: CKAN's Solr-style parameters translated onto our search contract.

Every search goes through ``search.service.search_datasets`` (the configured index, with its
database fallback), except the sorts the contract has no order for (``metadata_modified``,
``metadata_created``, ``title_string``, ``name``): those are answered by the database backend
with the same matching rules, so count, facets and order stay consistent within one answer.
"""

from __future__ import annotations

import re
from dataclasses import replace

from sqlalchemy import and_, select
from sqlalchemy.orm import selectinload

from catalog.models import Category, Dataset, Department
from catalog.permissions import visibility
from catalog.vocab import label
from market.db import db
from search.base import SearchPage, SearchQuery
from search.service import search_datasets
from search.sql import SqlBackend, _facet_condition

from .ckan_params import CkanError, as_int, as_list, invalid
from .packages import package_dict

MAX_ROWS = 1000
# the search engine allocates a buffer of start+rows hits: an unbounded start lets one request exhaust memory
# (the embedded engine aborted the whole process at start=2**31) or overflow the database's OFFSET
MAX_START = 1_000_000
MAX_FACET_VALUES = 1000  # what facet.limit=-1 ("no limit") means here
LICENSE_PREFIX = "market-"
# CKAN field name -> our facet (search.base.FACETS)
FIELDS = {"organization": "department", "owner_org": "department", "groups": "category", "tags": "tag",
          "res_format": "format", "license_id": "open_attribute", "share_attribute": "share_attribute",
          "open_attribute": "open_attribute", "level": "level", "update_frequency": "update_frequency"}
# clauses CKAN clients and harvesters add that every entry here satisfies
ALWAYS_TRUE = {("dataset_type", "dataset"), ("type", "dataset"), ("capacity", "public"), ("state", "active")}
CONTRACT_SORTS = {"score desc": "relevance", "views_recent desc": "popular", "views_total desc": "popular",
                  "rating desc": "rating", "rating_average desc": "rating"}
DB_SORTS = {"metadata_modified": Dataset.updated_at, "metadata_created": Dataset.created_at,
            "title_string": Dataset.title, "name": Dataset.code}
VOCAB_FACETS = {"share_attribute": "share_attribute", "open_attribute": "open_attribute", "level": "level",
                "update_frequency": "update_frequency", "license_id": "open_attribute"}

_CLAUSE = re.compile(r'\s*(\+?)([A-Za-z_][\w.]*):("(?:[^"\\]|\\.)*"|\([^)]*\)|[^\s()"]+)')
_OR = re.compile(r"\s+OR\s+")


def _unquote(text: str) -> str:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] == '"':
        return re.sub(r"\\(.)", r"\1", text[1:-1])
    return text


def parse_fq(fq: str) -> dict[str, list[str]]:
    """``organization:x tags:"a b" res_format:(CSV OR JSON)`` → our facet filters.

    Values of one clause are ORed (``field:(a OR b)``); a field may appear once (CKAN would AND
    repeated clauses, which our facets cannot express, so they are refused rather than misread).
    """
    filters: dict[str, list[str]] = {}
    pos, text = 0, fq or ""
    while text[pos:].strip():
        m = _CLAUSE.match(text, pos)
        if m is None:
            raise CkanError("Search Query Error", f"fq: cannot read {text[pos:].strip()[:60]!r}; use field:value, "
                            f"field:\"quoted value\" or field:(a OR b) with fields {', '.join(sorted(FIELDS))}")
        pos = m.end()
        name, raw = m.group(2), m.group(3)
        values = [_unquote(v) for v in _OR.split(raw[1:-1].strip())] if raw.startswith("(") else [_unquote(raw)]
        values = [v for v in values if v]
        if all((name, v) in ALWAYS_TRUE for v in values) or name == "site_id":
            continue
        facet = FIELDS.get(name)
        if facet is None:
            raise CkanError("Search Query Error", f"fq: unknown field {name!r}; known: {', '.join(sorted(FIELDS))}")
        if name == "license_id":
            values = [v.removeprefix(LICENSE_PREFIX) for v in values]
        if facet in filters:
            raise CkanError("Search Query Error", f"fq: {name} given twice; write {name}:(a OR b)")
        filters[facet] = values
    return filters


def _sort(text: str | None) -> tuple[str | None, object | None]:
    """(contract sort, None) or (None, database order) for CKAN's ``sort``; its first clause decides."""
    clause = " ".join((text or "score desc").split(",")[0].lower().split())
    if clause in CONTRACT_SORTS:
        return CONTRACT_SORTS[clause], None
    name, _, direction = clause.partition(" ")
    if name in DB_SORTS and direction in ("asc", "desc", ""):
        column = DB_SORTS[name]
        return None, column.desc() if direction == "desc" else column.asc()
    known = sorted([*CONTRACT_SORTS, *(f"{n} asc" for n in DB_SORTS), *(f"{n} desc" for n in DB_SORTS)])
    raise CkanError("Search Query Error", f"sort: unsupported {text!r}; use one of: {', '.join(known)}")


def _contract_window(query: SearchQuery, start: int, rows: int) -> tuple[SearchPage, list[int]]:
    """The ids at [start, start+rows) from page-based searches (two pages when start is not aligned)."""
    if rows == 0:
        return search_datasets(replace(query, page=1, per_page=1)), []
    first = start // rows + 1
    page = search_datasets(replace(query, page=first, per_page=rows))
    ids = page.ids[start % rows:]
    if start % rows and len(ids) < rows and first * rows < page.total:
        ids += search_datasets(replace(query, page=first + 1, per_page=rows)).ids[:rows - len(ids)]
    return page, ids[:rows]


def _database_window(query: SearchQuery, order, start: int, rows: int) -> tuple[SearchPage, list[int]]:
    backend = SqlBackend()
    page = backend.query(replace(query, page=1, per_page=1))  # count and facets
    where = and_(*backend._base_conditions(query), *(_facet_condition(k, v) for k, v in query.filters.items() if v))
    ids = list(db.session.scalars(select(Dataset.id).where(where).order_by(order, Dataset.id)
                                    .offset(start).limit(rows))) if rows else []
    return page, ids


def _names(model, codes: list[str]) -> dict[str, str]:
    if not codes:
        return {}
    return dict(db.session.execute(select(model.code, model.name).where(model.code.in_(codes))).all())


def _facets(page: SearchPage, wanted: list[str], limit: int, mincount: int) -> tuple[dict, dict]:
    facets, search_facets = {}, {}
    for name in wanted:
        values = [v for v in page.facets.get(FIELDS[name], []) if v.count >= mincount]
        values.sort(key=lambda v: (-v.count, v.value))
        values = values[:limit]
        if name in ("organization", "owner_org", "groups"):
            titles = _names(Department if name != "groups" else Category, [v.value for v in values])
            items = [(v.value, titles.get(v.value, v.value), v.count) for v in values]
        elif name in VOCAB_FACETS:
            prefix = LICENSE_PREFIX if name == "license_id" else ""
            items = [(prefix + v.value, label(VOCAB_FACETS[name], v.value), v.count) for v in values]
        else:
            items = [(v.value, v.value, v.count) for v in values]
        facets[name] = {value: count for value, _, count in items}
        search_facets[name] = {"title": name, "items": [{"name": value, "display_name": title, "count": count}
                                                        for value, title, count in items]}
    return facets, search_facets


def load_packages(ids: list[int], *, open_only: bool) -> list[dict]:
    """Package dicts for ``ids`` in that order, re-checking visibility (an index may lag behind)."""
    if not ids:
        return []
    rows = db.session.scalars(select(Dataset).where(Dataset.id.in_(ids))
                                .options(selectinload(Dataset.items))).all()
    by_id = {ds.id: ds for ds in rows if ds.status.value == "published"
             and not (open_only and ds.open_attribute.value == "closed")}
    return [package_dict(by_id[i]) for i in ids if i in by_id]


def package_search(params: dict, user) -> dict:
    """Search packages: q, fq (fq_list), rows (≤1000), start, sort, facet.field, facet.limit, facet.mincount."""
    q = str(params.get("q") or "").strip()
    if q in ("*:*", "*"):
        q = ""
    rows = as_int(params, "rows", 10, maximum=MAX_ROWS)
    start = as_int(params, "start", 0)
    if start > MAX_START:
        raise invalid("start", f"must be {MAX_START} or less; narrow the search (q, fq) instead of paging deeper")
    facet_fields = as_list(params, "facet.field")
    unknown = [f for f in facet_fields if f not in FIELDS]
    if unknown:
        raise CkanError("Search Query Error", f"facet.field: unknown field(s) {', '.join(unknown)}; "
                        f"known: {', '.join(sorted(FIELDS))}")
    facet_limit = as_int(params, "facet.limit", 50, minimum=-1)
    facet_limit = MAX_FACET_VALUES if facet_limit < 0 else min(facet_limit, MAX_FACET_VALUES)
    mincount = as_int(params, "facet.mincount", 1)
    filters = parse_fq(str(params.get("fq") or ""))
    for extra in as_list(params, "fq_list"):
        for key, values in parse_fq(extra).items():
            if key in filters:
                raise CkanError("Search Query Error", f"fq_list: {key} given twice")
            filters[key] = values
    contract_sort, order = _sort(params.get("sort"))
    vis = visibility(user)
    query = SearchQuery(q=q, filters=filters, sort=contract_sort or "relevance", statuses=vis["statuses"],
                        open_only=vis["open_only"], facet_size=max(facet_limit, 1))
    if order is None:
        page, ids = _contract_window(query, start, rows)
    else:
        page, ids = _database_window(query, order, start, rows)
    facets, search_facets = _facets(page, facet_fields, facet_limit, mincount)
    return {"count": page.total, "sort": params.get("sort") or "score desc",
            "results": load_packages(ids, open_only=vis["open_only"]),
            "facets": facets, "search_facets": search_facets}
