"""Database backend: answers the search contract with SQL on the catalog tables.

It is the fallback when the index is missing or broken (the shop keeps working, with a notice),
and the reference the contract tests compare other backends with. Text matching is substring
(LIKE) on title, summary, tags and data items: correct but slow on large catalogs.
"""

from __future__ import annotations

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import aliased

from catalog.models import Category, DataItem, Dataset, DatasetFormat, DatasetTag, Department
from market.db import db

from .base import FACETS, RATING_PRIOR_MEAN, RATING_PRIOR_WEIGHT, FacetValue, Hit, SearchPage, SearchQuery
from .highlight import highlight as _highlight

MAX_TERMS = 8


def _like(term: str) -> str:
    return "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _terms(q: str) -> list[str]:
    return [t for t in q.split() if t][:MAX_TERMS]


def _facet_condition(name: str, values: list[str]):
    if name == "department":
        return Dataset.department_id.in_(select(Department.id).where(Department.code.in_(values)))
    if name == "category":
        return Dataset.category_id.in_(select(Category.id).where(Category.code.in_(values)))
    if name == "level":
        return Dataset.level.in_([int(v) for v in values if v.isdigit()])
    if name in ("format", "tag"):
        # aliased so the subquery never auto-correlates with the facet query's own FROM
        row = aliased(DatasetFormat if name == "format" else DatasetTag)
        return exists().where(row.dataset_id == Dataset.id, row.name.in_(values))
    return getattr(Dataset, name).in_(values)


class SqlBackend:
    name = "database"

    def index(self, documents: list[dict]) -> None:
        """Nothing to do: the database is the source."""

    def delete(self, ids: list[int]) -> None:
        """Nothing to do: the database is the source."""

    def ping(self) -> bool:
        db.session.execute(select(1))
        return True

    def rebuild(self, documents) -> int:
        return sum(1 for _ in documents)

    def _base_conditions(self, query: SearchQuery) -> list:
        conds = [Dataset.status.in_(query.statuses)]
        if query.open_only:
            conds.append(Dataset.open_attribute != "closed")
        if query.department_scope is not None:
            conds.append(Dataset.department_id == query.department_scope)
        tag, item = aliased(DatasetTag), aliased(DataItem)
        for term in _terms(query.q):
            pattern = _like(term)
            conds.append(or_(
                Dataset.title.ilike(pattern, escape="\\"),
                Dataset.summary.ilike(pattern, escape="\\"),
                Dataset.code.ilike(pattern, escape="\\"),
                exists().where(tag.dataset_id == Dataset.id, tag.name.ilike(pattern, escape="\\")),
                exists().where(item.dataset_id == Dataset.id, item.name.ilike(pattern, escape="\\")),
            ))
        return conds

    def query(self, query: SearchQuery) -> SearchPage:
        """Answer a page with SQL: filters, AND over whitespace-separated terms, disjunctive facets."""
        base = self._base_conditions(query)
        selected = {k: v for k, v in query.filters.items() if k in FACETS and v}
        facet_conds = {k: _facet_condition(k, v) for k, v in selected.items()}
        where = and_(*base, *facet_conds.values())

        total = db.session.scalar(select(func.count()).select_from(Dataset).where(where))
        stmt = select(Dataset.id, Dataset.title).where(where)
        terms = _terms(query.q)
        if query.sort == "popular":
            stmt = stmt.order_by(Dataset.request_count.desc(), Dataset.id)
        elif query.sort == "newest":
            stmt = stmt.order_by(Dataset.published_at.desc().nulls_last(), Dataset.id.desc())
        elif query.sort == "rating":
            n = func.coalesce(Dataset.rating_count, 0)
            bayes = ((RATING_PRIOR_WEIGHT * RATING_PRIOR_MEAN + func.coalesce(Dataset.rating_avg, 0.0) * n)
                     / (RATING_PRIOR_WEIGHT + n))
            stmt = stmt.order_by(bayes.desc(), Dataset.rating_count.desc(), Dataset.id)
        elif terms:
            title_hits = sum((Dataset.title.ilike(_like(t), escape="\\")).cast(db.Integer) for t in terms)
            stmt = stmt.order_by(title_hits.desc(), func.length(Dataset.title), Dataset.request_count.desc(),
                                 Dataset.id)
        else:
            stmt = stmt.order_by(Dataset.featured.desc(), Dataset.request_count.desc(), Dataset.id)
        rows = db.session.execute(stmt.limit(query.per_page).offset(query.offset)).all()
        hits = [Hit(id=r.id, score=0.0, highlights={"title": _highlight(r.title, terms)}) for r in rows]

        facets = {}
        for name in FACETS:
            others = and_(*base, *(c for k, c in facet_conds.items() if k != name))
            facets[name] = self._facet(name, others, query.facet_size)
        return SearchPage(hits=hits, total=total or 0, facets=facets, backend=self.name)

    def _facet(self, name: str, where, size: int) -> list[FacetValue]:
        count = func.count().label("n")
        if name == "department":
            stmt = (select(Department.code, Department.name, count).join(Dataset, Dataset.department_id == Department.id)
                    .where(where).group_by(Department.code, Department.name))
        elif name == "category":
            stmt = (select(Category.code, Category.name, count).join(Dataset, Dataset.category_id == Category.id)
                    .where(where).group_by(Category.code, Category.name))
        elif name in ("format", "tag"):
            model = DatasetFormat if name == "format" else DatasetTag
            stmt = (select(model.name, model.name, count).join(Dataset, Dataset.id == model.dataset_id)
                    .where(where).group_by(model.name))
        else:
            col = getattr(Dataset, name)
            stmt = select(col, col, count).where(where).group_by(col)
        rows = db.session.execute(stmt.order_by(count.desc()).limit(size)).all()
        return [FacetValue(value=str(getattr(v, "value", v)), count=n, label=str(getattr(lbl, "value", lbl)))
                for v, lbl, n in rows]

    def suggest(self, prefix: str, limit: int = 8) -> list[str]:
        if not prefix.strip():
            return []
        stmt = (select(Dataset.title).where(Dataset.status == "published",
                                            Dataset.title.ilike(_like(prefix.strip()), escape="\\"))
                .order_by(Dataset.request_count.desc(), func.length(Dataset.title)).limit(limit))
        return list(dict.fromkeys(db.session.scalars(stmt)))
