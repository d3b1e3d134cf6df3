"""Bulk download: exactly the granted items in CSV/JSON/XLSX, 403 for expired/revoked/level 4, open data
without login, every copy in the ledger and the audit chain."""

from __future__ import annotations

import csv
import io
import json

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from market.db import db

GRANTED = ["统一社会信用代码", "企业名称", "法定代表人"]


def _csv(resp) -> list[list[str]]:
    return list(csv.reader(io.StringIO(resp.get_data().decode("utf-8-sig"))))


@pytest.fixture
def granted(company_dataset, make_user, make_grant):
    ds = company_dataset(30, open_attribute="closed")
    user = make_user("requester")
    return ds, user, make_grant(user, ds, GRANTED)


def test_csv_has_exactly_the_granted_items(client, granted, api_token):
    _ds, user, grant = granted
    resp = client.get(f"/api/v1/grants/{grant.id}/download?format=csv", headers=api_token(user))
    assert resp.status_code == 200, resp.get_json()
    assert resp.mimetype == "text/csv"
    assert "attachment" in resp.headers["Content-Disposition"]
    rows = _csv(resp)
    assert rows[0] == GRANTED
    assert len(rows) == 31
    # sensitive item granted: in the clear (the watermark may touch whitespace, never the content)
    assert [v.strip() for v in rows[1]] == ["91320213MA00000000", "无锡测试0有限公司", "王0"]


def test_json_and_xlsx_have_exactly_the_granted_items(client, granted, api_token):
    _ds, user, grant = granted
    headers = api_token(user)
    doc = json.loads(client.get(f"/api/v1/grants/{grant.id}/download?format=json", headers=headers).get_data())
    assert doc["columns"] == GRANTED
    assert len(doc["rows"]) == 30 and set(doc["rows"][5]) == set(GRANTED)
    assert doc["rows"][5]["企业名称"].strip() == "无锡测试5有限公司"
    resp = client.get(f"/api/v1/grants/{grant.id}/download?format=xlsx", headers=headers)
    assert resp.status_code == 200
    sheet = load_workbook(io.BytesIO(resp.get_data()), read_only=True).worksheets[0]
    values = list(sheet.iter_rows(values_only=True))
    assert list(values[0]) == GRANTED and len(values) == 31
    assert values[30][0] == "91320213MA00000029"


def test_each_copy_is_in_the_ledger_and_audit_chain(client, granted, api_token):
    from audit.models import AuditEvent
    from delivery.ledger import copies_of_grant, user_received

    ds, user, grant = granted
    assert user_received(user.id, ds.id)  # holds a grant
    client.get(f"/api/v1/grants/{grant.id}/download?format=csv", headers=api_token(user)).get_data()
    copies = copies_of_grant(grant.id)
    assert [(c.format, c.rows, c.user_id) for c in copies] == [("csv", 30, user.id)]
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "delivery.download")).all()
    assert len(events) == 1 and events[0].payload["grant"] == grant.id


@pytest.mark.parametrize("state", ["expired", "revoked"])
def test_expired_or_revoked_grant_gets_403(client, company_dataset, make_user, make_grant, api_token, state):
    ds = company_dataset(5, open_attribute="closed")
    user = make_user("requester")
    grant = make_grant(user, ds, GRANTED, state=state)
    resp = client.get(f"/api/v1/grants/{grant.id}/download?format=csv", headers=api_token(user))
    assert resp.status_code == 403
    assert resp.get_json()["error"]["code"] == "grant_inactive"
    assert ("撤销" if state == "revoked" else "到期") in resp.get_json()["error"]["message"]


def test_grant_past_its_end_is_refused_even_before_the_expiry_job(client, company_dataset, make_user, make_grant,
                                                                    api_token):
    ds = company_dataset(5, open_attribute="closed")
    user = make_user("requester")
    grant = make_grant(user, ds, GRANTED, days=-1)
    assert client.get(f"/api/v1/grants/{grant.id}/download", headers=api_token(user)).status_code == 403


def test_someone_elses_grant_is_not_found(client, granted, make_user, api_token):
    _ds, _user, grant = granted
    other = make_user("requester")
    assert client.get(f"/api/v1/grants/{grant.id}/download", headers=api_token(other)).status_code == 404


def test_level_4_is_never_bulk_downloadable(client, company_dataset, make_user, make_grant, api_token):
    ds = company_dataset(5, open_attribute="closed", level=4)
    user = make_user("requester")
    grant = make_grant(user, ds, GRANTED, modes=("download", "query"))  # even a grant that says download
    resp = client.get(f"/api/v1/grants/{grant.id}/download?format=csv", headers=api_token(user))
    assert resp.status_code == 403 and resp.get_json()["error"]["code"] == "level4_no_bulk"


def test_open_data_downloads_anonymously_with_sensitive_items_masked(client, company_dataset):
    from delivery.models import UsageEvent

    ds = company_dataset(12, open_attribute="open")
    resp = client.get(f"/api/v1/datasets/{ds.id}/download?format=csv")
    assert resp.status_code == 200
    rows = _csv(resp)
    assert rows[0] == ["统一社会信用代码", "企业名称", "法定代表人", "注册资本", "成立日期"]
    assert len(rows) == 13
    assert (rows[1][2], rows[11][2]) == ("王*", "王*0")  # 法定代表人 is sensitive: masked for the public
    event = db.session.scalars(select(UsageEvent)).one()
    assert (event.user_id, event.action, event.rows) == (None, "download", 12)


def test_closed_data_needs_a_grant(client, company_dataset, make_user, api_token):
    ds = company_dataset(3, open_attribute="closed")
    assert client.get(f"/api/v1/datasets/{ds.id}/download").status_code in (403, 404)
    staff = make_user("requester")
    resp = client.get(f"/api/v1/datasets/{ds.id}/download", headers=api_token(staff))
    assert resp.status_code == 403 and resp.get_json()["error"]["code"] == "grant_required"


def test_bad_format_is_422(client, company_dataset):
    ds = company_dataset(3)
    resp = client.get(f"/api/v1/datasets/{ds.id}/download?format=pdf")
    assert resp.status_code == 422 and "format" in resp.get_json()["error"]["fields"]


def test_watermark_hook_receives_every_granted_copy(client, granted, api_token, monkeypatch):
    import sys
    import types

    calls = []

    def mark_rows(grant_id, dataset_id, columns, rows):
        calls.append((grant_id, dataset_id, list(columns)))
        for row in rows:
            yield dict(row, 企业名称=row["企业名称"] + "·")

    monkeypatch.setitem(sys.modules, "watermark", types.SimpleNamespace(mark_rows=mark_rows))
    monkeypatch.setattr("importlib.util.find_spec", lambda name, *a: object() if name == "watermark" else None)
    ds, user, grant = granted
    rows = _csv(client.get(f"/api/v1/grants/{grant.id}/download?format=csv", headers=api_token(user)))
    assert calls == [(grant.id, ds.id, GRANTED)]
    assert rows[1][1].endswith("·")
