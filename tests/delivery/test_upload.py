"""Uploading an entry's data: owners only; CSV/XLSX/JSON checked against the data items; errors name the
row and column and nothing is written."""

from __future__ import annotations

import io
import json

import pytest
from openpyxl import Workbook

from market.db import db

HEADER = "统一社会信用代码,企业名称,法定代表人,注册资本,成立日期"


@pytest.fixture
def owned(company_dataset, make_user, api_token):
    ds = company_dataset(3)
    officer = make_user("officer", department=ds.department)
    return ds, officer, api_token(officer)


def _post(client, ds, headers, name: str, data: bytes, mode: str = "replace"):
    return client.post(f"/api/v1/datasets/{ds.id}/data", headers=headers,
                       data={"file": (io.BytesIO(data), name), "mode": mode}, content_type="multipart/form-data")


def test_csv_replaces_the_rows(client, owned):
    from delivery import store

    ds, _officer, headers = owned
    body = (HEADER + "\n91320200MA1,甲公司,张三,100.5,2021/3/4\n91320200MA2,乙公司,,,\n").encode("utf-8-sig")
    resp = _post(client, ds, headers, "企业.csv", body)
    assert resp.status_code == 201, resp.get_json()
    assert resp.get_json()["rows"] == 2
    rows = list(store.iter_rows(ds.id))
    assert rows[0] == {"统一社会信用代码": "91320200MA1", "企业名称": "甲公司", "法定代表人": "张三", "注册资本": 100.5,
                       "成立日期": "2021-03-04"}
    assert rows[1]["注册资本"] is None
    assert store.find_by_key(ds.id, "91320200MA2")[0][1]["企业名称"] == "乙公司"


def test_gbk_csv_and_append(client, owned):
    from delivery import store

    ds, _officer, headers = owned
    resp = _post(client, ds, headers, "a.csv", (HEADER + "\n9132X,丙公司,李四,1,2020-01-01\n").encode("gbk"), "append")
    assert resp.status_code == 201 and store.row_count(ds.id) == 4


def test_xlsx_and_json_uploads(client, owned):
    from delivery import store

    ds, _officer, headers = owned
    wb = Workbook()
    ws = wb.active
    ws.append(HEADER.split(","))
    ws.append(["91320200MA9", "丁公司", "赵六", 12, "2022-05-06"])
    buf = io.BytesIO()
    wb.save(buf)
    assert _post(client, ds, headers, "d.xlsx", buf.getvalue()).status_code == 201
    assert list(store.iter_rows(ds.id, ["企业名称", "注册资本"])) == [{"企业名称": "丁公司", "注册资本": 12.0}]
    doc = [{"统一社会信用代码": "X1", "企业名称": "戊公司", "法定代表人": "钱七", "注册资本": "3", "成立日期": "2023-01-02"}]
    assert _post(client, ds, headers, "e.json", json.dumps(doc).encode()).status_code == 201
    assert store.row_count(ds.id) == 1


def test_missing_and_extra_columns_are_named(client, owned):
    ds, _officer, headers = owned
    resp = _post(client, ds, headers, "bad.csv", "统一社会信用代码,企业名称,电话\n1,2,3\n".encode())
    assert resp.status_code == 422
    err = resp.get_json()["error"]
    text = json.dumps(err, ensure_ascii=False)
    assert "法定代表人" in text and "注册资本" in text and "电话" in text
    assert err["code"] == "upload_invalid"


def test_type_errors_name_row_and_column_and_nothing_is_written(client, owned):
    from delivery import store

    ds, _officer, headers = owned
    before = [r["统一社会信用代码"] for r in store.iter_rows(ds.id)]
    body = (HEADER + "\n91A,甲,张,100,2021-01-01\n91B,乙,李,abc,2021-01-01\n91C,丙,王,5,2021-13-40\n").encode()
    resp = _post(client, ds, headers, "bad.csv", body)
    assert resp.status_code == 422
    fields = resp.get_json()["error"]["fields"]
    assert any(k.startswith("第 3 行") and "注册资本" in k for k in fields), fields
    assert any(k.startswith("第 4 行") and "成立日期" in k for k in fields), fields
    db.session.expire_all()
    assert [r["统一社会信用代码"] for r in store.iter_rows(ds.id)] == before  # nothing half-written
    assert store.row_count(ds.id) == 3


def test_only_owners_upload(client, owned, make_user, api_token):
    ds, _officer, _headers = owned
    stranger = make_user("officer")
    resp = _post(client, ds, api_token(stranger), "a.csv", (HEADER + "\n1,2,3,4,2020-01-01\n").encode())
    assert resp.status_code == 403


def test_unknown_file_type_and_broken_json(client, owned):
    ds, _officer, headers = owned
    assert _post(client, ds, headers, "a.pdf", b"%PDF").status_code == 422
    resp = _post(client, ds, headers, "a.json", b"[{")
    assert resp.status_code == 422 and "JSON" in resp.get_json()["error"]["message"]
    assert _post(client, ds, headers, "a.xlsx", b"not a zip").status_code == 422


def test_upload_page_shows_errors_per_row(client, owned, login):
    from tests.conftest import csrf_token

    ds, officer, _headers = owned
    login(officer)
    page = f"/datasets/{ds.id}/data"
    assert "上传文件" in client.get(page).get_data(as_text=True)
    body = (HEADER + "\n91B,乙,李,abc,2021-01-01\n").encode()
    html = client.post(page, data={"csrf_token": csrf_token(client, page), "mode": "replace",
                                   "file": (io.BytesIO(body), "x.csv")},
                       content_type="multipart/form-data").get_data(as_text=True)
    assert "没有写入任何数据" in html and "注册资本" in html and "应为数字" in html


def test_cli_load_and_purge(runner, company_dataset, tmp_path):
    import market.cli
    from delivery import store

    ds = company_dataset(3)
    good = tmp_path / "data.csv"
    good.write_text(HEADER + "\n91X,甲公司,张三,1,2020-01-01\n", encoding="utf-8")
    result = runner.invoke(market.cli.cli, ["delivery", "load", str(ds.id), str(good), "--append"])
    assert result.exit_code == 0, result.output
    assert "Loaded 1 rows" in result.output and store.row_count(ds.id) == 4
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "\n91Y,乙公司,李四,abc,2020-01-01\n", encoding="utf-8")
    result = runner.invoke(market.cli.cli, ["delivery", "load", str(ds.id), str(bad)])
    assert result.exit_code != 0 and "注册资本" in result.output
    assert store.row_count(ds.id) == 4
    result = runner.invoke(market.cli.cli, ["delivery", "purge-counters"])
    assert result.exit_code == 0 and "rate counters deleted" in result.output
