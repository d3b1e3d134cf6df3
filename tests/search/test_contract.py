"""The search contract (``search.base``): what every backend must answer the same way.

Each test runs against the database backend, the embedded tantivy index and an OpenSearch cluster
(osmem-server), on the same rows: real datasets made through the ORM, turned into documents by
``search.adapters.dataset_document`` and indexed into the backend under test (the database backend
reads the tables directly). Queries use whole words, so substring matching (database) and word
matching (indexes) must agree.
"""

from __future__ import annotations

import datetime
import html
import re
from types import SimpleNamespace

import pytest

from market.db import db
from search.base import FACETS, SearchBackend, SearchQuery
from search.service import iter_documents


@pytest.fixture
def catalog(make_department, make_category, make_dataset, put):
    """Four visible entries over two departments, plus a draft and a retired one."""
    psb = make_department("PSB", "公安局")
    samr = make_department("SAMR", "市场监管局")
    pop = make_category("pop", "人口库", library="base")
    corp = make_category("corp", "法人库", library="base")

    def day(s):
        return datetime.date.fromisoformat(s)

    c = SimpleNamespace(psb=psb, samr=samr, pop=pop, corp=corp)
    c.basic = make_dataset("人口基本信息", department=psb, category=pop, share_attribute="conditional",
                           open_attribute="open", level=2, tags=["人口", "户籍"], formats=["CSV"],
                           update_frequency="daily", request_count=5, rating_avg=4.5, rating_count=4,
                           published_at=day("2026-01-03"))
    c.resident = make_dataset("常住人口统计", department=psb, category=pop, share_attribute="unconditional",
                              open_attribute="open", level=1, tags=["人口", "统计"], formats=["CSV", "XLSX"],
                              update_frequency="monthly", request_count=50, rating_avg=2.0, rating_count=1,
                              published_at=day("2026-02-01"))
    c.licence = make_dataset("企业营业执照信息", department=samr, category=corp, share_attribute="conditional",
                             open_attribute="conditional", level=3, tags=["企业"], formats=["JSON"],
                             update_frequency="daily", request_count=20, rating_avg=3.0, rating_count=2,
                             published_at=day("2025-12-01"))
    c.legal = make_dataset("法人登记台账", department=samr, category=corp, share_attribute="none",
                           open_attribute="closed", level=4, tags=["法人"], formats=["API"],
                           update_frequency="yearly", request_count=0, rating_avg=1.0, rating_count=1,
                           published_at=day("2025-06-01"))
    c.draft = make_dataset("人口迁移信息", department=psb, category=pop, status="draft")
    c.retired = make_dataset("人口普查信息", department=psb, category=pop, status="retired")
    c.visible = [c.basic, c.resident, c.licence, c.legal]
    put(*c.visible, c.draft, c.retired)
    return c


def ask(backend, q: str = "", **kw):
    kw.setdefault("per_page", 50)
    return backend.query(SearchQuery(q=q, **kw))


def ids(*datasets) -> set[int]:
    return {d.id for d in datasets}


def counts(page, facet: str) -> dict[str, int]:
    return {f.value: f.count for f in page.facets[facet]}


def test_empty_query_returns_everything_visible(backend, catalog):
    assert isinstance(backend, SearchBackend)
    assert backend.ping() is True
    page = ask(backend)
    assert page.total == 4
    assert set(page.ids) == ids(*catalog.visible)
    assert set(page.facets) == set(FACETS)


def test_every_word_must_match_in_some_field(backend, catalog):
    assert set(ask(backend, "人口").ids) == ids(catalog.basic, catalog.resident)
    assert set(ask(backend, "人口 信息").ids) == ids(catalog.basic)
    # 户籍 is only a tag, 营业执照 only in a title: words may match in different fields
    assert set(ask(backend, "户籍 人口").ids) == ids(catalog.basic)
    assert ask(backend, "营业执照").ids == [catalog.licence.id]
    assert ask(backend, "营业执照").total == 1
    for q in ("", "人口 信息", "企业"):  # every hit shows its whole title, marked or not
        for hit in ask(backend, q).hits:
            title = db.session.get(type(catalog.basic), hit.id).title
            assert html.unescape(re.sub(r"</?mark>", "", hit.highlights["title"])) == title


def test_index_replace_and_delete(backend, catalog, put):
    catalog.licence.title = "企业变更登记"
    db.session.commit()
    put(catalog.licence)
    assert ask(backend, "营业执照").ids == []
    assert ask(backend, "变更").ids == [catalog.licence.id]

    gone = catalog.licence.id
    db.session.delete(catalog.licence)
    db.session.commit()
    backend.delete([gone, 987654])  # an unknown id is ignored
    assert ask(backend, "变更").ids == []
    assert set(ask(backend).ids) == ids(catalog.basic, catalog.resident, catalog.legal)


FILTERS = {
    "department": ("PSB", ["basic", "resident"]),
    "category": ("corp", ["licence", "legal"]),
    "share_attribute": ("conditional", ["basic", "licence"]),
    "open_attribute": ("closed", ["legal"]),
    "level": ("1", ["resident"]),
    "format": ("CSV", ["basic", "resident"]),
    "update_frequency": ("daily", ["basic", "licence"]),
    "tag": ("人口", ["basic", "resident"]),
}


def test_filters_on_every_facet(backend, catalog):
    assert set(FILTERS) == set(FACETS)
    for facet, (value, expected) in FILTERS.items():
        page = ask(backend, filters={facet: [value]})
        assert set(page.ids) == ids(*(getattr(catalog, name) for name in expected)), facet
        assert page.total == len(expected), facet


def test_several_values_of_a_facet_are_or_and_facets_are_and(backend, catalog):
    page = ask(backend, filters={"format": ["JSON", "XLSX"]})
    assert set(page.ids) == ids(catalog.resident, catalog.licence)
    page = ask(backend, filters={"share_attribute": ["conditional", "unconditional"], "department": ["PSB"]})
    assert set(page.ids) == ids(catalog.basic, catalog.resident)
    page = ask(backend, "人口", filters={"level": ["1", "4"], "format": ["CSV"]})
    assert page.ids == [catalog.resident.id]
    assert ask(backend, filters={"department": ["SAMR"], "tag": ["人口"]}).total == 0


def test_facet_counts_are_disjunctive_and_agree_with_the_total(backend, catalog):
    page = ask(backend, filters={"department": ["PSB"]})
    assert page.total == 2
    # the selected facet still offers the other department, counted without its own filter
    assert counts(page, "department") == {"PSB": 2, "SAMR": 2}
    assert {f.value: f.label for f in page.facets["department"]} == {"PSB": "公安局", "SAMR": "市场监管局"}
    # every other facet counts exactly the filtered hits
    assert counts(page, "format") == {"CSV": 2, "XLSX": 1}
    assert counts(page, "category") == {"pop": 2}
    for facet in ("category", "share_attribute", "open_attribute", "level", "update_frequency"):
        assert sum(counts(page, facet).values()) == page.total, facet

    # selecting any offered value gives exactly the count that was shown next to it
    for q, filters in (("", {}), ("人口", {}), ("", {"department": ["SAMR"], "format": ["JSON", "API"]})):
        page = ask(backend, q, filters=filters)
        for facet in FACETS:
            for fv in page.facets[facet]:
                narrowed = ask(backend, q, filters={**filters, facet: [fv.value]})
                assert narrowed.total == fv.count, (q, filters, facet, fv.value)


def test_visibility_comes_from_the_query_fields(backend, catalog):
    assert catalog.draft.id not in ask(backend, "人口").ids
    both = ask(backend, "人口", statuses=("draft", "published"))
    assert set(both.ids) == ids(catalog.basic, catalog.resident, catalog.draft)
    assert ask(backend, statuses=("retired",)).ids == [catalog.retired.id]

    open_page = ask(backend, open_only=True)
    assert set(open_page.ids) == ids(catalog.basic, catalog.resident, catalog.licence)
    assert "closed" not in counts(open_page, "open_attribute")

    mine = ask(backend, department_scope=catalog.samr.id)
    assert set(mine.ids) == ids(catalog.licence, catalog.legal)
    assert counts(mine, "department") == {"SAMR": 2}


SORTS = {
    "popular": ["resident", "licence", "basic", "legal"],  # most requested first
    "newest": ["resident", "basic", "licence", "legal"],  # latest published first
    # best rated first by the Bayesian average (search/base.py ranking_rating)
    "rating": ["basic", "licence", "resident", "legal"],
}


def test_sorts_and_pages(backend, catalog):
    for sort, order in SORTS.items():
        assert ask(backend, sort=sort).ids == [getattr(catalog, name).id for name in order], sort

    pages = [ask(backend, sort="popular", per_page=3, page=n) for n in (1, 2, 3)]
    assert [p.total for p in pages] == [4, 4, 4]
    assert pages[0].ids + pages[1].ids == ask(backend, sort="popular").ids
    assert pages[2].ids == []
    assert pages[2].facets["department"], "a page past the end still carries the facets"


def test_title_matches_rank_above_popular_summary_matches(backend, make_dataset, put):
    title = make_dataset("人口信息", summary="年度台账")
    longer = make_dataset("人口信息查询", summary="年度台账", request_count=900)
    summary_only = make_dataset("户籍迁移登记", summary="涉及人口流动", request_count=1000)
    put(title, longer, summary_only)
    assert ask(backend, "人口").ids[-1] == summary_only.id
    # an exact title match is never buried by popularity
    assert ask(backend, "人口信息").ids[0] == title.id


def test_highlights_are_escaped_html_with_marks(backend, make_dataset, put):
    ds = make_dataset("人口<script>alert(1)</script>统计", summary="无")
    put(ds)
    hit = ask(backend, "人口").hits[0]
    marked = hit.highlights["title"]
    assert "<mark>人口</mark>" in marked
    assert "<script>" not in marked and "&lt;script&gt;" in marked
    assert html.unescape(re.sub(r"</?mark>", "", marked)) == ds.title


def test_suggest_completes_published_titles(backend, catalog):
    assert "人口基本信息" in backend.suggest("人口")
    assert "人口迁移信息" not in backend.suggest("人口")  # a draft is not offered
    assert backend.suggest("人口基") == ["人口基本信息"]
    assert backend.suggest("营业") == ["企业营业执照信息"]
    assert len(backend.suggest("人口", limit=1)) == 1
    assert backend.suggest("  ") == []


def test_rebuild_replaces_everything(backend, catalog):
    catalog.basic.title = "户籍登记信息"
    renamed, gone = catalog.basic.id, catalog.resident.id
    db.session.delete(catalog.resident)
    db.session.commit()  # neither change is sent to the backend: only the rebuild may fix it
    expected = {catalog.basic.id, catalog.licence.id, catalog.legal.id}
    in_database = len(expected) + 2  # rebuild reads every row, drafts and retired ones too

    assert backend.rebuild(iter_documents()) == in_database
    assert set(ask(backend).ids) == expected
    assert gone not in ask(backend, "人口").ids
    assert ask(backend, "户籍 登记").ids == [renamed]
    assert backend.ping() is True



def test_rating_sort_uses_the_bayesian_average(backend, put, make_dataset):
    """One 5-star review does not outrank forty reviews averaging 4.6 (search/base.py ranking_rating)."""
    from search.base import ranking_rating

    assert ranking_rating(5.0, 1) < ranking_rating(4.6, 40)
    lone = make_dataset("单条好评数据", rating_avg=5.0, rating_count=1)
    many = make_dataset("多条好评数据", rating_avg=4.6, rating_count=40)
    put(lone, many)
    ids = ask(backend, sort="rating").ids
    assert ids.index(many.id) < ids.index(lone.id)
