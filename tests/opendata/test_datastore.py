"""CKAN ``datastore_search`` over the delivery row store, driven by the real ``ckanapi`` client:
open entries for anyone (sensitive items masked), others only with a grant."""

from __future__ import annotations

import ckanapi
import pytest
from sqlalchemy import func, select

from delivery.models import UsageEvent
from market.db import db
from tests.delivery.conftest import company_dataset, make_grant  # noqa: F401  (fixtures)


def _rid(ds) -> str:
    return f"{ds.code}--datastore"


def test_package_show_points_to_datastore_search(live_url, company_dataset, make_dataset):  # noqa: F811
    with_rows = company_dataset(5)
    without = make_dataset("无数据的目录")
    ckan = ckanapi.RemoteCKAN(live_url)
    pkg = ckan.action.package_show(id=with_rows.code)
    [res] = [r for r in pkg["resources"] if r["datastore_active"]]
    assert res["id"] == _rid(with_rows) and res["url"].endswith(f"datastore_search?resource_id={_rid(with_rows)}")
    assert ckan.action.resource_show(id=res["id"])["id"] == res["id"]  # stable id, resolvable
    assert not any(r["datastore_active"] for r in ckan.action.package_show(id=without.code)["resources"])
    with pytest.raises(ckanapi.NotFound):
        ckan.action.datastore_search(resource_id=_rid(without))


def test_ckanapi_datastore_search_of_an_open_entry(live_url, company_dataset):  # noqa: F811
    ds = company_dataset(30)
    ckan = ckanapi.RemoteCKAN(live_url)  # anonymous
    result = ckan.action.datastore_search(resource_id=_rid(ds), limit=10)
    assert result["total"] == 30 and len(result["records"]) == 10
    assert [f["id"] for f in result["fields"]] == ["_id", "统一社会信用代码", "企业名称", "法定代表人", "注册资本", "成立日期"]
    assert {f["id"]: f["type"] for f in result["fields"]}["注册资本"] == "numeric"
    first = result["records"][0]
    assert first["企业名称"] == "无锡测试0有限公司" and first["法定代表人"] == "王*"  # sensitive item masked
    assert "offset=10" in result["_links"]["next"]

    page2 = ckan.action.datastore_search(resource_id=_rid(ds), limit=10, offset=10)
    assert page2["records"][0]["企业名称"] == "无锡测试10有限公司"

    found = ckan.action.datastore_search(resource_id=_rid(ds), filters={"注册资本": [101, 102]},
                                         fields=["企业名称"], sort="注册资本 desc")
    assert found["records"] == [{"_id": found["records"][0]["_id"], "企业名称": "无锡测试2有限公司"},
                                {"_id": found["records"][1]["_id"], "企业名称": "无锡测试1有限公司"}]
    assert found["total"] == 2
    assert ckan.action.datastore_search(resource_id=_rid(ds), q="测试29")["total"] == 1
    no_total = ckan.action.datastore_search(resource_id=_rid(ds), include_total=False, limit=5000)
    assert "total" not in no_total and len(no_total["records"]) == 30 and no_total["limit"] == 1000

    with pytest.raises(ckanapi.ValidationError) as masked:  # a masked item cannot be used to find rows
        ckan.action.datastore_search(resource_id=_rid(ds), filters={"法定代表人": "王3"})
    assert "masked" in str(masked.value)
    with pytest.raises(ckanapi.ValidationError):
        ckan.action.datastore_search(resource_id=_rid(ds), sort="没有这项 asc")
    # every read is in the usage ledger, like the data API
    assert db.session.scalar(select(func.count()).select_from(UsageEvent).where(UsageEvent.action == "api")) >= 4


def test_ckanapi_datastore_search_is_refused_without_a_grant(live_url, company_dataset, make_grant,  # noqa: F811
                                                             make_user, api_token):
    ds = company_dataset(8, open_attribute="conditional")
    anonymous = ckanapi.RemoteCKAN(live_url)
    with pytest.raises(ckanapi.NotAuthorized) as refused:
        anonymous.action.datastore_search(resource_id=_rid(ds))
    assert "授权" in str(refused.value) and "Authorization" in str(refused.value)

    holder, other = make_user("requester"), make_user("requester")
    make_grant(holder, ds, ["企业名称", "法定代表人"], modes=("api",))
    with pytest.raises(ckanapi.NotAuthorized):
        ckanapi.RemoteCKAN(live_url, apikey=api_token(other)["Authorization"][7:]).action.datastore_search(
            resource_id=_rid(ds))

    granted = ckanapi.RemoteCKAN(live_url, apikey=api_token(holder)["Authorization"][7:])
    result = granted.action.datastore_search(resource_id=_rid(ds), limit=3)
    assert [f["id"] for f in result["fields"]] == ["_id", "企业名称", "法定代表人"]  # granted items only
    assert result["records"][0]["法定代表人"] == "王0"  # a granted sensitive item is in the clear
    assert result["total"] == 8


def test_level_4_and_closed_entries_are_not_served(live_url, company_dataset):  # noqa: F811
    closed = company_dataset(3, open_attribute="closed")
    ckan = ckanapi.RemoteCKAN(live_url)
    with pytest.raises(ckanapi.NotFound):
        ckan.action.datastore_search(resource_id=_rid(closed))


def test_signed_in_callers_are_rate_limited_like_the_data_api(client, company_dataset, make_user,  # noqa: F811
                                                              api_token, monkeypatch):
    from delivery import keys

    monkeypatch.setattr(keys, "USER_PER_MINUTE", 1)
    ds = company_dataset(3)
    headers = api_token(make_user("requester"))
    url = f"/api/3/action/datastore_search?resource_id={_rid(ds)}"
    assert client.get(url, headers=headers).status_code == 200
    limited = client.get(url, headers=headers)
    assert limited.status_code == 429 and limited.headers.get("Retry-After")
    assert limited.get_json()["error"]["__type"] == "Rate Limit Error"
