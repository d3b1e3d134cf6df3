"""Every party is told at every transition of a request, with a link to the request page."""

from __future__ import annotations

from sqlalchemy import select

from market.db import db
from notify.models import Notification, OutboxEmail
from orders import decisions, services


def _inbox(user) -> list[tuple[str, str, str, str]]:
    db.session.expire_all()
    return [(n.kind, n.subject, n.body, n.link) for n in db.session.scalars(
        select(Notification).where(Notification.user_id == user.id).order_by(Notification.id))]


def _kinds(user) -> list[str]:
    return [k for k, *_ in _inbox(user)]


def _checkout(shop, *keys):
    requester = shop["users"]["requester"]
    for key in keys:
        services.add_to_cart(requester, shop["data"][key].id)
    req, _ = services.submit_access_request(requester, purpose="用于企业资格核验", period_days=30)
    db.session.commit()
    return req


def _line(req, shop, key):
    return next(ln for ln in req.lines if ln.dataset_id == shop["data"][key].id)


def test_submission_tells_each_first_step_approver_once_and_the_requester(app, shop):
    u = shop["users"]
    u["requester"].email = "zhang@example.gov.cn"
    db.session.commit()
    req = _checkout(shop, "unconditional", "conditional2", "conditional3")
    link = f"/requests/{req.id}"
    officer = _inbox(u["officer"])
    assert len(officer) == 1
    kind, subject, body, href = officer[0]
    assert kind == "request.submitted" and f"#{req.id}" in subject and "2 项" in subject
    assert "有条件二级数据" in body and "有条件三级数据" in body and href == link
    mine = _inbox(u["requester"])
    assert [m[0] for m in mine] == ["request.submitted"]
    assert "已授权：无条件共享数据" in mine[0][2] and mine[0][3] == link
    # the platform step has not started yet; other departments are not involved
    assert _kinds(u["operator"]) == [] and _kinds(u["officer_other"]) == []
    mail = db.session.scalars(select(OutboxEmail).where(OutboxEmail.to_addr == "zhang@example.gov.cn")).all()
    assert len(mail) == 1 and link in mail[0].body


def test_question_answer_next_step_and_grant_notices(app, shop):
    u = shop["users"]
    req = _checkout(shop, "conditional2", "conditional3")
    c2, c3 = _line(req, shop, "conditional2"), _line(req, shop, "conditional3")

    decisions.decide_line(c2, approver=u["officer"], decision="ask", comment="请说明使用范围")
    db.session.commit()
    kind, subject, body, link = _inbox(u["requester"])[-1]
    assert kind == "request.info_requested" and "请说明使用范围" in body and link == f"/requests/{req.id}"

    decisions.answer_line(c2, requester=u["requester"], comment="仅用于本局审批")
    db.session.commit()
    kind, _s, body, _l = _inbox(u["officer"])[-1]
    assert kind == "request.answered" and "仅用于本局审批" in body

    decisions.decide_line(c3, approver=u["officer"], decision="approve")
    db.session.commit()
    assert _kinds(u["operator"]) == ["request.step_waiting"]
    assert "有条件三级数据" in _inbox(u["operator"])[0][1]
    assert _kinds(u["requester"])[-1] == "request.info_requested"  # an intermediate approval says nothing

    decisions.decide_line(c3, approver=u["operator"], decision="approve")
    db.session.commit()
    kind, subject, body, _l = _inbox(u["requester"])[-1]
    assert kind == "request.granted" and "有条件三级数据" in subject and "有效期至" in body

    decisions.decide_line(c2, approver=u["officer"], decision="approve", fields=["姓名"])
    db.session.commit()
    kind, _s, body, _l = _inbox(u["requester"])[-1]
    assert kind == "request.partly_approved" and "未获批的信息项：地址" in body


def test_rejection_withdrawal_revocation_and_expiry_notices(app, shop):
    u = shop["users"]
    req = _checkout(shop, "conditional2", "sensitive2", "unconditional")
    decisions.decide_line(_line(req, shop, "conditional2"), approver=u["officer"], decision="reject",
                          comment="用途与数据不符")
    db.session.commit()
    kind, _s, body, _l = _inbox(u["requester"])[-1]
    assert kind == "request.rejected" and "驳回原因：用途与数据不符" in body

    before = len(_inbox(u["officer"]))
    decisions.withdraw_line(_line(req, shop, "sensitive2"), requester=u["requester"])
    db.session.commit()
    assert _kinds(u["requester"])[-1] == "request.withdrawn"
    officer = _inbox(u["officer"])
    assert len(officer) == before + 1 and officer[-1][0] == "request.withdrawn" and "撤回" in officer[-1][1]

    grant = _line(req, shop, "unconditional").grant
    decisions.revoke_grant(grant, actor=u["operator"], reason="数据源调整")
    db.session.commit()
    kind, _s, body, _l = _inbox(u["requester"])[-1]
    assert kind == "request.revoked" and "数据源调整" in body

    req2 = _checkout(shop, "unconditional")
    grant2 = req2.lines[0].grant
    assert decisions.expire_grants(grant2.expires_at) == 1
    db.session.commit()
    kind, subject, _b, link = _inbox(u["requester"])[-1]
    assert kind == "request.expired" and "无条件共享数据" in subject and link == f"/requests/{req2.id}"


def test_a_decision_that_fails_tells_nobody(app, shop):
    u = shop["users"]
    req = _checkout(shop, "conditional2")
    before = _kinds(u["requester"])
    results = decisions.decide_batch(req.lines, approver=u["officer_other"], decision="approve")
    db.session.commit()
    assert not results[0].ok and _kinds(u["requester"]) == before
