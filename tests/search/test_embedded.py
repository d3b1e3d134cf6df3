"""The embedded backend in the app: default choice, after-commit updates, several processes,
rebuilds that swap atomically, a missing or corrupt index reported and survived, facets, visibility,
synonyms maintained by operators."""

from __future__ import annotations

import multiprocessing
import shutil
from pathlib import Path

import pytest

from market.db import db
from search.base import FACETS, SearchQuery
from search.embedded import EmbeddedBackend, IndexUnavailable
from search.service import FALLBACK_NOTICE, search_datasets
from search.synonyms import SynonymError, add_synonym

from .test_relevance import doc


def test_embedded_is_the_default_backend(app):
    backend = app.extensions["market.search"]
    assert isinstance(backend, EmbeddedBackend)
    assert backend.store.root == app.config["MARKET"].data_dir / "search"


def test_committed_changes_are_searchable_and_rolled_back_ones_are_not(app, make_dataset):
    ds = make_dataset("不动产登记簿信息")
    assert search_datasets(SearchQuery(q="不动产登记")).ids == [ds.id]
    ds.title = "婚姻登记信息"
    db.session.flush()
    db.session.rollback()
    assert search_datasets(SearchQuery(q="婚姻登记")).ids == []
    assert search_datasets(SearchQuery(q="不动产登记")).ids == [ds.id]
    ds.title = "婚姻登记信息"
    db.session.commit()
    assert search_datasets(SearchQuery(q="婚姻登记")).ids == [ds.id]
    db.session.delete(ds)
    db.session.commit()
    assert search_datasets(SearchQuery(q="婚姻登记")).total == 0


def _writer(path: str, start: int, n: int) -> None:
    backend = EmbeddedBackend(path)
    for i in range(start, start + n):  # one commit per document: many short writer sessions
        backend.index([doc(i, f"并发写入测试{i}", summary="多进程")])


def _reader(path: str, queue) -> None:
    queue.put(EmbeddedBackend(path).query(SearchQuery(q="多进程", per_page=100)).total)


def test_two_processes_write_and_others_read_the_same_index(tmp_path):
    path = str(tmp_path / "search")
    parent = EmbeddedBackend(path)
    assert parent.query(SearchQuery(q="多进程")).total == 0  # the parent's reader is open before the writes
    ctx = multiprocessing.get_context("spawn")
    workers = [ctx.Process(target=_writer, args=(path, start, 6)) for start in (1, 101)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(60)
        assert w.exitcode == 0
        w.close()
    assert parent.query(SearchQuery(q="多进程", per_page=100)).total == 12
    parent.index([doc(500, "父进程写入", summary="多进程")])
    queue = ctx.Queue()
    reader = ctx.Process(target=_reader, args=(path, queue))
    reader.start()
    assert queue.get(timeout=60) == 13
    reader.join(60)
    reader.close()
    queue.close()
    queue.join_thread()


def test_rebuild_swaps_atomically_and_keeps_updates_made_meanwhile(tmp_path):
    path = tmp_path / "search"
    live = EmbeddedBackend(path)
    live.index([doc(1, "旧标题")])
    other_worker = EmbeddedBackend(path)

    def documents():
        yield doc(2, "新标题")
        # another worker commits while the rebuild runs: it must survive the swap
        other_worker.index([doc(3, "重建期间的修改")])
        assert live.query(SearchQuery(q="旧标题")).ids == [1]  # searches keep using the old generation
        yield doc(4, "新标题二")

    assert live.rebuild(documents()) == 2
    assert sorted(live.query(SearchQuery(q="", per_page=10)).ids) == [2, 3, 4]
    assert not (path / "journal.jsonl").exists()
    assert len(list(path.glob("gen-*"))) <= 2


def test_failed_rebuild_leaves_the_live_index_alone(tmp_path):
    backend = EmbeddedBackend(tmp_path / "search")
    backend.index([doc(1, "保留的条目")])

    def broken():
        yield doc(2, "半途")
        raise RuntimeError("database went away")

    with pytest.raises(RuntimeError):
        backend.rebuild(broken())
    assert backend.query(SearchQuery(q="保留")).ids == [1]
    assert backend.ping()


def _break(path: Path, how: str) -> None:
    gen = path / (path / "CURRENT").read_text().strip()
    if how == "missing":
        shutil.rmtree(gen)
    else:
        (gen / "meta.json").write_text("{not json")


@pytest.mark.parametrize(("how", "word"), [("missing", "missing"), ("corrupt", "corrupt")])
def test_broken_index_is_reported_and_raises_clearly(tmp_path, how, word):
    backend = EmbeddedBackend(tmp_path / "search")
    backend.index([doc(1, "人口信息")])
    _break(tmp_path / "search", how)
    assert backend.ping() is False
    assert word in backend.unavailable_reason and "market reindex" in backend.unavailable_reason
    with pytest.raises(IndexUnavailable, match=word):
        backend.query(SearchQuery(q="人口"))
    backend.rebuild([doc(1, "人口信息")])  # reindex repairs it
    assert backend.ping() and backend.query(SearchQuery(q="人口")).ids == [1]


def test_healthz_and_shop_fall_back_when_the_index_is_gone(app, client, make_dataset, tmp_path, monkeypatch):
    backend = EmbeddedBackend(tmp_path / "search")
    monkeypatch.setitem(app.extensions, "market.search", backend)
    ds = make_dataset("人口基本信息")
    assert search_datasets(SearchQuery(q="人口")).backend == "embedded"
    _break(tmp_path / "search", "missing")
    resp = client.get("/healthz")
    assert resp.status_code == 503
    checks = resp.get_json()["checks"]
    assert checks["search"] == "unavailable" and "missing" in checks["search_reason"]
    page = search_datasets(SearchQuery(q="人口"))
    assert page.ids == [ds.id] and page.backend == "database" and page.notice == FALLBACK_NOTICE


def test_reindex_command_rebuilds_from_the_database(app, runner, make_dataset):
    from market.cli import cli

    first = make_dataset("社会保障卡发放信息")
    second = make_dataset("养老保险参保信息")
    backend = app.extensions["market.search"]
    backend.clear()
    assert search_datasets(SearchQuery(q="社会保障卡")).total == 0
    result = runner.invoke(cli, ["reindex"])
    assert result.exit_code == 0, result.output
    assert "Indexed 2 datasets into the embedded backend." in result.output
    assert search_datasets(SearchQuery(q="社会保障卡")).ids == [first.id]
    assert search_datasets(SearchQuery(q="养老保险")).ids == [second.id]


def test_synonym_commands_change_searches_at_once(app, runner, make_dataset):
    from market.cli import cli

    ds = make_dataset("法人基本信息")
    assert search_datasets(SearchQuery(q="企业")).total == 0
    result = runner.invoke(cli, ["synonyms", "add", "企业", "法人"])
    assert result.exit_code == 0, result.output
    assert search_datasets(SearchQuery(q="企业")).ids == [ds.id]
    assert runner.invoke(cli, ["synonyms", "list"]).output.strip() == "企业\t法人"
    assert runner.invoke(cli, ["synonyms", "remove", "法人", "企业"]).exit_code == 0
    assert search_datasets(SearchQuery(q="企业")).total == 0
    missing = runner.invoke(cli, ["synonyms", "remove", "法人", "企业"])
    assert missing.exit_code != 0 and "is not a synonym pair" in missing.output
    bad = runner.invoke(cli, ["synonyms", "add", "企业", "企业"])
    assert bad.exit_code != 0 and "cannot be a synonym of itself" in bad.output


def test_synonym_service_rejects_terms_with_spaces(app):
    with pytest.raises(SynonymError, match="contains a space"):
        add_synonym("居民 身份证", "身份证")


@pytest.fixture
def catalog(tmp_path):
    backend = EmbeddedBackend(tmp_path / "search")
    docs = []
    for i, (dept, share, fmt, tags) in enumerate([
        ("D1", "conditional", ["CSV"], ["人口"]), ("D1", "unconditional", ["CSV", "JSON"], ["人口", "户籍"]),
        ("D2", "conditional", ["XLSX"], []), ("D2", "none", ["CSV"], ["户籍"]), ("D3", "conditional", ["JSON"], []),
    ], start=1):
        docs.append(doc(i, f"人口数据{i}", department=dept, department_name=f"部门{dept}", department_id=int(dept[1]),
                        share_attribute=share, format=fmt, tags=tags, tag=tags, level=str(1 + i % 3)))
    docs.append(doc(6, "人口草稿", status="draft", department="D9", department_id=9))
    docs.append(doc(7, "人口内部数据", open_attribute="closed", department="D9", department_id=9))
    backend.rebuild(docs)
    return backend


def test_facets_are_disjunctive_and_agree_with_the_filtered_total(catalog):
    page = catalog.query(SearchQuery(q="人口", filters={"department": ["D1", "D2"], "share_attribute": ["conditional"]}))
    assert sorted(page.ids) == [1, 3]
    assert page.total == 2
    single_valued = ("category", "open_attribute", "level", "update_frequency")
    for name in single_valued:
        assert sum(f.count for f in page.facets[name]) == page.total, name
    assert set(page.facets) == set(FACETS)
    # a facet's own selection does not narrow its counts: other departments stay selectable
    departments = {f.value: (f.count, f.label) for f in page.facets["department"]}
    assert departments == {"D1": (1, "部门D1"), "D2": (1, "部门D2"), "D3": (1, "部门D3"), "D9": (1, "市数据局")}
    shares = {f.value: f.count for f in page.facets["share_attribute"]}
    assert shares == {"conditional": 2, "unconditional": 1, "none": 1}
    assert {f.value: f.count for f in page.facets["format"]} == {"CSV": 1, "XLSX": 1}


def test_visibility_statuses_open_only_and_department_scope(catalog):
    assert 6 not in catalog.query(SearchQuery(q="人口", per_page=50)).ids
    assert 6 in catalog.query(SearchQuery(q="人口", per_page=50, statuses=("published", "draft"))).ids
    assert 7 not in catalog.query(SearchQuery(q="人口", per_page=50, open_only=True)).ids
    scoped = catalog.query(SearchQuery(q="人口", department_scope=2))
    assert sorted(scoped.ids) == [3, 4] and scoped.total == 2


def test_sorts_and_pages(catalog):
    every = catalog.query(SearchQuery(q="人口", per_page=50)).ids
    first = catalog.query(SearchQuery(q="人口", per_page=2, page=1)).ids
    second = catalog.query(SearchQuery(q="人口", per_page=2, page=2)).ids
    assert first + second == every[:4]
    newest = catalog.query(SearchQuery(q="人口", sort="newest", per_page=50))
    assert sorted(newest.ids) == sorted(every)
