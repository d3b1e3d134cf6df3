"""Relevance of the embedded backend on small fixture catalogs: what a person typing in the search
box notices first (the exact title on top, synonyms, pinyin, typos, safe highlights)."""

from __future__ import annotations

import pytest

from search import analysis
from search.base import SearchQuery
from search.embedded import EmbeddedBackend


def doc(i: int, title: str, *, summary: str = "", tags=(), fields=(), requests: int = 0, rating: float = 0.0,
        rating_count: int = 0, category: str = "theme", updated: str = "2024-06-01", frequency: str = "monthly",
        **extra) -> dict:
    base = {
        "id": i, "code": f"R-{i}", "title": title, "summary": summary, "tags": list(tags), "tag": list(tags),
        "fields": list(fields), "department": "D1", "department_name": "市数据局", "department_id": 1,
        "category": category, "category_name": "", "share_attribute": "conditional", "open_attribute": "open",
        "level": "2", "format": ["CSV"], "update_frequency": frequency, "status": "published",
        "request_count": requests, "rating": rating, "rating_count": rating_count,
        "published_at": "2023-01-01", "updated_at": updated,
    }
    base.update(extra)
    return base


@pytest.fixture
def engine(tmp_path):
    def make(docs, synonyms=()):
        backend = EmbeddedBackend(tmp_path / "search", synonyms=lambda: analysis.synonym_map(synonyms))
        backend.rebuild(docs)
        return backend

    return make


def ids(backend, q: str, **kw) -> list[int]:
    return backend.query(SearchQuery(q=q, **kw)).ids


def test_exact_title_first_even_against_popular_entries(engine):
    backend = engine([
        doc(1, "人口信息", requests=0),
        doc(2, "人口信息统计年报", requests=50_000, rating=5.0, rating_count=400),
        doc(3, "流动人口信息登记", requests=9_000, rating=4.8, rating_count=100),
    ])
    assert ids(backend, "人口信息")[0] == 1
    assert ids(backend, " 人口信息 ")[0] == 1


def test_title_outranks_tags_and_data_items_which_outrank_summary(engine):
    backend = engine([
        doc(1, "年度报表", summary="包含婚姻登记的汇总"),
        doc(2, "年度报表", fields=["婚姻登记日期"]),
        doc(3, "婚姻登记年度报表"),
    ])
    assert ids(backend, "婚姻登记") == [3, 2, 1]


def test_popularity_orders_equal_matches_without_burying_title_matches(engine):
    backend = engine([
        doc(1, "企业名录", summary="公积金"),
        doc(2, "公积金缴存明细", requests=10),
        doc(3, "公积金缴存明细", requests=3_000, rating=4.5, rating_count=30),
        doc(4, "企业名录二", summary="公积金", requests=90_000, rating=5.0, rating_count=900),
    ])
    order = ids(backend, "公积金")
    assert order[:2] == [3, 2]  # equal title matches: the used and well-rated one first
    assert set(order[2:]) == {1, 4}  # summary-only matches stay below, however popular


def test_unused_entries_do_not_tie_complete_and_recent_ones_first(engine):
    backend = engine([
        doc(1, "道路运输许可证信息", updated="2012-01-01", frequency="irregular", category=""),
        doc(2, "道路运输许可证信息", summary="全市道路运输经营许可证的发证情况", tags=["交通"],
            fields=["许可证号", "经营范围", "有效期"], updated="2025-01-01"),
    ])
    page = backend.query(SearchQuery(q="道路运输许可证"))
    assert page.ids == [2, 1]
    browse = backend.query(SearchQuery(q=""))  # no query: the prior alone orders the shop window
    assert browse.ids == [2, 1]


def test_every_word_must_match_and_or_is_only_a_fallback(engine):
    backend = engine([doc(1, "人口基本信息"), doc(2, "医疗机构名录"), doc(3, "人口医疗保险参保信息")])
    assert ids(backend, "人口 医疗") == [3]
    fallback = backend.query(SearchQuery(q="人口 火箭发射"))
    assert set(fallback.ids) == {1, 3}


def test_user_dictionary_keeps_government_terms_whole_and_finds_their_parts(engine):
    assert analysis.words("统一社会信用代码查询") == ["统一社会信用代码", "查询"]
    assert "营业执照" in analysis.words("企业营业执照信息")
    backend = engine([doc(1, "企业统一社会信用代码"), doc(2, "社会团体名录")])
    assert ids(backend, "统一社会信用代码") == [1]
    assert ids(backend, "信用代码") == [1]


def test_synonyms_expand_query_words_both_ways(engine):
    backend = engine([doc(1, "法人基本信息"), doc(2, "企业年报"), doc(3, "居民身份证信息"), doc(4, "人口信息")],
                     synonyms=[("企业", "法人"), ("身份证", "居民身份证")])
    assert set(ids(backend, "企业")) == {1, 2}
    assert set(ids(backend, "法人")) == {1, 2}
    assert ids(backend, "身份证") == [3]
    page = backend.query(SearchQuery(q="企业"))
    titles = {h.id: h.highlights["title"] for h in page.hits}
    assert titles[1] == "<mark>法人</mark>基本信息"


@pytest.mark.parametrize("q", ["renkou", "rk", "RenKou"])
def test_pinyin_and_initials_find_chinese_titles(engine, q):
    backend = engine([doc(1, "常住人口统计"), doc(2, "医疗机构名录")])
    page = backend.query(SearchQuery(q=q))
    assert page.ids == [1]
    assert "<mark>人口</mark>" in page.hits[0].highlights["title"]


@pytest.mark.parametrize(("typo", "fixed"), [("营业执招", "营业执照"), ("renkuo", "人口"), ("yingyezhizao", "营业执照")])
def test_a_typo_gets_a_did_you_mean(engine, typo, fixed):
    backend = engine([doc(1, "营业执照信息"), doc(2, "常住人口统计"), doc(3, "医疗机构名录")])
    page = backend.query(SearchQuery(q=typo))
    assert page.did_you_mean == fixed
    assert backend.query(SearchQuery(q=page.did_you_mean)).total >= 1


def test_no_did_you_mean_when_the_query_is_fine(engine):
    backend = engine([doc(1, "营业执照信息")])
    assert backend.query(SearchQuery(q="营业执照")).did_you_mean is None


def test_highlights_escape_html(engine):
    backend = engine([doc(1, "<script>alert('x')</script>人口表", summary="含 <b>人口</b> 与 & 符号")])
    hit = backend.query(SearchQuery(q="人口")).hits[0]
    assert hit.highlights["title"] == "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;<mark>人口</mark>表"
    assert "<b>" not in hit.highlights["summary"] and "&lt;b&gt;<mark>人口</mark>&lt;/b&gt;" in hit.highlights["summary"]
    assert backend.query(SearchQuery(q="script")).hits[0].highlights["title"].count("<mark>script</mark>") == 2


def test_suggest_completes_titles_from_chinese_and_pinyin_prefixes(engine):
    backend = engine([doc(1, "人口基本信息", requests=5), doc(2, "常住人口统计", requests=50), doc(3, "医疗机构名录"),
                      doc(4, "人口草稿", status="draft")])
    assert backend.suggest("人口") == ["人口基本信息", "常住人口统计"]  # titles starting with the prefix first
    assert backend.suggest("yiliao") == ["医疗机构名录"]
    assert backend.suggest("  ") == []
