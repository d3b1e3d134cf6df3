"""The issue's "Done when" journeys through the JSON API: a demand from posting to fulfilled-by-new-entry
with notifications to the poster and every "me too" user; an objection on a delivered copy that notifies
the holders when corrected."""

from datetime import date, timedelta

from sqlalchemy import select

from audit import verify_chain
from audit.models import AuditEvent
from market.db import db


def _events(object_type: str, object_id: int) -> list[str]:
    return list(db.session.scalars(select(AuditEvent.action).where(
        AuditEvent.object_type == object_type, AuditEvent.object_id == str(object_id)).order_by(AuditEvent.id)))


def test_demand_posted_routed_supported_answered_and_fulfilled_by_a_new_entry(client, city, as_user, notes):
    u = city["users"]
    resp = client.post("/api/v1/demands", headers=as_user(u["citizen"]), json={
        "title": "户籍人口年龄结构统计", "description": "按街道统计的户籍人口年龄分布，用于养老服务规划。",
        "purpose": "社区养老服务设施布点研究", "items": ["街道", "年龄段", "户籍人口数"], "frequency": "yearly",
        "needed_by": (date.today() + timedelta(days=60)).isoformat()})
    assert resp.status_code == 201, resp.get_json()
    demand = resp.get_json()
    assert demand["state"] == "submitted" and demand["requester"] == u["citizen"].username
    # the platform suggests the department whose catalog and functions match, with the reasons
    top = demand["suggestions"][0]
    assert top["code"] == "GA"
    assert {r["kind"] for r in top["reasons"]} >= {"catalog", "function"}
    assert len(demand["suggestions"]) <= 3
    assert u["operator"].id in notes("demand.submitted")
    did = demand["id"]

    resp = client.post(f"/api/v1/demands/{did}/route", headers=as_user(u["operator"]), json={"department": "GA"})
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["state"] == "routed" and resp.get_json()["department"] == "GA"
    assert u["officer"].id in notes("demand.routed")

    for who, purpose in (("requester", "低保对象年龄核查"), ("enterprise", "养老机构选址分析")):
        resp = client.post(f"/api/v1/demands/{did}/me-too", headers=as_user(u[who]), json={"purpose": purpose})
        assert resp.status_code == 201, resp.get_json()
    detail = client.get(f"/api/v1/demands/{did}", headers=as_user(u["citizen"])).get_json()
    assert detail["supporter_count"] == 2
    assert {s["purpose"] for s in detail["supporters"]} == {"低保对象年龄核查", "养老机构选址分析"}
    # another supporter sees only their own purpose
    seen = client.get(f"/api/v1/demands/{did}", headers=as_user(u["enterprise"])).get_json()["supporters"]
    assert [s["purpose"] for s in seen] == ["养老机构选址分析"]

    publish_by = date.today() + timedelta(days=30)
    resp = client.post(f"/api/v1/demands/{did}/answer", headers=as_user(u["officer"]),
                       json={"outcome": "will_publish", "publish_by": publish_by.isoformat(),
                             "comment": "下月起按季度发布"})
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert body["state"] == "planned" and body["publish_by"] == publish_by.isoformat()
    assert body["due_at"].startswith(publish_by.isoformat())
    answered = notes("demand.answered")
    assert {u["citizen"].id, u["requester"].id, u["enterprise"].id} <= set(answered)

    # the owner creates the new entry as a draft, links it, and publishes it
    off = as_user(u["officer"])
    resp = client.post("/api/v1/datasets", headers=off, json={
        "title": "户籍人口年龄结构", "summary": "按街道、年龄段统计的户籍人口数", "share_attribute": "conditional",
        "open_attribute": "open", "level": 1, "items": [{"name": "街道"}, {"name": "年龄段"}, {"name": "户籍人口数"}]})
    assert resp.status_code == 201, resp.get_json()
    new_id = resp.get_json()["id"]
    resp = client.post(f"/api/v1/demands/{did}/link", headers=off, json={"dataset_id": new_id})
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["state"] == "planned" and resp.get_json()["linked_dataset_id"] == new_id
    assert notes("demand.fulfilled") == {}

    resp = client.post(f"/api/v1/datasets/{new_id}/publish", headers=off)
    assert resp.status_code == 200, resp.get_json()
    final = client.get(f"/api/v1/demands/{did}", headers=as_user(u["citizen"])).get_json()
    assert final["state"] == "fulfilled" and final["linked_dataset_id"] == new_id and final["closed_at"]
    fulfilled = notes("demand.fulfilled")
    assert set(fulfilled) == {u["citizen"].id, u["requester"].id, u["enterprise"].id}
    assert all("户籍人口年龄结构" in s[0] for s in fulfilled.values())

    assert _events("demand", did) == ["demand.submitted", "demand.routed", "demand.me_too", "demand.me_too",
                                      "demand.planned", "demand.linked", "demand.fulfilled"]
    assert verify_chain().ok

    # closed: no more "me too"
    late = client.post(f"/api/v1/demands/{did}/me-too", headers=as_user(u["requester2"]),
                       json={"purpose": "也想要这份数据"})
    assert late.status_code == 409


def _granted_copy(client, headers, dataset_id: int) -> int:
    assert client.post("/api/v1/cart/items", json={"dataset_id": dataset_id}, headers=headers).status_code == 201
    resp = client.post("/api/v1/requests", json={"purpose": "核对困难群众户籍信息", "period_days": 30}, headers=headers)
    assert resp.status_code == 201, resp.get_json()
    line = resp.get_json()["lines"][0]
    assert line["state"] == "granted"
    return line["grant_id"]


def test_objection_on_a_delivered_copy_notifies_every_holder_when_corrected(client, city, as_user, notes):
    u, d = city["users"], city["data"]
    grant_a = _granted_copy(client, as_user(u["requester"]), d["residence"].id)
    _granted_copy(client, as_user(u["requester2"]), d["residence"].id)

    resp = client.post("/api/v1/objections", headers=as_user(u["requester"]), json={
        "grant_id": grant_a, "item_name": "户籍地址", "kind": "wrong",
        "description": "多条记录的户籍地址仍为撤并前的旧街道名称"})
    assert resp.status_code == 201, resp.get_json()
    obj = resp.get_json()
    assert obj["target"] == "copy" and obj["dataset_id"] == d["residence"].id and obj["department"] == "GA"
    assert obj["state"] == "open" and obj["due_at"]
    assert u["officer"].id in notes("objection.opened")

    quality = client.get(f"/api/v1/datasets/{d['residence'].id}/quality").get_json()
    assert quality["open"] == 1 and quality["score"] == 95

    # only the owner's officer answers
    for who in ("officer_other", "operator", "requester"):
        denied = client.post(f"/api/v1/objections/{obj['id']}/answer", headers=as_user(u[who]),
                             json={"outcome": "corrected", "version": "2026-12"})
        assert denied.status_code in (403, 404), (who, denied.get_json())
    missing = client.post(f"/api/v1/objections/{obj['id']}/answer", headers=as_user(u["officer"]),
                          json={"outcome": "corrected"})
    assert missing.status_code == 422 and "version" in missing.get_json()["error"]["fields"]

    resp = client.post(f"/api/v1/objections/{obj['id']}/answer", headers=as_user(u["officer"]),
                       json={"outcome": "corrected", "version": "2026-12", "comment": "已按区划调整更新地址"})
    assert resp.status_code == 200, resp.get_json()
    done = resp.get_json()
    assert done["state"] == "corrected" and done["corrected_version"] == "2026-12"
    assert done["notified_holders"] == 1  # the other holder; the objector hears as the objector
    corrected = notes("objection.corrected")
    assert set(corrected) == {u["requester"].id, u["requester2"].id}
    assert any("2026-12" in s for s in corrected[u["requester2"].id])

    quality = client.get(f"/api/v1/datasets/{d['residence'].id}/quality").get_json()
    assert quality["upheld"] == 1 and quality["open"] == 0 and quality["on_time_rate"] == 1.0
    assert quality["score"] == 90 and quality["grade"] == "excellent"
    assert _events("objection", obj["id"]) == ["objection.opened", "objection.corrected"]

    again = client.post(f"/api/v1/objections/{obj['id']}/answer", headers=as_user(u["officer"]),
                        json={"outcome": "rejected", "comment": "重复"})
    assert again.status_code == 409


def test_correction_skips_holders_whose_grant_ended(client, city, as_user, notes):
    from orders.models import RequestLine

    u, d = city["users"], city["data"]
    _granted_copy(client, as_user(u["requester"]), d["residence"].id)
    grant_b = _granted_copy(client, as_user(u["requester2"]), d["residence"].id)
    line = db.session.scalar(select(RequestLine).where(RequestLine.grant.has(id=grant_b)))
    line.state = "revoked"
    db.session.commit()
    resp = client.post("/api/v1/objections", headers=as_user(u["citizen"]), json={
        "dataset_id": d["residence"].id, "kind": "late", "description": "数据两个月未更新"})
    assert resp.status_code == 201, resp.get_json()
    resp = client.post(f"/api/v1/objections/{resp.get_json()['id']}/answer", headers=as_user(u["officer"]),
                       json={"outcome": "corrected", "version": "v7"})
    assert resp.status_code == 200
    assert set(notes("objection.corrected")) == {u["requester"].id, u["citizen"].id}
