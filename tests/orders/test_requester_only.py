"""Answering an approver's question and withdrawing a line are the requester's own acts: anyone else
who can see the line (the owning officer, an operator) is refused with 403 "not yours", the requester's
own line in the wrong state with 409, and a refused attempt changes nothing (line, steps, comments,
audit chain, messages)."""

import pytest
from sqlalchemy import func, select

from audit.models import AuditEvent
from market.db import db
from market.errors import Forbidden
from notify.models import Notification
from orders import decisions, services
from orders.models import ApprovalStep, RequestComment, RequestLine
from orders.state import InvalidTransition
from tests.conftest import csrf_token, signed_in_client


@pytest.fixture
def asked(shop):
    """A level-3 line (owner + platform steps) whose owning officer asked the requester for more."""
    requester = shop["users"]["requester"]
    services.add_to_cart(requester, shop["data"]["conditional3"].id)
    req, _created = services.submit_access_request(requester, purpose="用于社会救助资格核验", period_days=30)
    line = req.lines[0]
    decisions.decide_line(line, approver=shop["users"]["officer"], decision="ask", comment="请补充立项文件")
    db.session.commit()
    return {"request": req.id, "line": line.id}


def _snapshot(line_id: int) -> dict:
    """Everything a refused answer or withdrawal must leave as it was."""
    db.session.expire_all()
    line = db.session.get(RequestLine, line_id)
    steps = db.session.scalars(select(ApprovalStep).where(ApprovalStep.line_id == line_id)
                               .order_by(ApprovalStep.id)).all()
    return {
        "line": str(line.state),
        "steps": [(s.id, str(s.state), s.due_at) for s in steps],
        "comments": db.session.scalar(select(func.count()).select_from(RequestComment)),
        "audit": db.session.scalar(select(func.max(AuditEvent.id))),
        "notifications": db.session.scalar(select(func.count()).select_from(Notification)),
    }


def _url(asked, action: str) -> str:
    return f"/api/v1/requests/{asked['request']}/lines/{asked['line']}/{action}"


@pytest.mark.parametrize("action", ["answer", "withdraw"])
@pytest.mark.parametrize("who", ["officer", "operator"])
def test_parties_who_see_the_line_get_403_through_the_api(client, shop, as_user, asked, who, action):
    before = _snapshot(asked["line"])
    resp = client.post(_url(asked, action), json={"comment": "我来替申请人补充"}, headers=as_user(shop["users"][who]))
    assert resp.status_code == 403, resp.get_json()
    error = resp.get_json()["error"]
    assert error["code"] == "not_requester"
    assert f"申请明细 {asked['line']} 不是您提交的" in error["message"] and "申请人本人" in error["message"]
    assert _snapshot(asked["line"]) == before
    # the requester can still do it afterwards: the refusal left the line waiting for them
    resp = client.post(_url(asked, action), json={"comment": "已上传立项批复"},
                       headers=as_user(shop["users"]["requester"]))
    assert resp.status_code == 200
    assert resp.get_json()["state"] == ("waiting" if action == "answer" else "withdrawn")


def test_answer_api_refuses_parties_before_reading_the_body(client, shop, as_user, asked):
    """An officer without a comment is told "not yours" (403), not "comment required" (422)."""
    resp = client.post(_url(asked, "answer"), json={}, headers=as_user(shop["users"]["officer"]))
    assert resp.status_code == 403 and resp.get_json()["error"]["code"] == "not_requester"
    resp = client.post(_url(asked, "answer"), json={}, headers=as_user(shop["users"]["requester"]))
    assert resp.status_code == 422


@pytest.mark.parametrize("action", ["answer", "withdraw"])
@pytest.mark.parametrize("who", ["officer", "operator"])
def test_parties_who_see_the_line_get_a_403_page_from_the_forms(app, shop, asked, who, action):
    browser = signed_in_client(app, shop["users"][who])
    page = browser.get(f"/requests/{asked['request']}")
    assert page.status_code == 200  # they may look at the request …
    before = _snapshot(asked["line"])
    resp = browser.post(f"/requests/{asked['request']}/lines/{asked['line']}/{action}",
                        data={"csrf_token": csrf_token(browser, f"/requests/{asked['request']}"),
                              "comment": "我来替申请人补充"})
    assert resp.status_code == 403  # … but not act for the requester
    assert "只有申请人本人" in resp.get_data(as_text=True)
    assert _snapshot(asked["line"]) == before


def test_another_requester_is_refused_and_cannot_even_see_the_line(client, make_user, shop, as_user, asked):
    """Someone else's request stays invisible through HTTP (404, as for every object one may not see);
    the decision functions themselves refuse them with 403 whatever the caller."""
    other = make_user("requester", department=shop["requesting"])
    before = _snapshot(asked["line"])
    for action in ("answer", "withdraw"):
        resp = client.post(_url(asked, action), json={"comment": "替同事补充"}, headers=as_user(other))
        assert resp.status_code == 404
    line = db.session.get(RequestLine, asked["line"])
    with pytest.raises(Forbidden) as refused:
        decisions.answer_line(line, requester=other, comment="替同事补充")
    assert refused.value.status == 403 and refused.value.code == "not_requester"
    with pytest.raises(Forbidden):
        decisions.withdraw_line(line, requester=other)
    db.session.rollback()
    assert _snapshot(asked["line"]) == before


def test_own_line_in_the_wrong_state_is_409(client, shop, as_user, asked):
    rq = as_user(shop["users"]["requester"])
    assert client.post(_url(asked, "answer"), json={"comment": "已上传立项批复"}, headers=rq).status_code == 200
    before = _snapshot(asked["line"])
    again = client.post(_url(asked, "answer"), json={"comment": "再补充一次"}, headers=rq)  # nobody asks now
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "not_waiting_for_you"
    assert _snapshot(asked["line"]) == before
    assert client.post(_url(asked, "withdraw"), headers=rq).status_code == 200
    before = _snapshot(asked["line"])
    for action in ("withdraw", "answer"):
        resp = client.post(_url(asked, action), json={"comment": "补充"}, headers=rq)
        assert resp.status_code == 409, (action, resp.get_json())
        assert resp.get_json()["error"]["code"] in ("invalid_transition", "not_waiting_for_you")
    assert _snapshot(asked["line"]) == before


def test_own_line_in_the_wrong_state_is_flashed_on_the_page(app, shop, asked):
    """The forms keep telling the requester why (a flash on the request page), not a bare error page."""
    line = db.session.get(RequestLine, asked["line"])
    decisions.withdraw_line(line, requester=shop["users"]["requester"])
    db.session.commit()
    browser = signed_in_client(app, shop["users"]["requester"])
    before = _snapshot(asked["line"])
    resp = browser.post(f"/requests/{asked['request']}/lines/{asked['line']}/withdraw",
                        data={"csrf_token": csrf_token(browser, f"/requests/{asked['request']}")},
                        follow_redirects=True)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "flash-error" in html and "不能撤回" in html
    assert _snapshot(asked["line"]) == before


def test_the_service_checks_ownership_before_the_state(shop, asked):
    """An officer trying to withdraw an already withdrawn line still hears "not yours", not "wrong state"."""
    line = db.session.get(RequestLine, asked["line"])
    decisions.withdraw_line(line, requester=shop["users"]["requester"])
    db.session.commit()
    with pytest.raises(Forbidden):
        decisions.withdraw_line(line, requester=shop["users"]["officer"])
    with pytest.raises(InvalidTransition):
        decisions.withdraw_line(line, requester=shop["users"]["requester"])
