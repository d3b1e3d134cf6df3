"""Harvest (目录级联) from a second instance of this app (CKAN API and DCAT) and from a CKAN-shaped
fixture server: incremental, idempotent, removals retired, harvested entries read-only."""

from __future__ import annotations

import json
from urllib.parse import parse_qs

import pytest
from sqlalchemy import func, select

from catalog.models import Dataset, DatasetChange
from catalog.permissions import can_manage
from market.cli import cli
from market.db import db
from opendata.harvest import HarvestFailed, harvest_ckan, harvest_dcat
from opendata.models import HarvestedDataset, HarvestRun

from .conftest import serving

MAPPED = ("title", "summary", "update_frequency", "update_frequency_text", "open_attribute", "open_condition_text",
          "share_attribute", "level", "published_at", "source_updated_at")


def mapped(ds: Dataset) -> dict:
    """The fields a harvest must carry over without loss."""
    out = {k: getattr(getattr(ds, k), "value", getattr(ds, k)) for k in MAPPED}
    out |= {"department": ds.department.name, "category": ds.category.name if ds.category else None,
            "tags": set(ds.tags), "formats": set(ds.formats), "delivery_modes": set(ds.delivery_modes),
            "items": [(i.name, i.type, i.description, i.sensitive) for i in ds.items]}
    return out


def local(code_or_title: str) -> Dataset:
    return db.session.scalar(select(Dataset).where(Dataset.title == code_or_title))


@pytest.fixture
def remote(second_instance):
    second_instance.add("EDU-001", "中小学名录", tags=("学校", "教育"))
    second_instance.add("EDU-002", "教师资格统计", open_attribute="conditional", level=3, formats=("XLSX",),
                        update_frequency_text="每月", open_condition_text="依申请开放")
    second_instance.add("HEA-001", "医疗机构名录", department="市卫健委", category="医疗", tags=("医院",))
    second_instance.add("EDU-900", "学生学籍明细", open_attribute="closed", level=3)
    second_instance.add("EDU-901", "草稿", status="draft")
    return second_instance


def remote_mapped(remote, title: str) -> dict:
    with remote.context():
        return mapped(db.session.scalar(select(Dataset).where(Dataset.title == title)))


def _history_rows() -> int:
    return db.session.scalar(select(func.count()).select_from(DatasetChange))


def test_ckan_harvest_from_a_second_instance_is_incremental(app, remote):
    run = harvest_ckan(remote.url, rows=2)
    assert (run.created, run.updated, run.unchanged, run.retired, run.failed) == (3, 0, 0, 0, 0)
    for title in ("中小学名录", "教师资格统计", "医疗机构名录"):
        assert mapped(local(title)) == remote_mapped(remote, title), title
    assert local("学生学籍明细") is None and local("草稿") is None  # closed and drafts never leave the source

    history = _history_rows()
    again = harvest_ckan(remote.url, rows=2)
    assert (again.created, again.updated, again.unchanged, again.retired) == (0, 0, 3, 0)
    assert _history_rows() == history  # a second harvest of an unchanged source changes nothing

    remote.change("EDU-001", title="中小学校名录", level=1)
    remote.change("HEA-001", status="retired")
    third = harvest_ckan(remote.url, rows=2)
    assert (third.created, third.updated, third.unchanged, third.retired) == (0, 1, 1, 1)
    assert local("中小学校名录").level == 1
    assert local("医疗机构名录").status.value == "retired"
    change = db.session.scalars(select(DatasetChange).where(DatasetChange.action == "updated")).one()
    assert change.changes["title"] == ["中小学名录", "中小学校名录"]

    remote.change("HEA-001", status="published")
    back = harvest_ckan(remote.url, rows=2)
    assert (back.updated, back.unchanged) == (1, 2) and local("医疗机构名录").status.value == "published"


def test_ckan_harvest_of_one_organization(app, remote):
    with remote.context():
        code = db.session.scalar(select(Dataset).where(Dataset.code == "HEA-001")).department.code
    run = harvest_ckan(remote.url, organization=code)
    assert run.created == 1 and local("医疗机构名录") is not None and local("中小学名录") is None


def test_dcat_export_round_trips_through_harvest_dcat(app, remote):
    run = harvest_dcat(f"{remote.url}/catalog.ttl?per_page=2")  # two hydra pages
    assert (run.created, run.failed) == (3, 0)
    for title in ("中小学名录", "教师资格统计", "医疗机构名录"):
        assert mapped(local(title)) == remote_mapped(remote, title), title
    history = _history_rows()
    again = harvest_dcat(f"{remote.url}/catalog.ttl?per_page=2")
    assert (again.unchanged, again.updated, again.retired) == (3, 0, 0) and _history_rows() == history

    remote.change("EDU-002", status="retired")
    third = harvest_dcat(f"{remote.url}/catalog.ttl?per_page=2")
    assert (third.unchanged, third.retired) == (2, 1)
    assert local("教师资格统计").status.value == "retired"

    jsonld = harvest_dcat(f"{remote.url}/catalog.jsonld")  # another source: the same entries once more
    assert jsonld.created == 2 and jsonld.failed == 0


# --- a CKAN-shaped fixture server (a generic CKAN, none of our extras) -----------------------------
def _package(n: int, **extra) -> dict:
    return {"id": f"pkg-{n}", "name": f"pkg-{n}", "title": f"外部数据集{n}", "notes": "省级平台的数据",
            "organization": {"name": "prov-stats", "title": "省统计局"}, "groups": [{"name": "econ", "title": "经济"}],
            "tags": [{"name": "统计"}], "resources": [{"format": "csv"}, {"format": "API"}],
            "license_title": "无条件开放", "frequency": "每季度", "metadata_created": f"2024-01-0{n}T08:00:00",
            "metadata_modified": "2024-05-01T08:00:00", **extra}


class FixtureCkan:
    """Answers package_search pages from a list of packages, like CKAN (rows/start/fq)."""

    def __init__(self, packages: list[dict]):
        self.packages, self.queries = packages, []

    def __call__(self, environ, start_response):
        query = {k: v[-1] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
        self.queries.append((environ["PATH_INFO"], query))
        if environ["PATH_INFO"] != "/api/3/action/package_search":
            start_response("404 Not Found", [("Content-Type", "application/json")])
            return [json.dumps({"success": False, "error": {"__type": "Not Found Error", "message": "nope"}}).encode()]
        start, rows = int(query.get("start", 0)), int(query.get("rows", 10))
        body = {"success": True, "result": {"count": len(self.packages),
                                             "results": self.packages[start:start + rows]}}
        start_response("200 OK", [("Content-Type", "application/json")])
        return [json.dumps(body, ensure_ascii=False).encode()]


def test_harvest_from_a_ckan_shaped_fixture_server(app):
    fixture = FixtureCkan([_package(1), _package(2), _package(3, title=None), _package(4)])
    with serving(fixture) as url:
        run = harvest_ckan(url, rows=2)
        assert (run.created, run.failed) == (3, 1)
        assert any("pkg-3" in p and "title" in p for p in run.problems)
        ds = local("外部数据集1")
        assert ds.department.name == "省统计局" and ds.category.name == "经济" and ds.tags == ["统计"]
        assert ds.open_attribute.value == "open" and ds.update_frequency.value == "quarterly"
        assert set(ds.formats) == {"CSV", "API"} and set(ds.delivery_modes) == {"download", "api"}
        assert [q for p, q in fixture.queries][:2] == [{"q": "*:*", "rows": "2", "sort": "name asc", "start": "0"},
                                                       {"q": "*:*", "rows": "2", "sort": "name asc", "start": "2"}]

        fixture.packages = [_package(1), _package(4, notes="已更新")]
        second = harvest_ckan(url, rows=2)
        assert (second.unchanged, second.updated, second.retired, second.failed) == (1, 1, 1, 0)
        assert local("外部数据集2").status.value == "retired"
        assert local("外部数据集4").summary == "已更新"


def test_an_unreachable_source_fails_without_retiring(app, remote):
    harvest_ckan(remote.url)
    with serving(FixtureCkan([])) as url:
        pass  # the server is gone: its port now refuses connections
    with pytest.raises(HarvestFailed) as failure:
        harvest_ckan(url)
    assert "cannot connect" in str(failure.value)
    assert failure.value.run.state.value == "failed"
    assert db.session.scalar(select(func.count()).select_from(Dataset).where(Dataset.status == "retired")) == 0


def test_cli_shows_the_run_report(app, runner, remote):
    result = runner.invoke(cli, ["harvest", "ckan", remote.url])
    assert result.exit_code == 0, result.output
    assert "3 created, 0 updated, 0 unchanged, 0 retired, 0 failed" in result.output
    again = runner.invoke(cli, ["harvest", "dcat", f"{remote.url}/catalog.ttl"])
    assert again.exit_code == 0 and "3 created" in again.output
    assert db.session.scalar(select(func.count()).select_from(HarvestRun)) == 2
    bad = runner.invoke(cli, ["harvest", "ckan", "http://127.0.0.1:9/"])
    assert bad.exit_code != 0 and "harvest failed" in bad.output


def test_harvested_entries_show_their_source_and_are_read_only(app, client, make_user, make_dataset, remote, api_token):
    harvest_ckan(remote.url)
    ds = local("中小学名录")
    link = db.session.get(HarvestedDataset, ds.id)
    assert link.remote_id == "EDU-001"
    page = client.get(f"/datasets/{ds.id}").get_data(as_text=True)
    assert "目录来源" in page and "EDU-001" in page and remote.url in page

    officer = make_user("officer", department=ds.department)
    headers = api_token(officer)
    client = app.test_client()  # a token caller without the page visit's cookies
    assert client.patch(f"/api/v1/datasets/{ds.id}", json={"title": "改名"}, headers=headers).status_code == 403
    assert client.post(f"/api/v1/datasets/{ds.id}/retire", json={}, headers=headers).status_code == 403
    operator = make_user("operator")
    resp = client.post(f"/api/v1/datasets/{ds.id}/retire", json={"reason": "停用"}, headers=api_token(operator))
    assert resp.status_code == 200  # the platform operator may still withdraw a harvested entry
    assert not can_manage(ds, officer) and can_manage(ds, operator)
    own = make_dataset("本部门自有目录", department=ds.department)
    assert can_manage(own, officer)  # only harvested entries are read-only
