"""The cluster backend beyond the shared contract: the explicit mapping, the alias swap of ``market
reindex``, life across app restarts, bulk indexing, Chinese analysis without plugins, failures."""

from __future__ import annotations

import pytest
from opensearchpy.exceptions import RequestError

from market import create_app
from market.config import Settings
from search.base import FACETS, SearchQuery
from search.opensearch import BULK_CHUNK, MAPPING, OpenSearchBackend

pytestmark = pytest.mark.opensearch


def doc(i: int, title: str, **extra) -> dict:
    """A search document as ``search.adapters.dataset_document`` makes it, without a database row."""
    base = {
        "id": i, "code": f"S-{i:06d}", "title": title, "summary": "", "tags": [], "fields": [],
        "department": f"D{i % 7}", "department_name": f"部门{i % 7}", "department_id": i % 7,
        "category": "", "category_name": "", "share_attribute": ("conditional", "unconditional")[i % 2],
        "open_attribute": "open", "level": str(1 + i % 4), "format": ["CSV"], "tag": [],
        "update_frequency": "daily", "status": "published", "request_count": i % 100, "rating": 0.0,
        "rating_count": 0, "published_at": "2026-01-01", "updated_at": "2026-01-01T00:00:00",
    }
    return base | extra


def titles(page, backend) -> list[str]:
    found = backend.client.mget(index=backend.alias, body={"ids": page.ids})["docs"]
    return [d["_source"]["title"] for d in found]


def own_indices(backend) -> list[str]:
    return sorted(backend.client.indices.get_alias(index=f"{backend.alias}-*"))


def test_the_mapping_is_explicit_and_strict(make_opensearch_backend):
    backend = make_opensearch_backend()
    backend.rebuild([doc(1, "人口基本信息")])
    (stored,) = backend.client.indices.get_mapping(index=backend.alias).values()
    assert stored["mappings"] == MAPPING
    with pytest.raises(RequestError, match="strict"):
        backend.client.index(index=backend.alias, id=2, body={"id": 2, "unexpected": "x"})
    backend.clear()
    assert backend.count() == 0 and backend.ping() is True


def test_rebuild_keeps_serving_and_swaps_the_alias(make_opensearch_backend):
    backend = make_opensearch_backend()
    other_worker = make_opensearch_backend(backend.alias)
    backend.rebuild([doc(1, "人口基本信息"), doc(2, "法人登记信息")])
    (old,) = own_indices(backend)
    seen_during = []

    def documents():
        yield doc(1, "人口基本信息（新版）")
        # halfway: the shop still answers from the old index, and an edit made now is kept
        seen_during.append(other_worker.query(SearchQuery(q="法人")).total)
        other_worker.index([doc(3, "营业执照新版")])
        yield doc(3, "营业执照旧版")  # read from the database before the edit
        yield doc(4, "不动产登记信息")

    assert backend.rebuild(documents()) == 3
    assert seen_during == [1]
    (new,) = own_indices(backend)
    assert new != old, "the old index is deleted after the swap"
    assert list(backend.client.indices.get_alias(name=backend.alias)) == [new]
    assert backend.query(SearchQuery(q="法人")).total == 0
    assert titles(backend.query(SearchQuery(q="营业执照")), backend) == ["营业执照新版"]
    assert other_worker.query(SearchQuery(sort="popular")).total == 3


def test_a_failed_rebuild_leaves_the_live_index_alone(make_opensearch_backend):
    backend = make_opensearch_backend()
    backend.rebuild([doc(1, "人口基本信息")])
    before = own_indices(backend)

    def broken():
        yield doc(2, "法人登记信息")
        raise RuntimeError("database went away")

    with pytest.raises(RuntimeError, match="database went away"):
        backend.rebuild(broken())
    assert own_indices(backend) == before
    assert backend.query(SearchQuery()).ids == [1]


def test_a_restarted_app_finds_what_was_indexed(search_cluster, tmp_path):
    def start(folder):
        settings = Settings.from_env({"MARKET_DATA_DIR": str(tmp_path / folder), "MARKET_SEARCH_URL": search_cluster,
                                      "MARKET_SEARCH_INDEX": "restart-check", "MARKET_SECRET_KEY": "x" * 32})
        return create_app({"MARKET": settings, "TESTING": True}).extensions["market.search"]

    first = start("one")
    assert isinstance(first, OpenSearchBackend) and first.alias == "restart-check"
    assert first.ping() is False, "nothing indexed yet"
    try:
        first.rebuild([doc(1, "人口基本信息"), doc(2, "法人登记信息")])
        second = start("two")
        assert second is not first
        assert second.ping() is True
        assert second.query(SearchQuery(q="人口")).ids == [1]
        assert second.suggest("法人") == ["法人登记信息"]
    finally:
        for name in own_indices(first):
            first.client.indices.delete(index=name)


def test_bulk_indexing_of_thousands_of_documents(make_opensearch_backend):
    backend = make_opensearch_backend(refresh=False)
    words = ["人口", "法人", "信用", "不动产登记", "营业执照", "社会保障"]
    n = 2000
    docs = [doc(i, f"{words[i % 6]}数据{i}", format=["CSV", "API"] if i % 5 == 0 else ["CSV"]) for i in range(1, n + 1)]
    assert backend.rebuild(docs) == n
    assert backend.count() == n

    page = backend.query(SearchQuery(q="营业执照", per_page=20))
    assert page.total == sum(1 for i in range(1, n + 1) if i % 6 == 4)
    assert len(page.hits) == 20
    assert sum(f.count for f in page.facets["level"]) == page.total
    assert {f.value: f.count for f in page.facets["format"]}["API"] == sum(
        1 for i in range(1, n + 1) if i % 6 == 4 and i % 5 == 0)

    replaced = BULK_CHUNK + 1  # one call, two bulk requests
    backend.index([doc(i, f"信用修复{i}") for i in range(1, replaced + 1)])
    backend.client.indices.refresh(index=backend.alias)
    assert backend.count() == n
    assert backend.query(SearchQuery(q="信用 修复")).total == replaced


def test_chinese_analysis_without_plugins(make_opensearch_backend, app):
    from search.synonyms import add_synonym

    backend = make_opensearch_backend()
    backend.rebuild([doc(1, "人口基本信息"), doc(2, "企业营业执照信息", summary="市场主体登记"),
                     doc(3, "常住人口统计")])
    assert set(backend.query(SearchQuery(q="renkou")).ids) == {1, 3}  # pinyin
    assert backend.query(SearchQuery(q="rkjbxx")).ids == [1]  # the title's initials
    assert backend.query(SearchQuery(q="人口统计")).ids == [3]  # a word indexed only in pieces
    assert backend.query(SearchQuery(q="法人")).total == 0
    add_synonym("企业", "法人")
    assert backend.query(SearchQuery(q="法人")).ids == [2]  # synonyms apply without a reindex


@pytest.mark.parametrize(("typo", "fixed"), [("营业执招", "营业执照"), ("renkuo", "人口"), ("yingyezhizao", "营业执照")])
def test_a_typo_gets_a_did_you_mean(make_opensearch_backend, typo, fixed):
    backend = make_opensearch_backend()
    backend.rebuild([doc(1, "营业执照信息"), doc(2, "常住人口统计"), doc(3, "医疗机构名录")])
    page = backend.query(SearchQuery(q=typo))
    assert page.did_you_mean == fixed
    assert backend.query(SearchQuery(q=page.did_you_mean)).total >= 1
    assert backend.query(SearchQuery(q="营业执照")).did_you_mean is None


def test_pages_past_the_result_window_still_count(make_opensearch_backend):
    backend = make_opensearch_backend()
    backend.rebuild([doc(1, "人口基本信息")])
    page = backend.query(SearchQuery(page=600, per_page=20))
    assert page.ids == [] and page.total == 1
    assert set(page.facets) == set(FACETS)


def test_commits_reach_the_cluster_and_rollbacks_do_not(app, make_opensearch_backend, make_dataset, monkeypatch):
    from market.db import db
    from search.service import search_datasets

    backend = make_opensearch_backend()
    backend.rebuild([])
    monkeypatch.setitem(app.extensions, "market.search", backend)
    ds = make_dataset("人口基本信息")  # committed: the after-commit hook indexes it
    page = search_datasets(SearchQuery(q="人口"))
    assert page.ids == [ds.id] and page.backend == "opensearch"
    ds.title = "法人登记信息"
    db.session.flush()
    db.session.rollback()
    assert backend.query(SearchQuery(q="法人")).total == 0
    assert backend.query(SearchQuery(q="人口")).ids == [ds.id]


def test_an_unreachable_cluster_is_reported_and_the_shop_falls_back(app, make_dataset, monkeypatch):
    from search.service import FALLBACK_NOTICE, search_datasets

    ds = make_dataset("人口基本信息")
    down = OpenSearchBackend("http://127.0.0.1:9", "market-datasets", timeout=2)  # discard port: refused
    assert down.ping() is False
    assert "unavailable" in down.unavailable_reason
    monkeypatch.setitem(app.extensions, "market.search", down)
    page = search_datasets(SearchQuery(q="人口"))
    assert page.ids == [ds.id] and page.notice == FALLBACK_NOTICE and page.backend == "database"


def test_an_index_with_another_mapping_is_reported(make_opensearch_backend):
    backend = make_opensearch_backend()
    foreign = f"{backend.alias}-{1:020d}"
    backend.client.indices.create(index=foreign, body={"mappings": {"properties": {"title": {"type": "text"}}}})
    backend.client.indices.update_aliases(body={"actions": [{"add": {"index": foreign, "alias": backend.alias}}]})
    assert backend.ping() is False
    assert "another mapping" in backend.unavailable_reason and "market reindex" in backend.unavailable_reason
    backend.rebuild([doc(1, "人口基本信息")])
    assert backend.ping() is True and backend.unavailable_reason == ""


def test_a_bad_index_name_is_refused_at_start():
    with pytest.raises(ValueError, match="MARKET_SEARCH_INDEX"):
        OpenSearchBackend("http://127.0.0.1:9", "Market Datasets")
