"""Cart rules, checkout idempotency, decisions per item and in batches, questions, withdrawal,
grants and the routing-rule editor, through the JSON API."""

import pytest

from audit.models import AuditEvent
from market.db import db


@pytest.fixture
def checkout(client, shop, as_user):
    def do(*keys, fields=None, user=None):
        h = as_user(user or shop["users"]["requester"])
        for key in keys:
            body = {"dataset_id": shop["data"][key].id}
            if fields and key in fields:
                body["fields"] = fields[key]
            resp = client.post("/api/v1/cart/items", json=body, headers=h)
            assert resp.status_code == 201, resp.get_json()
        resp = client.post("/api/v1/requests", json={"purpose": "用于社会救助资格核验", "period_days": 30}, headers=h)
        assert resp.status_code == 201, resp.get_json()
        return resp.get_json()

    return do


def _decide(client, headers, request, line, **body):
    return client.post(f"/api/v1/requests/{request['id']}/lines/{line['id']}/decision", json=body, headers=headers)


@pytest.mark.parametrize(("who", "key", "status", "code"), [
    # public users may apply only for conditional-open entries (opendata); this one is open: download it
    ("public", "conditional2", 409, "not_requestable"),
    ("operator", "conditional2", 403, "forbidden_role"),
    ("officer", "conditional2", 409, "not_requestable"),  # its own department's data
    ("requester", "none", 409, "not_requestable"),
])
def test_who_may_add_what_to_the_cart(client, shop, as_user, who, key, status, code):
    resp = client.post("/api/v1/cart/items", json={"dataset_id": shop["data"][key].id},
                       headers=as_user(shop["users"][who]))
    assert resp.status_code == status
    assert resp.get_json()["error"]["code"] == code


def test_cart_validates_items_and_replaces_the_subset(client, shop, as_user):
    h, ds = as_user(shop["users"]["requester"]), shop["data"]["sensitive2"]
    bad = client.post("/api/v1/cart/items", json={"dataset_id": ds.id, "fields": ["姓名", "血型"]}, headers=h)
    assert bad.status_code == 422 and "血型" in bad.get_json()["error"]["message"]
    empty = client.post("/api/v1/cart/items", json={"dataset_id": ds.id, "fields": []}, headers=h)
    assert empty.status_code == 422
    missing = client.post("/api/v1/cart/items", json={"dataset_id": 999999}, headers=h)
    assert missing.status_code == 404
    cart = client.post("/api/v1/cart/items", json={"dataset_id": ds.id}, headers=h).get_json()
    assert cart["items"][0]["outcome"] == "owner_platform" and cart["items"][0]["all_fields"]
    cart = client.post("/api/v1/cart/items", json={"dataset_id": ds.id, "fields": ["姓名"]}, headers=h).get_json()
    assert cart["count"] == 1 and cart["items"][0]["fields"] == ["姓名"]
    assert cart["items"][0]["outcome"] == "owner"
    assert client.delete(f"/api/v1/cart/items/{ds.id}", headers=h).get_json()["count"] == 0
    assert client.delete(f"/api/v1/cart/items/{ds.id}", headers=h).status_code == 404


def test_checkout_checks_its_input(client, shop, as_user):
    h = as_user(shop["users"]["requester"])
    empty = client.post("/api/v1/requests", json={"purpose": "用于核验工作", "period_days": 30}, headers=h)
    assert empty.status_code == 422 and empty.get_json()["error"]["code"] == "cart_empty"
    client.post("/api/v1/cart/items", json={"dataset_id": shop["data"]["conditional2"].id}, headers=h)
    resp = client.post("/api/v1/requests", json={"purpose": "", "period_days": 0}, headers=h)
    assert resp.status_code == 422
    assert set(resp.get_json()["error"]["fields"]) == {"purpose", "period_days"}


def test_double_submit_makes_one_request(client, shop, as_user):
    h = as_user(shop["users"]["requester"])
    cart = client.post("/api/v1/cart/items", json={"dataset_id": shop["data"]["conditional2"].id},
                       headers=h).get_json()
    body = {"purpose": "用于社会救助资格核验", "period_days": 30, "cart_version": cart["version"]}
    first = client.post("/api/v1/requests", json=body, headers=h)
    second = client.post("/api/v1/requests", json=body, headers=h)
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.get_json()["id"] == second.get_json()["id"]
    assert len(client.get("/api/v1/requests", headers=h).get_json()["items"]) == 1
    db.session.expire_all()
    assert shop["data"]["conditional2"].request_count == 1


def test_sub_orders_per_owning_department(checkout, shop):
    req = checkout("conditional2", "level4")
    assert len(req["orders"]) == 2
    assert {o["department"] for o in req["orders"]} == {shop["owner"].code, shop["other"].code}


def test_officers_see_only_their_departments_lines(client, checkout, shop, as_user):
    req = checkout("conditional2", "level4")
    seen = client.get(f"/api/v1/requests/{req['id']}", headers=as_user(shop["users"]["officer"])).get_json()
    assert [ln["dataset_id"] for ln in seen["lines"]] == [shop["data"]["conditional2"].id]
    outsider = client.get(f"/api/v1/requests/{req['id']}", headers=as_user(shop["users"]["public"]))
    assert outsider.status_code == 404


def test_reject_needs_a_reason_and_ends_the_line(client, checkout, shop, as_user):
    req = checkout("conditional3")
    h = as_user(shop["users"]["officer"])
    line = req["lines"][0]
    assert _decide(client, h, req, line, decision="reject", comment=" ").status_code == 422
    resp = _decide(client, h, req, line, decision="reject", comment="用途与数据无关")
    body = resp.get_json()
    assert resp.status_code == 200 and body["state"] == "rejected"
    assert [s["state"] for s in body["steps"]] == ["rejected", "cancelled"]
    assert body["steps"][0]["comment"] == "用途与数据无关"
    again = _decide(client, h, req, line, decision="approve", comment="")
    assert again.status_code == 409 and again.get_json()["error"]["message"]


def test_wrong_officer_cannot_decide(client, checkout, shop, as_user):
    req = checkout("conditional2")
    resp = _decide(client, as_user(shop["users"]["officer_other"]), req, req["lines"][0], decision="approve")
    assert resp.status_code == 404  # another department's line is not even visible


def test_per_item_decision_limits_the_grant(client, checkout, shop, as_user):
    req = checkout("sensitive2")
    line = req["lines"][0]
    assert line["fields"] == ["姓名", "公民身份号码"]
    resp = _decide(client, as_user(shop["users"]["officer"]), req, line, decision="approve",
                   comment="身份证号不予提供", fields=["姓名"])
    assert resp.status_code == 200, resp.get_json()
    resp = _decide(client, as_user(shop["users"]["operator"]), req, line, decision="approve", comment="")
    assert resp.get_json()["state"] == "granted"
    grants = client.get("/api/v1/grants", headers=as_user(shop["users"]["requester"])).get_json()["items"]
    assert grants[0]["fields"] == ["姓名"]


def test_level_4_grant_never_allows_bulk_download(client, checkout, shop, as_user):
    req = checkout("level4")
    line = req["lines"][0]
    assert [s["kind"] for s in line["steps"]] == ["owner", "platform"]
    from orders.decisions import delivery_modes_for

    assert delivery_modes_for(shop["data"]["level4"]) == ["api", "query"]
    grant_modes = delivery_modes_for(shop["data"]["unconditional"])
    assert "download" in grant_modes


def test_ask_for_information_then_answer(client, checkout, shop, as_user):
    req = checkout("conditional2")
    off, rq = as_user(shop["users"]["officer"]), as_user(shop["users"]["requester"])
    line = req["lines"][0]
    assert _decide(client, off, req, line, decision="ask", comment="").status_code == 422
    resp = _decide(client, off, req, line, decision="ask", comment="请补充立项文件")
    assert resp.get_json()["state"] == "info_requested"
    assert _decide(client, off, req, line, decision="approve").status_code == 409
    url = f"/api/v1/requests/{req['id']}/lines/{line['id']}/answer"
    assert client.post(url, json={"comment": "已上传立项批复"}, headers=off).status_code == 403
    resp = client.post(url, json={"comment": "已上传立项批复"}, headers=rq)
    assert resp.status_code == 200 and resp.get_json()["state"] == "waiting"
    detail = client.get(f"/api/v1/requests/{req['id']}", headers=rq).get_json()
    assert [c["kind"] for c in detail["comments"]] == ["question", "answer"]
    assert _decide(client, off, req, line, decision="approve").get_json()["state"] == "granted"


def test_withdraw_cancels_open_steps(client, checkout, shop, as_user):
    req = checkout("conditional3")
    line = req["lines"][0]
    url = f"/api/v1/requests/{req['id']}/lines/{line['id']}/withdraw"
    assert client.post(url, headers=as_user(shop["users"]["officer"])).status_code == 403
    resp = client.post(url, headers=as_user(shop["users"]["requester"]))
    assert resp.get_json()["state"] == "withdrawn"
    assert [s["state"] for s in resp.get_json()["steps"]] == ["cancelled", "cancelled"]
    assert client.post(url, headers=as_user(shop["users"]["requester"])).status_code == 409
    assert client.get("/api/v1/approvals", headers=as_user(shop["users"]["officer"])).get_json()["items"] == []


def test_batch_decisions_report_each_line(client, checkout, shop, as_user):
    req = checkout("conditional2", "conditional3", "unconditional")
    h = as_user(shop["users"]["officer"])
    ids = [ln["id"] for ln in req["lines"]]
    no_reason = client.post("/api/v1/approvals/batch", json={"decision": "reject", "line_ids": ids}, headers=h)
    assert no_reason.status_code == 422
    resp = client.post("/api/v1/approvals/batch", json={"decision": "approve", "comment": "同意",
                                                        "line_ids": ids}, headers=h)
    results = {r["line_id"]: r for r in resp.get_json()["results"]}
    by_ds = {ln["dataset_id"]: ln["id"] for ln in req["lines"]}
    assert results[by_ds[shop["data"]["conditional2"].id]]["state"] == "granted"
    assert results[by_ds[shop["data"]["conditional3"].id]]["state"] == "waiting"
    already = results[by_ds[shop["data"]["unconditional"].id]]
    assert not already["ok"] and already["code"] == "not_waiting_for_you"


def test_operator_edits_routing_rules_and_it_is_audited(client, shop, as_user):
    op, rq = as_user(shop["users"]["operator"]), as_user(shop["users"]["requester"])
    rules = client.get("/api/v1/routing-rules", headers=op).get_json()["rules"]
    assert [r["name"] for r in rules][:2] == ["not_shared", "unconditional"]
    bad = client.put("/api/v1/routing-rules", json={"rules": [{"name": "x", "outcome": "grant",
                                                               "steps": ["owner"]}]}, headers=op)
    assert bad.status_code == 422 and "rules[0]" in bad.get_json()["error"]["fields"]
    strict = [{"name": "everything_to_platform", "outcome": "approve", "steps": ["owner", "platform"],
               "share_attribute": "unconditional"}] + rules[:1] + rules[2:]
    assert client.put("/api/v1/routing-rules", json={"rules": strict}, headers=rq).status_code == 403
    assert client.put("/api/v1/routing-rules", json={"rules": strict}, headers=op).status_code == 200
    cart = client.post("/api/v1/cart/items", json={"dataset_id": shop["data"]["unconditional"].id},
                       headers=rq).get_json()
    assert cart["items"][0]["outcome"] == "owner_platform"
    assert db.session.scalar(db.select(AuditEvent.id).where(AuditEvent.action == "routing_rules.replaced"))


def test_openapi_documents_the_orders_endpoints(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    for path in ("/api/v1/cart", "/api/v1/cart/items", "/api/v1/cart/items/{dataset_id}", "/api/v1/requests",
                 "/api/v1/requests/{request_id}", "/api/v1/requests/{request_id}/lines/{line_id}/decision",
                 "/api/v1/approvals", "/api/v1/grants", "/api/v1/routing-rules"):
        assert path in paths, path
    body = paths["/api/v1/requests"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert set(body["required"]) == {"purpose", "period_days"}


def test_grants_expire_after_their_period_and_can_be_revoked(client, checkout, shop, as_user):
    from datetime import timedelta

    from market.errors import ValidationFailed
    from orders.decisions import expire_grants, revoke_grant
    from orders.models import Grant

    req = checkout("unconditional", "level4")
    grant = db.session.get(Grant, req["lines"][0]["grant_id"])
    assert expire_grants(grant.expires_at - timedelta(seconds=1)) == 0
    assert expire_grants(grant.expires_at) == 1
    db.session.commit()
    rq = as_user(shop["users"]["requester"])
    states = {g["id"]: g["state"] for g in client.get("/api/v1/grants", headers=rq).get_json()["items"]}
    assert states[grant.id] == "expired"
    off = as_user(shop["users"]["officer_other"])
    line4 = req["lines"][1]
    assert _decide(client, off, req, line4, decision="approve").status_code == 200
    assert _decide(client, as_user(shop["users"]["operator"]), req, line4, decision="approve").status_code == 200
    g4 = db.session.get(Grant, client.get(f"/api/v1/requests/{req['id']}", headers=rq)
                        .get_json()["lines"][1]["grant_id"])
    assert "download" not in g4.delivery_modes
    with pytest.raises(ValidationFailed):
        revoke_grant(g4, actor=shop["users"]["operator"], reason="")
    revoke_grant(g4, actor=shop["users"]["operator"], reason="部门职能调整")
    db.session.commit()
    states = {g["id"]: g["state"] for g in client.get("/api/v1/grants", headers=rq).get_json()["items"]}
    assert states[g4.id] == "revoked"
