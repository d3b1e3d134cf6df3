"""Who may do what: anyone signed in posts and adds "me too"; only operators route; only the owning
department's officers answer and link; anonymous callers are turned away."""

from datetime import date, timedelta

import pytest


def _post(client, headers, **extra):
    body = {"title": "出入境记录统计", "purpose": "外籍人员服务管理研究", "items": ["国籍", "入境日期"], **extra}
    resp = client.post("/api/v1/demands", headers=headers, json=body)
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()["id"]


@pytest.mark.parametrize("role", ["citizen", "enterprise", "requester", "officer", "operator"])
def test_every_signed_in_role_can_post_and_others_can_me_too(client, city, as_user, role):
    u = city["users"]
    did = _post(client, as_user(u[role]))
    helper = u["citizen"] if role != "citizen" else u["enterprise"]
    resp = client.post(f"/api/v1/demands/{did}/me-too", headers=as_user(helper), json={"purpose": "同样需要这些数据"})
    assert resp.status_code == 201, resp.get_json()
    own = client.post(f"/api/v1/demands/{did}/me-too", headers=as_user(u[role]), json={"purpose": "自己再点一次"})
    assert own.status_code == 409 and own.get_json()["error"]["code"] == "own_demand"
    twice = client.post(f"/api/v1/demands/{did}/me-too", headers=as_user(helper), json={"purpose": "再点一次试试"})
    assert twice.status_code == 409 and twice.get_json()["error"]["code"] == "already_supported"


def test_anonymous_callers_cannot_post_or_read(client, city):
    assert client.post("/api/v1/demands", json={"title": "任意数据", "purpose": "任意用途说明"}).status_code == 401
    assert client.get("/api/v1/demands").status_code == 401
    page = client.get("/demands")
    assert page.status_code == 302 and "/login" in page.headers["Location"]


@pytest.mark.parametrize("role", ["citizen", "requester", "officer"])
def test_only_operators_route(client, city, as_user, role):
    u = city["users"]
    did = _post(client, as_user(u["citizen"]))
    resp = client.post(f"/api/v1/demands/{did}/route", headers=as_user(u[role]), json={"department": "GA"})
    assert resp.status_code == 403
    ok = client.post(f"/api/v1/demands/{did}/route", headers=as_user(u["operator"]), json={"department": "GA"})
    assert ok.status_code == 200


def test_only_the_owner_officer_answers_and_links(client, city, as_user):
    u, d = city["users"], city["data"]
    did = _post(client, as_user(u["citizen"]))
    # before routing nobody can answer, not even the eventual owner
    early = client.post(f"/api/v1/demands/{did}/answer", headers=as_user(u["officer"]),
                        json={"outcome": "refused", "comment": "无"})
    assert early.status_code == 403
    client.post(f"/api/v1/demands/{did}/route", headers=as_user(u["operator"]), json={"department": "GA"})
    body = {"outcome": "exists", "dataset_id": d["residence"].id}
    for who in ("officer_other", "operator", "citizen", "requester"):
        resp = client.post(f"/api/v1/demands/{did}/answer", headers=as_user(u[who]), json=body)
        assert resp.status_code == 403, who
        resp = client.post(f"/api/v1/demands/{did}/link", headers=as_user(u[who]),
                           json={"dataset_id": d["residence"].id})
        assert resp.status_code == 403, who
    resp = client.post(f"/api/v1/demands/{did}/answer", headers=as_user(u["officer"]), json=body)
    assert resp.status_code == 200 and resp.get_json()["state"] == "existing"
    again = client.post(f"/api/v1/demands/{did}/answer", headers=as_user(u["officer"]), json=body)
    assert again.status_code == 409


def test_not_held_sends_it_back_for_rerouting_without_that_department(client, city, as_user, notes):
    u = city["users"]
    did = _post(client, as_user(u["citizen"]))
    client.post(f"/api/v1/demands/{did}/route", headers=as_user(u["operator"]), json={"department": "JYJ"})
    no_reason = client.post(f"/api/v1/demands/{did}/answer", headers=as_user(u["officer_other"]),
                            json={"outcome": "not_held"})
    assert no_reason.status_code == 422 and "comment" in no_reason.get_json()["error"]["fields"]
    resp = client.post(f"/api/v1/demands/{did}/answer", headers=as_user(u["officer_other"]),
                       json={"outcome": "not_held", "comment": "出入境数据由公安局管理"})
    assert resp.status_code == 200
    body = resp.get_json()
    assert body["state"] == "submitted" and body["department"] is None
    assert "JYJ" not in [s["code"] for s in body["suggestions"]]
    assert u["operator"].id in notes("demand.rerouting")
    refused = client.post(f"/api/v1/demands/{did}/route", headers=as_user(u["operator"]), json={"department": "JYJ"})
    assert refused.status_code == 422
    assert client.post(f"/api/v1/demands/{did}/route", headers=as_user(u["operator"]),
                       json={"department": "GA"}).status_code == 200


def test_refusal_needs_a_reason_and_tells_the_requester(client, city, as_user, notes):
    u = city["users"]
    did = _post(client, as_user(u["citizen"]))
    client.post(f"/api/v1/demands/{did}/route", headers=as_user(u["operator"]), json={"department": "GA"})
    assert client.post(f"/api/v1/demands/{did}/answer", headers=as_user(u["officer"]),
                       json={"outcome": "refused"}).status_code == 422
    resp = client.post(f"/api/v1/demands/{did}/answer", headers=as_user(u["officer"]),
                       json={"outcome": "refused", "comment": "涉及个人隐私，依法不予提供"})
    assert resp.status_code == 200 and resp.get_json()["state"] == "refused"
    assert u["citizen"].id in notes("demand.refused")


def test_will_publish_needs_a_future_date(client, city, as_user):
    u = city["users"]
    did = _post(client, as_user(u["citizen"]))
    client.post(f"/api/v1/demands/{did}/route", headers=as_user(u["operator"]), json={"department": "GA"})
    off = as_user(u["officer"])
    assert client.post(f"/api/v1/demands/{did}/answer", headers=off,
                       json={"outcome": "will_publish"}).status_code == 422
    past = (date.today() - timedelta(days=1)).isoformat()
    assert client.post(f"/api/v1/demands/{did}/answer", headers=off,
                       json={"outcome": "will_publish", "publish_by": past}).status_code == 422


def test_only_the_requester_withdraws(client, city, as_user):
    u = city["users"]
    did = _post(client, as_user(u["citizen"]))
    assert client.post(f"/api/v1/demands/{did}/withdraw", headers=as_user(u["enterprise"])).status_code == 403
    resp = client.post(f"/api/v1/demands/{did}/withdraw", headers=as_user(u["citizen"]))
    assert resp.status_code == 200 and resp.get_json()["state"] == "withdrawn"


def test_objection_visibility_and_filing_rules(client, city, as_user):
    u, d = city["users"], city["data"]
    # the public cannot object to (or see) an entry that is not open data
    hidden = client.post("/api/v1/objections", headers=as_user(u["citizen"]), json={
        "dataset_id": d["closed"].id, "kind": "wrong", "description": "看不到的目录"})
    assert hidden.status_code == 422
    bad_item = client.post("/api/v1/objections", headers=as_user(u["citizen"]), json={
        "dataset_id": d["residence"].id, "item_name": "不存在的项", "kind": "wrong", "description": "说明一下问题"})
    assert bad_item.status_code == 422 and "item_name" in bad_item.get_json()["error"]["fields"]
    no_source = client.post("/api/v1/objections", headers=as_user(u["citizen"]), json={
        "dataset_id": d["residence"].id, "kind": "inconsistent", "description": "与统计年鉴不一致"})
    assert no_source.status_code == 422 and "other_source" in no_source.get_json()["error"]["fields"]
    resp = client.post("/api/v1/objections", headers=as_user(u["citizen"]), json={
        "dataset_id": d["residence"].id, "kind": "inconsistent", "description": "与统计年鉴不一致",
        "other_source": "2025 年无锡统计年鉴"})
    assert resp.status_code == 201
    oid = resp.get_json()["id"]
    for who, status in (("citizen", 200), ("officer", 200), ("operator", 200), ("enterprise", 404),
                        ("officer_other", 404)):
        assert client.get(f"/api/v1/objections/{oid}", headers=as_user(u[who])).status_code == status, who
    # someone else's grant cannot be objected to as "my copy"
    stranger = client.post("/api/v1/objections", headers=as_user(u["enterprise"]), json={
        "grant_id": 999999, "kind": "wrong", "description": "不是我的授权"})
    assert stranger.status_code == 422


def test_the_answering_department_cannot_me_too(client, city, as_user):
    u = city["users"]
    did = _post(client, as_user(u["citizen"]))
    client.post(f"/api/v1/demands/{did}/route", headers=as_user(u["operator"]), json={"department": "GA"})
    resp = client.post(f"/api/v1/demands/{did}/me-too", headers=as_user(u["officer"]), json={"purpose": "本部门也要"})
    assert resp.status_code == 409 and resp.get_json()["error"]["code"] == "owner_department"
    can = client.get(f"/api/v1/demands/{did}", headers=as_user(u["officer"])).get_json()["can"]
    assert can == {"route": False, "answer": True, "link": True, "me_too": False, "withdraw": False}


def test_who_asked_is_shown_only_to_the_poster_operators_and_the_owner(client, city, as_user, login):
    u = city["users"]
    did = _post(client, as_user(u["citizen"]))
    assert client.get(f"/api/v1/demands/{did}", headers=as_user(u["enterprise"])).get_json()["requester"] is None
    for who in ("citizen", "operator"):
        body = client.get(f"/api/v1/demands/{did}", headers=as_user(u[who])).get_json()
        assert body["requester"] == u["citizen"].username, who
    login(u["enterprise"])
    html = client.get(f"/demands/{did}").get_data(as_text=True)
    assert u["citizen"].username not in html and "企业/公众用户" in html
