"""Scheduled harvests: sources kept in a table, managed by operators (page and CLI), run by the job
queue's periodic job when due, each run's report kept and shown."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from catalog.models import Dataset
from jobs.registry import get_periodic
from market.cli import cli
from market.db import db, utcnow
from opendata.harvest.schedule import JOB_NAME, harvest_due, save_source
from opendata.models import HarvestRun, HarvestSource
from tests.conftest import csrf_token

from .conftest import serving
from .test_harvest import remote  # noqa: F401  (fixture)


def _runs(source_id: int) -> list[HarvestRun]:
    return list(db.session.scalars(select(HarvestRun).where(HarvestRun.source_id == source_id).order_by(HarvestRun.id)))


def test_a_due_source_runs_once_then_waits_for_its_interval(app, remote):  # noqa: F811
    assert get_periodic(JOB_NAME) is not None and get_periodic(JOB_NAME).func is harvest_due
    source = save_source("ckan", remote.url, interval=60)
    paused = save_source("dcat", remote.url + "/catalog.ttl", interval=60, enabled=False)
    db.session.commit()
    now = utcnow()

    summary = harvest_due(now)
    assert "finished" in summary and "3 created" in summary
    runs = _runs(source.id)
    assert [(r.trigger, r.state.value, r.created) for r in runs] == [("schedule", "finished", 3)]
    assert _runs(paused.id) == []  # a paused source is not run

    assert harvest_due(now + timedelta(minutes=59)) is None  # not due again before its interval
    assert len(_runs(source.id)) == 1

    remote.add("EDU-003", "幼儿园名录")
    remote.change("EDU-001", status="retired")
    assert harvest_due(now + timedelta(minutes=60)) is not None
    second = _runs(source.id)[-1]
    assert (second.created, second.updated, second.unchanged, second.retired) == (1, 0, 2, 1)
    assert harvest_due(now + timedelta(minutes=61)) is None

    third = harvest_due(now + timedelta(minutes=120))  # a source that did not change: nothing changes here
    assert "0 created, 0 updated, 3 unchanged, 0 retired" in third


def test_a_failing_source_keeps_its_error_and_does_not_stop_the_others(app, remote):  # noqa: F811
    with serving(lambda environ, start: (start("500 Oops", [("Content-Type", "text/plain")]) or [b"no"])) as dead:
        bad = save_source("ckan", dead, interval=15)
        good = save_source("ckan", remote.url, interval=15)
        db.session.commit()
        harvest_due(utcnow())
    [failed] = _runs(bad.id)
    assert failed.state.value == "failed" and "HTTP 500" in failed.error
    assert _runs(good.id)[0].created == 3


def test_cli_add_list_remove(app, runner, remote):  # noqa: F811
    result = runner.invoke(cli, ["harvest", "sources", "add", "ckan", remote.url, "--interval", "30"])
    assert result.exit_code == 0, result.output
    source = db.session.scalar(select(HarvestSource))
    assert (source.interval_minutes, source.enabled) == (30, True)
    bad = runner.invoke(cli, ["harvest", "sources", "add", "ckan", "ftp://example.org", "--interval", "5"])
    assert bad.exit_code != 0 and "url" in bad.output and "interval" in bad.output

    harvest_due(utcnow())
    listing = runner.invoke(cli, ["harvest", "sources", "list"])
    assert remote.url in listing.output and "every 30 min" in listing.output and "3 created" in listing.output

    removed = runner.invoke(cli, ["harvest", "sources", "remove", str(source.id)])
    assert removed.exit_code == 0 and "3 harvested entries retired" in removed.output
    db.session.expire_all()
    assert db.session.scalar(select(HarvestSource)) is None
    assert {d.status.value for d in db.session.scalars(select(Dataset))} == {"retired"}
    assert "No harvest sources" in runner.invoke(cli, ["harvest", "sources", "list"]).output


def test_only_operators_see_the_sources_page(app, client, make_user, login):
    assert client.get("/harvest/sources").status_code in (302, 401)
    login(make_user("officer"))
    assert client.get("/harvest/sources").status_code == 403


def test_operators_manage_sources_on_the_page(app, client, make_user, login, remote):  # noqa: F811
    login(make_user("operator"))
    page = client.get("/harvest/sources")
    assert page.status_code == 200 and "还没有采集来源" in page.get_data(as_text=True)
    token = csrf_token(client, "/harvest/sources")
    assert client.post("/harvest/sources", data={"kind": "ckan", "url": remote.url}).status_code == 400  # no CSRF
    response = client.post("/harvest/sources", data={"csrf_token": token, "kind": "ckan", "url": remote.url,
                                                     "interval": "45", "enabled": "on"}, follow_redirects=True)
    assert "每 45 分钟采集一次" in response.get_data(as_text=True)
    source = db.session.scalar(select(HarvestSource))
    rejected = client.post("/harvest/sources", data={"csrf_token": token, "kind": "ckan", "url": "file:///etc/passwd"},
                           follow_redirects=True)
    assert "未能保存采集来源" in rejected.get_data(as_text=True)

    harvest_due(utcnow())
    html = client.get("/harvest/sources").get_data(as_text=True)
    assert "最近采集" in html and "定时" in html and "完成" in html

    client.post(f"/harvest/sources/{source.id}/toggle", data={"csrf_token": token})
    db.session.expire_all()
    assert db.session.get(HarvestSource, source.id).enabled is False
    client.post(f"/harvest/sources/{source.id}/remove", data={"csrf_token": token})
    db.session.expire_all()
    assert db.session.get(HarvestSource, source.id) is None
