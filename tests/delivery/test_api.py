"""Data API (records: fields, filters, sort, cursor), API keys with quotas and rate limits (429 +
Retry-After), and the authorised query (only matching records, purpose mandatory, logged)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from market.db import db, utcnow


@pytest.fixture
def public_key(client, make_user, api_token):
    def make(user=None):
        user = user or make_user("public")
        resp = client.post("/api/v1/api-keys", json={"name": "出行小程序"}, headers=api_token(user))
        assert resp.status_code == 201, resp.get_json()
        return {"X-API-Key": resp.get_json()["key"]}, resp.get_json()["id"], user

    return make


def test_open_data_with_an_api_key_pages_by_cursor(client, company_dataset, public_key):
    ds = company_dataset(25, open_attribute="open")
    headers, _id, _user = public_key()
    seen, cursor = [], None
    for _ in range(5):
        url = f"/api/v1/datasets/{ds.id}/records?limit=10&fields=统一社会信用代码,法定代表人"
        resp = client.get(url + (f"&cursor={cursor}" if cursor else ""), headers=headers)
        assert resp.status_code == 200, resp.get_json()
        body = resp.get_json()
        assert body["columns"] == ["统一社会信用代码", "法定代表人"]
        assert body["masked"] == ["法定代表人"]
        seen += [r["统一社会信用代码"] for r in body["items"]]
        assert all(r["法定代表人"].startswith("王*") for r in body["items"])
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == [f"91320213MA{i:08d}" for i in range(25)]


def test_filters_and_sort_with_cursor(client, company_dataset, public_key):
    ds = company_dataset(30, open_attribute="open")
    headers, _id, _user = public_key()
    url = f"/api/v1/datasets/{ds.id}/records?注册资本__gte=110&注册资本__lt=120&sort=-注册资本&limit=4"
    body = client.get(url, headers=headers).get_json()
    got = [r["注册资本"] for r in body["items"]]
    body2 = client.get(url + f"&cursor={body['next_cursor']}", headers=headers).get_json()
    assert "items" in body2, body2
    got += [r["注册资本"] for r in body2["items"]]
    body3 = client.get(url + f"&cursor={body2['next_cursor']}", headers=headers).get_json()
    got += [r["注册资本"] for r in body3["items"]]
    assert got == [float(v) for v in range(119, 109, -1)]
    assert body3["next_cursor"] is None
    eq = client.get(f"/api/v1/datasets/{ds.id}/records?企业名称=无锡测试7有限公司", headers=headers).get_json()
    assert [r["统一社会信用代码"] for r in eq["items"]] == ["91320213MA00000007"]


def test_bad_parameters_are_422_naming_the_parameter(client, company_dataset, public_key):
    ds = company_dataset(3, open_attribute="open")
    headers, _id, _user = public_key()
    for query, field in [("limit=5000", "limit"), ("nosuch=1", "nosuch"), ("注册资本__gte=abc", "注册资本"),
                         ("sort=nosuch", "sort"), ("cursor=%%%", "cursor"), ("法定代表人=王1", "法定代表人")]:
        resp = client.get(f"/api/v1/datasets/{ds.id}/records?{query}", headers=headers)
        assert resp.status_code == 422, query
        assert field in resp.get_json()["error"]["fields"], query


def test_records_need_a_key_or_a_login(client, company_dataset):
    ds = company_dataset(3, open_attribute="open")
    assert client.get(f"/api/v1/datasets/{ds.id}/records").status_code == 401
    resp = client.get(f"/api/v1/datasets/{ds.id}/records", headers={"X-API-Key": "pdm_nonsense"})
    assert resp.status_code == 401 and resp.get_json()["error"]["code"] == "invalid_api_key"


def test_a_key_does_not_open_closed_data(client, company_dataset, public_key):
    ds = company_dataset(3, open_attribute="closed", share_attribute="conditional")
    headers, _id, _user = public_key()
    assert client.get(f"/api/v1/datasets/{ds.id}/records", headers=headers).status_code in (403, 404)


def test_grant_holder_gets_granted_items_by_bearer(client, company_dataset, make_user, make_grant, api_token):
    ds = company_dataset(5, open_attribute="closed")
    user = make_user("requester")
    make_grant(user, ds, ["统一社会信用代码", "法定代表人"], modes=("api",))
    body = client.get(f"/api/v1/datasets/{ds.id}/records", headers=api_token(user)).get_json()
    assert body["columns"] == ["统一社会信用代码", "法定代表人"] and body["masked"] == []
    assert body["items"][0]["法定代表人"] == "王0"
    resp = client.get(f"/api/v1/datasets/{ds.id}/records?fields=企业名称", headers=api_token(user))
    assert resp.status_code == 422  # not granted


def test_rate_limit_answers_429_with_retry_after(client, company_dataset, public_key):
    from delivery.models import ApiKey

    ds = company_dataset(3, open_attribute="open")
    headers, key_id, _user = public_key()
    db.session.get(ApiKey, key_id).per_minute = 2
    db.session.commit()
    url = f"/api/v1/datasets/{ds.id}/records"
    assert [client.get(url, headers=headers).status_code for _ in range(2)] == [200, 200]
    resp = client.get(url, headers=headers)
    assert resp.status_code == 429
    assert 1 <= int(resp.headers["Retry-After"]) <= 61
    assert resp.get_json()["error"]["code"] == "rate_limited"


def test_daily_quota_answers_429_until_tomorrow(client, company_dataset, public_key):
    from delivery.models import ApiKey, RateCounter

    ds = company_dataset(3, open_attribute="open")
    headers, key_id, _user = public_key()
    key = db.session.get(ApiKey, key_id)
    key.daily_quota = 1
    db.session.commit()
    url = f"/api/v1/datasets/{ds.id}/records"
    assert client.get(url, headers=headers).status_code == 200
    resp = client.get(url, headers=headers)
    assert resp.status_code == 429 and resp.get_json()["error"]["code"] == "quota_exceeded"
    assert int(resp.headers["Retry-After"]) > 0
    counters = db.session.scalars(select(RateCounter).where(RateCounter.subject == f"key:{key_id}")).all()
    assert sorted(c.count for c in counters) == [1, 1]  # the refused call was not counted


def test_rate_counters_are_shared_and_purged(app):
    from delivery import keys

    now = utcnow()
    keys.charge("key:999", per_minute=5, per_day=5, now=now)
    keys.charge("key:999", per_minute=5, per_day=5, now=now)
    assert keys.usage_today("key:999", now) == 2
    assert keys.purge_counters(now + timedelta(days=3)) == 2


def test_api_keys_list_and_revoke(client, public_key, api_token):
    _headers, key_id, user = public_key()
    listed = client.get("/api/v1/api-keys", headers=api_token(user)).get_json()["items"]
    assert [k["id"] for k in listed] == [key_id] and "key" not in listed[0]
    assert client.delete(f"/api/v1/api-keys/{key_id}", headers=api_token(user)).get_json()["active"] is False
    assert client.get("/api/v1/api-keys", headers=api_token(user)).get_json()["items"][0]["active"] is False


def test_api_calls_are_in_the_ledger(client, company_dataset, public_key):
    from delivery.ledger import user_received
    from delivery.models import UsageEvent

    ds = company_dataset(5, open_attribute="open")
    headers, key_id, user = public_key()
    assert not user_received(user.id, ds.id)
    client.get(f"/api/v1/datasets/{ds.id}/records?limit=3", headers=headers)
    event = db.session.scalars(select(UsageEvent)).one()
    assert (event.action, event.api_key_id, event.rows, event.user_id) == ("api", key_id, 3, user.id)
    assert user_received(user.id, ds.id)


# --- authorised query -----------------------------------------------------------------------------------
@pytest.fixture
def level4(company_dataset, make_user, make_grant):
    ds = company_dataset(40, open_attribute="closed", level=4)
    user = make_user("requester")
    grant = make_grant(user, ds, ["统一社会信用代码", "企业名称", "法定代表人"], modes=("query",))
    return ds, user, grant


def test_query_returns_only_the_matching_records_and_is_logged(client, level4, api_token):
    from delivery.models import UsageEvent

    ds, user, grant = level4
    resp = client.post(f"/api/v1/datasets/{ds.id}/query", headers=api_token(user),
                       json={"key": "91320213MA00000017", "purpose": "核验投标企业登记信息"})
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert body["key_column"] == "统一社会信用代码" and body["count"] == 1
    # an answer under a grant carries its watermark, which may touch whitespace, never the content
    assert [{k: v.strip() for k, v in item.items()} for item in body["items"]] == [
        {"统一社会信用代码": "91320213MA00000017", "企业名称": "无锡测试17有限公司", "法定代表人": "王17"}]
    event = db.session.scalars(select(UsageEvent)).one()
    assert (event.action, event.grant_id, event.purpose, event.query_key, event.rows) == (
        "query", grant.id, "核验投标企业登记信息", "91320213MA00000017", 1)
    none = client.post(f"/api/v1/datasets/{ds.id}/query", headers=api_token(user),
                       json={"key": "91320213MA99999999", "purpose": "核验投标企业登记信息"}).get_json()
    assert none["count"] == 0 and none["items"] == []


def test_query_needs_a_purpose_and_a_query_grant(client, level4, make_user, api_token):
    ds, user, _grant = level4
    resp = client.post(f"/api/v1/datasets/{ds.id}/query", headers=api_token(user), json={"key": "x"})
    assert resp.status_code == 422 and "purpose" in resp.get_json()["error"]["fields"]
    other = make_user("requester")
    resp = client.post(f"/api/v1/datasets/{ds.id}/query", headers=api_token(other),
                       json={"key": "91320213MA00000017", "purpose": "核验投标企业登记信息"})
    assert resp.status_code == 403


def test_level_4_has_no_records_api_even_for_grant_holders(client, level4, api_token):
    ds, user, _grant = level4
    resp = client.get(f"/api/v1/datasets/{ds.id}/records", headers=api_token(user))
    assert resp.status_code == 403 and resp.get_json()["error"]["code"] == "level4_no_bulk"


def test_query_page_form(client, level4, login):
    ds, user, _grant = level4
    login(user)
    from tests.conftest import csrf_token

    page = f"/datasets/{ds.id}/query"
    assert "统一社会信用代码" in client.get(page).get_data(as_text=True)
    html = client.post(page, data={"csrf_token": csrf_token(client, page), "key": "91320213MA00000003",
                                   "purpose": "窗口办件核验"}).get_data(as_text=True)
    assert "无锡测试3有限公司" in html and "无锡测试4有限公司" not in html
