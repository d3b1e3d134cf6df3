"""The issue's "Done when" journey, through the JSON API only."""

from market.db import db


def test_cart_checkout_and_approvals_journey(client, shop, as_user):
    u, d = shop["users"], shop["data"]
    req_h = as_user(u["requester"])

    refused = client.post("/api/v1/cart/items", json={"dataset_id": d["none"].id}, headers=req_h)
    assert refused.status_code == 409
    err = refused.get_json()["error"]
    assert err["code"] == "not_requestable" and "不予共享" in err["message"] and "数据需求" in err["message"]

    for key in ("unconditional", "conditional2", "conditional3"):
        resp = client.post("/api/v1/cart/items", json={"dataset_id": d[key].id}, headers=req_h)
        assert resp.status_code == 201, resp.get_json()
    cart = client.get("/api/v1/cart", headers=req_h).get_json()
    assert [i["outcome"] for i in cart["items"]] == ["granted", "owner", "owner_platform"]
    assert cart["count"] == 3

    resp = client.post("/api/v1/requests", json={"purpose": "核验企业登记信息用于审批", "period_days": 90,
                                                 "legal_basis": "《行政许可法》"}, headers=req_h)
    assert resp.status_code == 201, resp.get_json()
    request = resp.get_json()
    lines = {ln["dataset_id"]: ln for ln in request["lines"]}
    assert lines[d["unconditional"].id]["state"] == "granted"
    assert lines[d["conditional2"].id]["state"] == "waiting"
    assert lines[d["conditional3"].id]["state"] == "waiting"
    assert request["state"] == "partly_approved"
    assert [s["kind"] for s in lines[d["conditional3"].id]["steps"]] == ["owner", "platform"]
    assert client.get("/api/v1/cart", headers=req_h).get_json()["count"] == 0

    # the operator has nothing to decide until the owner approved the level-3 line
    op_h = as_user(u["operator"])
    assert client.get("/api/v1/approvals", headers=op_h).get_json()["items"] == []

    off_h = as_user(u["officer"])
    inbox = client.get("/api/v1/approvals", headers=off_h).get_json()["items"]
    assert {ln["dataset_id"] for ln in inbox} == {d["conditional2"].id, d["conditional3"].id}
    rid = request["id"]
    for ds in ("conditional2", "conditional3"):
        line_id = lines[d[ds].id]["id"]
        resp = client.post(f"/api/v1/requests/{rid}/lines/{line_id}/decision",
                           json={"decision": "approve", "comment": "同意"}, headers=off_h)
        assert resp.status_code == 200, resp.get_json()
    state = {ln["dataset_id"]: ln["state"] for ln in
             client.get(f"/api/v1/requests/{rid}", headers=req_h).get_json()["lines"]}
    assert state[d["conditional2"].id] == "granted"
    assert state[d["conditional3"].id] == "waiting"

    # deciding again is refused: the line no longer waits for the officer
    again = client.post(f"/api/v1/requests/{rid}/lines/{lines[d['conditional3'].id]['id']}/decision",
                        json={"decision": "approve", "comment": ""}, headers=off_h)
    assert again.status_code == 409

    inbox = client.get("/api/v1/approvals", headers=op_h).get_json()["items"]
    assert [ln["dataset_id"] for ln in inbox] == [d["conditional3"].id]
    resp = client.post(f"/api/v1/requests/{rid}/lines/{inbox[0]['id']}/decision",
                       json={"decision": "approve", "comment": "平台复核同意"}, headers=op_h)
    assert resp.status_code == 200 and resp.get_json()["state"] == "granted"

    final = client.get(f"/api/v1/requests/{rid}", headers=req_h).get_json()
    assert final["state"] == "approved"
    grants = client.get("/api/v1/grants", headers=req_h).get_json()["items"]
    assert {g["dataset_id"] for g in grants} == {d[k].id for k in ("unconditional", "conditional2", "conditional3")}
    db.session.expire_all()
    assert d["conditional3"].request_count == 1

    from audit import verify_chain
    from audit.models import AuditEvent

    assert verify_chain().ok
    actions = set(db.session.scalars(db.select(AuditEvent.action)))
    assert {"access_request.submitted", "request_line.granted", "approval_step.approved"} <= actions


def test_editing_a_decision_in_the_audit_log_is_named_by_audit_verify(client, shop, as_user, runner):
    """The journey's decisions are in the hash chain: forging one makes `market audit verify` name it."""
    from sqlalchemy import text

    from audit.models import AuditEvent
    from market.cli import cli

    u, d = shop["users"], shop["data"]
    req_h = as_user(u["requester"])
    client.post("/api/v1/cart/items", json={"dataset_id": d["conditional2"].id}, headers=req_h)
    request = client.post("/api/v1/requests", json={"purpose": "核验企业登记信息用于审批", "period_days": 30},
                          headers=req_h).get_json()
    line = request["lines"][0]
    resp = client.post(f"/api/v1/requests/{request['id']}/lines/{line['id']}/decision",
                       json={"decision": "reject", "comment": "用途不明确"}, headers=as_user(u["officer"]))
    assert resp.status_code == 200 and resp.get_json()["state"] == "rejected"
    assert runner.invoke(cli, ["audit", "verify"]).exit_code == 0
    forged = db.session.scalar(db.select(AuditEvent.id).where(AuditEvent.action == "approval_step.rejected"))
    db.session.execute(text("UPDATE audit_events SET action = 'approval_step.approved' WHERE id = :id"),
                       {"id": forged})
    db.session.commit()
    out = runner.invoke(cli, ["audit", "verify"])
    assert out.exit_code == 1 and f"audit entry {forged} is broken" in out.output
