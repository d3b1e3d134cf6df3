"""The overdue list, the operator overview, the inbox's department filter and the cart's demand link."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from market.db import db, utcnow
from orders import services
from orders.models import ApprovalStep
from tests.conftest import signed_in_client as _signed_in


def _request(shop, *keys, requester=None):
    requester = requester or shop["users"]["requester"]
    for key in keys:
        services.add_to_cart(requester, shop["data"][key].id)
    req, _ = services.submit_access_request(requester, purpose="用于资格核验", period_days=30)
    db.session.commit()
    return req


def _due_in(req, delta):
    ids = [s.id for ln in req.lines for s in ln.steps if s.state == "waiting"]
    db.session.execute(update(ApprovalStep).where(ApprovalStep.id.in_(ids)).values(due_at=utcnow() + delta))
    db.session.commit()
    return ids


def test_overdue_list_is_scoped_to_the_officers_department(app, shop):
    u = shop["users"]
    late = _request(shop, "conditional2")
    _due_in(late, -timedelta(days=2, hours=3, minutes=5))
    soon = _request(shop, "level4")  # owned by the other department
    _due_in(soon, timedelta(hours=30, minutes=5))
    client = _signed_in(app, u["officer"])
    html = client.get("/approvals/overdue").get_data(as_text=True)
    assert f"#{late.id}" in html and "有条件二级数据" in html and "已超期 2 天 3 小时" in html
    assert "四级数据" not in html and "48 小时内没有到期的审批环节" in html
    assert 'href="/approvals/overdue"' in html  # in the account menu
    assert 'href="/approvals/overview"' not in html  # operators only
    client = _signed_in(app, u["officer_other"])
    html = client.get("/approvals/overdue").get_data(as_text=True)
    assert "没有逾期的审批环节" in html and "有条件二级数据" not in html
    assert "四级数据" in html and "还剩 1 天 6 小时" in html
    client = _signed_in(app, u["operator"])
    html = client.get("/approvals/overdue").get_data(as_text=True)
    assert "有条件二级数据" in html and "四级数据" in html
    client = _signed_in(app, u["requester"])
    assert client.get("/approvals/overdue").status_code == 403


def test_operator_overview_filters_counts_deadlines_and_escalations(app, shop, make_user,
                                                                   make_department):
    from orders.reminders import run_reminders

    u = shop["users"]
    other_requester = make_user("requester", department=make_department(name="市民政局"))
    first = _request(shop, "unconditional", "conditional2")
    second = _request(shop, "conditional3", requester=other_requester)
    _due_in(second, -timedelta(hours=5))
    run_reminders()
    db.session.commit()

    client = _signed_in(app, u["operator"])
    html = client.get("/approvals/overview").get_data(as_text=True)
    assert 'href="/approvals/overview"' in html  # in the operator's account menu
    assert f"#{first.id}" in html and f"#{second.id}" in html and "申请（2）" in html
    assert "已授权 <strong>1</strong>" in html and "审批中 <strong>2</strong>" in html
    assert "已超期（1）" in html and "已上报" in html  # escalated by the reminder run
    html = client.get("/approvals/overview?state=granted").get_data(as_text=True)
    assert f'id="req-{first.id}"' in html and f'id="req-{second.id}"' not in html
    dept = other_requester.department_id
    html = client.get(f"/approvals/overview?department={dept}").get_data(as_text=True)
    assert f'id="req-{second.id}"' in html and f'id="req-{first.id}"' not in html
    # the owning department matches too
    html = client.get(f"/approvals/overview?department={shop['owner'].id}").get_data(as_text=True)
    assert f'id="req-{first.id}"' in html and f'id="req-{second.id}"' in html
    today = utcnow().date()
    html = client.get(f"/approvals/overview?from={today + timedelta(days=1)}").get_data(as_text=True)
    assert "申请（0）" in html and "没有符合条件的申请" in html
    html = client.get(f"/approvals/overview?from={today}&to={today}").get_data(as_text=True)
    assert "申请（2）" in html
    html = client.get("/approvals/overview?from=2026-13-45").get_data(as_text=True)
    assert 'id="from-error"' in html and "申请（2）" in html
    client = _signed_in(app, u["officer"])
    assert client.get("/approvals/overview").status_code == 403


def test_inbox_filters_by_requesting_department(app, shop, make_user, make_department):
    u = shop["users"]
    other_requester = make_user("requester", department=make_department(name="市民政局"))
    _request(shop, "conditional2")
    _request(shop, "sensitive2", requester=other_requester)
    client = _signed_in(app, u["officer"])
    html = client.get("/approvals").get_data(as_text=True)
    assert "有条件二级数据" in html and "含敏感项二级数据" in html
    html = client.get(f"/approvals?department={other_requester.department_id}").get_data(as_text=True)
    assert "有条件二级数据" not in html and "含敏感项二级数据" in html


def test_a_cart_line_that_cannot_be_requested_links_to_a_demand(app, shop):
    d = shop["data"]
    requester = shop["users"]["requester"]
    services.add_to_cart(requester, d["conditional2"].id)
    d["conditional2"].share_attribute = "none"  # the owner stopped sharing it after it was added
    db.session.commit()
    client = _signed_in(app, requester)
    html = client.get("/cart").get_data(as_text=True)
    assert "不能申请" in html and f"/demands/new?dataset_id={d['conditional2'].id}" in html
    html = client.get("/checkout").get_data(as_text=True)
    assert f"/demands/new?dataset_id={d['conditional2'].id}" in html


def test_overview_api_for_operators(app, client, shop, as_user, make_user, make_department):
    from orders.reminders import run_reminders

    u = shop["users"]
    other_requester = make_user("requester", department=make_department(name="市民政局"))
    first = _request(shop, "unconditional", "conditional2")
    second = _request(shop, "conditional3", requester=other_requester)
    _due_in(second, -timedelta(hours=5))
    _due_in(first, timedelta(hours=20))
    run_reminders()
    db.session.commit()
    op = as_user(u["operator"])
    body = client.get("/api/v1/approvals/overview", headers=op).get_json()
    assert body["total"] == 2 and [r["id"] for r in body["items"]] == [second.id, first.id]
    assert body["counts"] == {"granted": 1, "waiting": 2} and body["overdue"] == 1
    assert [s["request_id"] for s in body["escalated"]] == [second.id] and body["escalated"][0]["escalated_at"]
    assert [s["request_id"] for s in body["due_soon"]] == [first.id] and body["due_soon"][0]["reminded_at"]
    dept = other_requester.department.code
    body = client.get(f"/api/v1/approvals/overview?department={dept}&state=waiting", headers=op).get_json()
    assert [r["id"] for r in body["items"]] == [second.id]
    bad = client.get("/api/v1/approvals/overview?department=NOPE&from=2026-99-01", headers=op)
    assert bad.status_code == 422 and "from" in bad.get_json()["error"]["fields"]
    bad = client.get("/api/v1/approvals/overview?department=NOPE", headers=op)
    assert bad.status_code == 422 and "department" in bad.get_json()["error"]["fields"]
    assert client.get("/api/v1/approvals/overview?per_page=101", headers=op).status_code == 422
    assert client.get("/api/v1/approvals/overview", headers=as_user(u["officer"])).status_code == 403
