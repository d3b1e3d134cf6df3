"""The catalog JSON API: search, filters and facets, the dataset shape, edits and their history."""

import pytest
from sqlalchemy import func, select

from catalog.models import AppendOnlyError, Dataset, DatasetChange
from market.db import db

VALID = {"title": "企业登记基本信息", "summary": "全市企业登记信息", "share_attribute": "conditional",
         "open_attribute": "closed", "level": 2, "tags": ["企业", "登记"], "formats": ["csv", "json"],
         "update_frequency": "daily", "delivery_modes": ["download", "api"],
         "items": [{"name": "统一社会信用代码", "type": "string"}, {"name": "法定代表人", "sensitive": True}]}


@pytest.fixture
def catalog(make_department, make_category, make_dataset):
    police, market = make_department("GA", "公安局"), make_department("SCJG", "市场监督管理局")
    pop, corp = make_category("pop", "人口", "base"), make_category("corp", "法人", "base")
    return {
        "people": make_dataset("人口基本信息", department=police, category=pop, tags=["人口"], level=3,
                               open_attribute="closed", request_count=9),
        "household": make_dataset("户籍人口统计", department=police, category=pop, tags=["人口", "统计"],
                                  share_attribute="unconditional", level=1, formats=["XLSX"]),
        "firms": make_dataset("企业登记信息", department=market, category=corp, tags=["企业"],
                              formats=["CSV", "JSON"], request_count=30),
        "draft": make_dataset("人口草稿", department=police, category=pop, status="draft"),
    }


def test_detail_has_the_documented_fields(client, catalog):
    ds = catalog["firms"]
    body = client.get(f"/api/v1/datasets/{ds.id}").get_json()
    for key in ("id", "code", "title", "summary", "department", "category", "tags", "formats", "update_frequency",
                "share_attribute", "open_attribute", "level", "fields", "delivery_modes", "rating", "request_count"):
        assert key in body, key
    assert body["department"] == {"code": "SCJG", "name": "市场监督管理局"}
    assert body["fields"][1] == {"name": "公民身份号码", "type": "string", "description": "", "sensitive": True}


def test_anonymous_search_sees_open_published_only(client, catalog):
    body = client.get("/api/v1/datasets?q=人口").get_json()
    assert [i["title"] for i in body["items"]] == ["户籍人口统计"]
    assert body["total"] == 1


def test_staff_search_with_filters_and_facets(client, catalog, make_user, api_token):
    headers = api_token(make_user("requester"))
    body = client.get("/api/v1/datasets?q=人口&department=GA&share_attribute=conditional", headers=headers).get_json()
    assert [i["title"] for i in body["items"]] == ["人口基本信息"]
    assert body["total"] == 1
    share = {f["value"]: f["count"] for f in body["facets"]["share_attribute"]}
    assert share == {"conditional": 1, "unconditional": 1}  # other values of the selected facet stay visible
    labels = {f["value"]: f["label"] for f in body["facets"]["share_attribute"]}
    assert labels["conditional"] == "有条件共享"
    dept = {f["value"]: f["count"] for f in body["facets"]["department"]}
    assert dept == {"GA": 1}
    assert set(body["facets"]) == {"department", "category", "share_attribute", "open_attribute", "level", "format",
                                   "update_frequency", "tag"}


def test_multi_select_within_a_facet_is_or(client, catalog, make_user, api_token):
    headers = api_token(make_user("requester"))
    body = client.get("/api/v1/datasets?level=1&level=3", headers=headers).get_json()
    assert {i["title"] for i in body["items"]} == {"人口基本信息", "户籍人口统计"}


def test_sort_popular(client, catalog):
    body = client.get("/api/v1/datasets?sort=popular").get_json()
    assert [i["title"] for i in body["items"]] == ["企业登记信息", "户籍人口统计"]


def test_english_labels(client, catalog):
    body = client.get("/api/v1/datasets?lang=en").get_json()
    labels = {f["value"]: f["label"] for f in body["facets"]["share_attribute"]}
    assert labels["unconditional"] == "Unconditional sharing"


@pytest.mark.parametrize(("query", "field"), [
    ("per_page=101", "per_page"), ("page=0", "page"), ("sort=price", "sort"), ("level=9", "level"),
    ("share_attribute=sometimes", "share_attribute"), ("q=" + "x" * 201, "q"),
])
def test_bad_list_arguments_are_422_naming_the_field(client, query, field):
    resp = client.get(f"/api/v1/datasets?{query}")
    assert resp.status_code == 422
    err = resp.get_json()["error"]
    assert err["code"] == "validation_failed"
    assert field in err["fields"]


def test_unknown_dataset_is_404_with_error_shape(client):
    resp = client.get("/api/v1/datasets/999999")
    assert resp.status_code == 404
    assert resp.get_json()["error"]["code"] == "not_found"


def test_create_edit_publish_retire_with_history(client, make_user, api_token):
    officer = make_user("officer")
    headers = api_token(officer)
    resp = client.post("/api/v1/datasets", json=VALID, headers=headers)
    assert resp.status_code == 201, resp.get_json()
    created = resp.get_json()
    assert created["status"] == "draft"
    assert created["code"].startswith(officer.department.code + "-")
    assert created["formats"] == ["CSV", "JSON"]
    ds_id = created["id"]

    resp = client.patch(f"/api/v1/datasets/{ds_id}", json={"level": 3, "summary": "新的摘要"}, headers=headers)
    assert resp.status_code == 200 and resp.get_json()["level"] == 3
    assert client.post(f"/api/v1/datasets/{ds_id}/publish", headers=headers).get_json()["status"] == "published"
    resp = client.post(f"/api/v1/datasets/{ds_id}/publish", headers=headers)
    assert resp.status_code == 409
    resp = client.post(f"/api/v1/datasets/{ds_id}/retire", json={"reason": "数据已停止更新"}, headers=headers)
    assert resp.get_json()["status"] == "retired"
    resp = client.patch(f"/api/v1/datasets/{ds_id}", json={"level": 2}, headers=headers)
    assert resp.status_code == 409

    history = client.get(f"/api/v1/datasets/{ds_id}/history", headers=headers).get_json()["items"]
    assert [h["action"] for h in history] == ["created", "updated", "published", "retired"]
    assert history[1]["changes"]["level"] == [2, 3]
    assert history[3]["changes"]["reason"] == "数据已停止更新"
    assert all(h["actor"] == officer.username for h in history)


def test_history_is_append_only(app, make_dataset, make_user):
    from catalog.services import record_change

    ds = make_dataset()
    record_change(ds, "updated", changes={"title": ["a", "b"]})
    db.session.commit()
    row = db.session.scalar(select(DatasetChange))
    row.action = "forged"
    with pytest.raises(AppendOnlyError):
        db.session.commit()
    db.session.rollback()
    db.session.delete(db.session.scalar(select(DatasetChange)))
    with pytest.raises(AppendOnlyError):
        db.session.commit()
    db.session.rollback()


def test_publish_needs_summary_and_items(client, make_user, api_token):
    headers = api_token(make_user("officer"))
    body = dict(VALID, summary="", items=[])
    ds_id = client.post("/api/v1/datasets", json=body, headers=headers).get_json()["id"]
    resp = client.post(f"/api/v1/datasets/{ds_id}/publish", headers=headers)
    assert resp.status_code == 422
    assert set(resp.get_json()["error"]["fields"]) == {"summary", "items"}


@pytest.mark.parametrize(("change", "field"), [
    ({"title": ""}, "title"),
    ({"level": 5}, "level"),
    ({"share_attribute": "maybe"}, "share_attribute"),
    ({"level": 4, "delivery_modes": ["download"]}, "delivery_modes"),
    ({"share_attribute": "none", "open_attribute": "open"}, "open_attribute"),
    ({"items": [{"name": "a"}, {"name": "a"}]}, "items"),
    ({"items": [{"name": "a", "type": "blob"}]}, "items"),
    ({"formats": ["C S V"]}, "formats"),
    ({"price": -1}, "price"),
    ({"category": "nope"}, "category"),
    ({"tags": "not-a-list-but-a-string-is-split"}, None),
])
def test_bad_input_names_the_field_and_writes_nothing(client, make_user, api_token, change, field):
    headers = api_token(make_user("officer"))
    resp = client.post("/api/v1/datasets", json=dict(VALID, **change), headers=headers)
    count = db.session.scalar(select(func.count()).select_from(Dataset))
    if field is None:
        assert resp.status_code == 201
        return
    assert resp.status_code == 422, resp.get_json()
    assert field in resp.get_json()["error"]["fields"]
    assert count == 0


def test_departments_list(client, make_department):
    make_department("JY", "教育局")
    assert client.get("/api/v1/departments").get_json()["items"] == [{"code": "JY", "name": "教育局", "name_en": None}]


def test_openapi_documents_the_catalog(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    assert {"/api/v1/datasets", "/api/v1/datasets/{dataset_id}", "/api/v1/auth/token"} <= set(spec["paths"])


def test_patch_checks_the_whole_entry(client, make_user, api_token):
    headers = api_token(make_user("officer"))
    ds_id = client.post("/api/v1/datasets", json=VALID, headers=headers).get_json()["id"]
    resp = client.patch(f"/api/v1/datasets/{ds_id}", json={"level": 4}, headers=headers)  # still offers download
    assert resp.status_code == 422
    assert "delivery_modes" in resp.get_json()["error"]["fields"]
    assert client.get(f"/api/v1/datasets/{ds_id}", headers=headers).get_json()["level"] == 2
    resp = client.patch(f"/api/v1/datasets/{ds_id}", json={"tags": ["新标签"]}, headers=headers)
    assert resp.get_json()["tags"] == ["新标签"] and resp.get_json()["formats"] == ["CSV", "JSON"]
