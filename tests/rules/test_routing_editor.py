"""The routing-rule editor: operators change rules with a reason, the next checkout follows them, and every
change is versioned and audited; per-field validation, previews and read-only access for officers."""

from sqlalchemy import select

from audit.models import AuditEvent
from market.db import db
from orders.models import RequestLine
from rules.models import RuleChange
from tests.conftest import csrf_token, signed_in_client

FREE_CONDITIONAL = {
    "rule-0-order": "10", "rule-0-name": "conditional_free", "rule-0-outcome": "grant",
    "rule-0-share_attribute": "conditional", "rule-0-min_level": "", "rule-0-sensitive": "",
    "rule-1-order": "20", "rule-1-name": "everything_else", "rule-1-outcome": "approve",
    "rule-1-share_attribute": "", "rule-1-min_level": "", "rule-1-sensitive": "",
    "rule-1-steps": ["owner", "platform"],
    "rule-100-order": "", "rule-100-name": "", "rule-100-outcome": "approve",
}


def _checkout(client, headers, dataset_id):
    resp = client.post("/api/v1/cart/items", json={"dataset_id": dataset_id}, headers=headers)
    assert resp.status_code == 201, resp.get_data(as_text=True)[:300]
    resp = client.post("/api/v1/requests", json={"purpose": "测试审批路由规则的变化", "period_days": 30},
                       headers=headers)
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()


def _line_state(request_json):
    """State of the one line of the request just checked out."""
    lines = db.session.scalars(select(RequestLine).where(RequestLine.request_id == request_json["id"])).all()
    assert len(lines) == 1
    return lines[0].state




def test_changing_a_routing_rule_changes_the_next_checkout_and_is_audited(
        app, client, make_user, make_dataset, make_department, api_token):
    owner = make_department()
    ds = make_dataset("有条件二级数据", department=owner, share_attribute="conditional", level=2,
                      items=[("姓名", False), ("地址", False)])
    other = make_dataset("另一条有条件数据", department=owner, share_attribute="conditional", level=2,
                         items=[("姓名", False)])
    requester = make_user("requester")
    operator = make_user("operator")
    headers = api_token(requester)

    before = _checkout(client, headers, ds.id)
    assert str(_line_state(before)) == "waiting"  # default rules: the owner approves

    op = signed_in_client(app, operator)
    data = {**FREE_CONDITIONAL, "reason": "试点：有条件共享数据直接授权", "action": "save",
            "csrf_token": csrf_token(op, "/rules/routing")}
    resp = op.post("/rules/routing", data=data)
    assert resp.status_code == 302, resp.get_data(as_text=True)[:2000]

    after = _checkout(client, headers, other.id)
    assert str(_line_state(after)) == "granted"  # the new rule applies to the next checkout

    change = db.session.scalar(select(RuleChange).where(RuleChange.rule_set == "routing"))
    assert change.reason == "试点：有条件共享数据直接授权" and change.actor_id == operator.id
    assert change.after[0] == {"name": "conditional_free", "outcome": "grant", "steps": [],
                               "share_attribute": "conditional", "min_level": None, "sensitive_requested": None}
    assert change.before[0]["name"] == "not_shared"
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "rules.routing.replaced"))
    assert event.actor_id == operator.id and event.payload["reason"] == change.reason

    page = op.get("/rules/routing/history").get_data(as_text=True)
    assert "试点：有条件共享数据直接授权" in page and "conditional_free" in page and "not_shared" in page


def test_every_field_gets_its_own_message_and_nothing_is_saved(client, make_user, login):
    login(make_user("operator"))
    data = {"rule-0-order": "x", "rule-0-name": "", "rule-0-outcome": "approve", "rule-0-share_attribute": "",
            "rule-0-min_level": "9", "rule-0-sensitive": "",
            "rule-1-order": "20", "rule-1-name": "free", "rule-1-outcome": "grant", "rule-1-steps": ["owner"],
            "reason": "测试校验", "action": "save", "csrf_token": csrf_token(client, "/rules/routing")}
    resp = client.post("/rules/routing", data=data)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422
    for field, message in [("rule-0-name", "请填写规则名称"), ("rule-0-order", "顺序应为整数"),
                           ("rule-0-min_level", "最低分级应为 1–4 级"), ("rule-0-steps", "至少需要一个审批环节"),
                           ("rule-1-steps", "没有审批环节")]:
        assert f'id="{field}-error"' in html and message in html, field
    assert db.session.scalar(select(RuleChange)) is None


def test_a_reason_is_mandatory(client, make_user, login):
    login(make_user("operator"))
    data = {**FREE_CONDITIONAL, "reason": "  ", "action": "save", "csrf_token": csrf_token(client, "/rules/routing")}
    resp = client.post("/rules/routing", data=data)
    assert resp.status_code == 422 and "修改原因" in resp.get_data(as_text=True)
    assert db.session.scalar(select(RuleChange)) is None
    assert client.get("/api/v1/routing-rules").get_json()["rules"][0]["name"] == "not_shared"


def test_delete_and_reorder_rows(client, make_user, login):
    login(make_user("operator"))
    data = {**FREE_CONDITIONAL, "rule-0-order": "30", "rule-1-delete": "on",
            "rule-2-order": "5", "rule-2-name": "closed", "rule-2-outcome": "refuse", "rule-2-share_attribute": "none",
            "reason": "调整顺序并删除一条", "action": "save", "csrf_token": csrf_token(client, "/rules/routing")}
    assert client.post("/rules/routing", data=data).status_code == 302
    names = [r["name"] for r in client.get("/api/v1/routing-rules").get_json()["rules"]]
    assert names == ["closed", "conditional_free"]


def test_preview_current_and_draft_rules(app, client, make_user, make_dataset, login):
    ds = make_dataset("含敏感项数据", share_attribute="conditional", level=2,
                      items=[("姓名", False), ("公民身份号码", True)])
    login(make_user("officer"))
    html = client.get(f"/rules/routing?dataset={ds.code}").get_data(as_text=True)
    assert "conditional_sensitive" in html and "平台（大数据局）审批" in html
    html = client.get(f"/rules/routing?dataset={ds.code}&items=姓名").get_data(as_text=True)
    assert "命中规则：conditional</p>" in html
    assert "没有编码或编号为" in client.get("/rules/routing?dataset=NOPE").get_data(as_text=True)

    op = signed_in_client(app, make_user("operator"))
    data = {**FREE_CONDITIONAL, "action": "preview", "dataset": ds.code, "items": "",
            "csrf_token": csrf_token(op, "/rules/routing")}
    html = op.post("/rules/routing", data=data).get_data(as_text=True)
    assert "修改后的规则（未保存）" in html and "命中规则：conditional_free" in html
    assert db.session.scalar(select(RuleChange)) is None  # a preview saves nothing


def test_officers_read_operators_edit_others_are_kept_out(app, client, make_user, login):
    assert client.get("/rules").status_code == 302  # anonymous → login
    assert signed_in_client(app, make_user("requester")).get("/rules").status_code == 403
    login(make_user("officer"))
    for path in ("/rules", "/rules/routing", "/rules/deadlines", "/rules/calendar", "/rules/synonyms",
                 "/rules/terms", "/rules/standards", "/rules/routing/history"):
        resp = client.get(path)
        assert resp.status_code == 200, path
        assert "修改原因" not in resp.get_data(as_text=True), path  # no edit forms for officers
    token = csrf_token(client, "/rules")
    assert client.post("/rules/routing", data={**FREE_CONDITIONAL, "reason": "越权修改", "csrf_token": token}
                       ).status_code == 403
    assert client.post("/rules/deadlines", data={"owner": "3", "reason": "越权修改", "csrf_token": token}
                       ).status_code == 403
    assert db.session.scalar(select(RuleChange)) is None


def test_api_changes_with_a_reason_are_versioned_too(client, make_user, api_token):
    headers = api_token(make_user("operator"))
    rules = [{"name": "everything", "outcome": "approve", "steps": ["owner", "platform"]}]
    resp = client.put("/api/v1/routing-rules", json={"rules": rules, "reason": "接口批量调整规则"}, headers=headers)
    assert resp.status_code == 200 and resp.get_json()["rules"][0]["name"] == "everything"
    change = db.session.scalar(select(RuleChange))
    assert change.reason == "接口批量调整规则" and change.after[0]["steps"] == ["owner", "platform"]
    resp = client.put("/api/v1/routing-rules", json={"rules": rules, "reason": "短"}, headers=headers)
    assert resp.status_code == 422 and "reason" in resp.get_json()["error"]["fields"]
