"""Tracing leaked copies back to their grant: ``market trace FILE`` among 50 grants of one entry."""

from __future__ import annotations

import json
import random

import market.cli
from market.db import db

from .conftest import NAMES, csv_text, csv_via_xlsx, delivered, leak


def _trace(runner, path):
    return runner.invoke(market.cli.cli, ["trace", str(path)])


def _requester_line(grant) -> list[str]:
    req = grant.line.request
    return [f"grant {grant.id} ", f"request {req.id} ", req.requester.username, req.department.name,
            grant.granted_at.strftime("%Y-%m-%d")]


def test_headerless_shuffled_subset_names_the_grant_among_50(fifty_grants, runner, tmp_path):
    grants = fifty_grants[1]
    thief = grants[23]
    rows = leak(delivered(thief), keep=0.7)
    assert len(rows) == 3500
    path = tmp_path / "leak.csv"
    path.write_text(csv_text(rows, NAMES, header=False), encoding="utf-8")

    result = _trace(runner, path)

    assert result.exit_code == 0, result.output
    first = result.output.splitlines()[1]
    assert first.startswith("match: ")
    for part in _requester_line(thief):
        assert part in first
    assert "also consistent" not in result.output  # no other grant of the 50 passes


def test_csv_to_xlsx_and_back_keeps_the_fingerprint(fifty_grants, runner, tmp_path):
    grants = fifty_grants[1]
    thief = grants[7]
    rows = leak(delivered(thief), keep=0.7, seed=11)
    text = csv_via_xlsx(csv_text(rows, NAMES, header=False), tmp_path)
    assert "无锡" in text and text != csv_text(rows, NAMES, header=False)  # numbers were reformatted
    path = tmp_path / "roundtrip.csv"
    path.write_text(text, encoding="utf-8")

    result = _trace(runner, path)

    assert result.exit_code == 0, result.output
    assert f"match: grant {thief.id} " in result.output


def test_a_few_hundred_rows_with_dropped_columns_are_enough(fifty_grants, runner, tmp_path):
    grants = fifty_grants[1]
    thief = grants[41]
    rows = leak(delivered(thief), keep=0.06, seed=5)  # 300 rows
    kept = ["企业名称", "统一社会信用代码", "注册资本", "住所"]  # columns re-ordered and some dropped
    path = tmp_path / "few.csv"
    path.write_text("# exported for review\n" + csv_text(rows, kept), encoding="utf-8")

    result = _trace(runner, path)

    assert result.exit_code == 0, result.output
    assert f"match: grant {thief.id} " in result.output


def test_json_and_xlsx_copies_from_the_delivery_writers(fifty_grants, tmp_path):
    from delivery.formats import stream
    from watermark import trace_file

    grants = fifty_grants[1]
    thief = grants[2]
    rows = delivered(thief)[:800]
    for fmt in ("json", "xlsx"):
        data = b"".join(stream(fmt, NAMES, iter(rows)))
        path = tmp_path / f"copy.{fmt}"
        path.write_bytes(data)
        result = trace_file(str(path))
        assert result.matched, (fmt, result.reason)
        assert [f.grant_id for f in result.findings] == [thief.id]
        assert result.best.requester == thief.line.request.requester.username


def test_undelivered_original_is_no_match(fifty_grants, runner, tmp_path):
    from delivery import store

    ds = fifty_grants[0]
    rows = leak(list(store.iter_rows(ds.id, NAMES)), keep=0.7)
    path = tmp_path / "original.csv"
    path.write_text(csv_text(rows, NAMES, header=False), encoding="utf-8")

    result = _trace(runner, path)

    assert result.exit_code == 1, result.output
    assert "no match" in result.output
    assert "3500 rows match entry" in result.output


def test_file_of_another_entry_is_no_match(fifty_grants, company_entry, make_user, make_grant, runner, tmp_path):
    from delivery import store

    _ds, _grants = fifty_grants
    other = company_entry(2000, seed=99, prefix="91320500MB", title="苏州企业登记信息")
    make_grant(make_user("requester"), other)  # the other entry has a grant, but this copy is not from it
    rows = list(store.iter_rows(other.id, NAMES))
    path = tmp_path / "other.csv"
    path.write_text(csv_text(rows, NAMES), encoding="utf-8")

    result = _trace(runner, path)

    assert result.exit_code == 1, result.output
    assert "no match" in result.output


def test_unrelated_file_is_no_match(fifty_grants, runner, tmp_path):
    path = tmp_path / "unrelated.json"
    path.write_text(json.dumps([{"城市": "无锡", "人口": 7_490_000 + i} for i in range(500)]), encoding="utf-8")

    result = _trace(runner, path)

    assert result.exit_code == 1
    assert "no match: no rows of the file match" in result.output


def test_too_few_rows_is_no_match_not_a_guess(fifty_grants, runner, tmp_path):
    grants = fifty_grants[1]
    rows = leak(delivered(grants[0]), keep=0.002)  # 10 rows: about two marks, no proof
    path = tmp_path / "tiny.csv"
    path.write_text(csv_text(rows, NAMES), encoding="utf-8")

    result = _trace(runner, path)

    assert result.exit_code == 1, result.output
    assert "no match" in result.output


def test_merged_copies_name_both_grants(fifty_grants):
    from watermark.readers import read_table
    from watermark.services import trace_loaded

    grants = fifty_grants[1]
    a, b = grants[4], grants[30]
    rows = leak(delivered(a), keep=0.3, seed=1) + leak(delivered(b), keep=0.3, seed=2)
    result = trace_loaded(read_table(csv_text(rows, NAMES).encode(), "merged.csv"))
    assert result.matched
    assert sorted(f.grant_id for f in result.findings) == sorted([a.id, b.id])


def test_trace_is_recorded_in_the_audit_chain(fifty_grants, runner, tmp_path):
    from sqlalchemy import select

    from audit.models import AuditEvent

    grants = fifty_grants[1]
    path = tmp_path / "leak.csv"
    path.write_text(csv_text(leak(delivered(grants[9]), keep=0.2), NAMES), encoding="utf-8")
    assert _trace(runner, path).exit_code == 0
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "watermark.trace")).one()
    assert event.object_id == str(grants[9].id)
    assert event.payload["matched"] is True


def test_unreadable_file_exits_2(app, runner, tmp_path):
    path = tmp_path / "broken.xlsx"
    path.write_bytes(b"PK\x03\x04 not really a workbook")
    result = _trace(runner, path)
    assert result.exit_code == 2
    assert "cannot read" in result.output


def test_end_to_end_download_then_trace(fifty_grants, client, api_token, runner, tmp_path):
    """A requester downloads through the delivery endpoint; the leaked copy traces back to that download."""
    grants = fifty_grants[1]
    thief = grants[17]
    user = thief.line.request.requester
    resp = client.get(f"/api/v1/grants/{thief.id}/download?format=csv", headers=api_token(user))
    assert resp.status_code == 200
    lines = resp.get_data().decode("utf-8-sig").splitlines()
    assert lines[0].split(",") == NAMES
    body = lines[1:]
    random.Random(4).shuffle(body)
    path = tmp_path / "downloaded.csv"
    path.write_text("\n".join(body[: int(len(body) * 0.7)]), encoding="utf-8")

    result = _trace(runner, path)

    assert result.exit_code == 0, result.output
    assert f"match: grant {thief.id} " in result.output
    assert "as csv (5000 rows)" in result.output  # the ledger's record of the delivered copy


def test_re_downloads_carry_the_same_marks(fifty_grants, client, api_token):
    grants = fifty_grants[1]
    grant = grants[0]
    headers = api_token(grant.line.request.requester)
    url = f"/api/v1/grants/{grant.id}/download?format=csv"
    first, second = client.get(url, headers=headers).get_data(), client.get(url, headers=headers).get_data()
    assert first == second
    other = grants[10]
    third = client.get(f"/api/v1/grants/{other.id}/download?format=csv",
                       headers=api_token(other.line.request.requester)).get_data()
    assert third != first  # another grant, other marks


def test_entry_without_a_key_column(make_dataset, make_user, make_grant, runner, tmp_path):
    """Air-quality readings have no key item: rows are known by station and time (and their text)."""
    from datetime import datetime, timedelta

    from catalog.models import DataItem
    from delivery import store

    items = [("监测站点", "string"), ("监测时间", "datetime"), ("AQI", "integer"), ("PM2.5浓度", "decimal"),
             ("首要污染物", "string"), ("气温", "decimal")]
    ds = make_dataset("空气质量小时监测数据", items=[])
    for pos, (name, kind) in enumerate(items):
        ds.items.append(DataItem(position=pos, name=name, type=kind, sensitive=False))
    db.session.commit()
    rnd = random.Random(8)
    stations = [f"{d}{s}站" for d in ("梁溪区", "锡山区", "惠山区", "滨湖区") for s in ("东亭", "南站", "中心", "北郊", "湖畔")]
    start = datetime(2026, 3, 1)
    rows = [{"监测站点": st, "监测时间": (start + timedelta(hours=h)).isoformat(sep=" "),
             "AQI": rnd.randrange(20, 260), "PM2.5浓度": round(rnd.uniform(5, 150), 1),
             "首要污染物": rnd.choice(("细颗粒物(PM2.5)", "臭氧", "—")), "气温": round(rnd.uniform(-3, 25), 1)}
            for h in range(250) for st in stations]
    store.replace_rows(ds.id, rows, source="test")
    db.session.commit()
    assert store.key_column(ds.id) is None
    names = [n for n, _k in items]
    grants = [make_grant(make_user("requester"), ds, names) for _ in range(8)]
    thief = grants[5]
    path = tmp_path / "aqi.csv"
    path.write_text(csv_text(leak(delivered(thief), keep=0.5), names, header=False), encoding="utf-8")

    result = _trace(runner, path)

    assert result.exit_code == 0, result.output
    assert f"match: grant {thief.id} " in result.output
    assert "also consistent" not in result.output


def test_demo_trace_sample_traces_to_its_grant(fifty_grants, tmp_path):
    from watermark import trace_file
    from watermark.demo import SAMPLE_ROWS, write_trace_sample

    grants = fifty_grants[1]
    path, grant_id = write_trace_sample(tmp_path)
    assert grant_id == grants[0].id
    assert len(path.read_text(encoding="utf-8").splitlines()) == SAMPLE_ROWS
    result = trace_file(str(path))
    assert [f.grant_id for f in result.findings] == [grant_id]


def test_demo_without_grants_writes_nothing(app, tmp_path):
    from watermark.demo import write_trace_sample

    assert write_trace_sample(tmp_path) is None
    assert not list(tmp_path.iterdir())


def test_grants_with_other_items_do_not_disturb_the_trace(fifty_grants, make_user, make_grant, tmp_path):
    """Grants of the same entry with fewer items (no key, only a sensitive item) are scored too."""
    from watermark import trace_file

    ds, grants = fifty_grants
    make_grant(make_user("requester"), ds, ["法定代表人"])  # nothing to pair rows by: no prediction
    partial = make_grant(make_user("requester"), ds, ["企业名称", "注册资本", "成立日期", "住所"])
    path = tmp_path / "leak.csv"
    path.write_text(csv_text(leak(delivered(grants[3]), keep=0.1), NAMES, header=False), encoding="utf-8")
    assert [f.grant_id for f in trace_file(str(path)).findings] == [grants[3].id]

    cols = ["企业名称", "注册资本", "成立日期", "住所"]
    path.write_text(csv_text(leak(delivered(partial, cols), keep=0.1), cols), encoding="utf-8")
    res = trace_file(str(path))
    assert [f.grant_id for f in res.findings] == [partial.id]
