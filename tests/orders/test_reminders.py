"""Reminders and escalation fire at the right (simulated) times, once each."""

from datetime import timedelta

from sqlalchemy import select

from audit.models import AuditEvent
from market.cli import cli
from market.db import db
from orders import services
from orders.deadlines import due_at, remind_at
from orders.queries import overdue_steps
from orders.reminders import run_reminders


def _waiting_step(shop):
    u = shop["users"]
    services.add_to_cart(u["requester"], shop["data"]["conditional2"].id)
    req, _ = services.submit_access_request(u["requester"], purpose="用于资格核验", period_days=30)
    db.session.commit()
    return req.lines[0].steps[0]


def test_reminder_one_working_day_before_and_escalation_after_the_due_time(app, shop, runner):
    step = _waiting_step(shop)
    step_id, due = step.id, step.due_at
    assert due == due_at(step.started_at, 5)  # owner step: 5 working days
    remind = remind_at(due)
    assert run_reminders(remind - timedelta(hours=1)) == ([], [])  # too early
    assert run_reminders(remind) == ([step_id], [])
    assert run_reminders(remind + timedelta(hours=1)) == ([], [])  # once only
    assert overdue_steps(due - timedelta(minutes=1)) == []
    assert run_reminders(due) == ([], [step_id])
    assert [s.id for s in overdue_steps(due)] == [step_id]
    assert run_reminders(due + timedelta(days=1)) == ([], [])
    db.session.commit()
    actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.object_type == "approval_step",
                                                                 AuditEvent.object_id == str(step_id))).all()
    assert actions.count("approval_step.reminded") == 1 and actions.count("approval_step.escalated") == 1
    out = runner.invoke(cli, ["orders", "remind"])
    assert out.exit_code == 0 and "0 reminders, 0 escalations" in out.output


def test_decided_steps_are_neither_reminded_nor_escalated(client, shop, as_user):
    step = _waiting_step(shop)
    step_id, due = step.id, step.due_at
    resp = client.post(f"/api/v1/requests/{step.line.request_id}/lines/{step.line_id}/decision",
                       json={"decision": "approve"}, headers=as_user(shop["users"]["officer"]))
    assert resp.status_code == 200
    assert run_reminders(due + timedelta(days=1)) == ([], [])
    assert step_id not in [s["id"] for s in client.get(
        "/api/v1/approvals/overdue", headers=as_user(shop["users"]["operator"])).get_json()["items"]]
    assert client.get("/api/v1/approvals/overdue", headers=as_user(shop["users"]["officer"])).get_json() == {
        "items": []}
    assert client.get("/api/v1/approvals/overdue", headers=as_user(shop["users"]["requester"])).status_code == 403


def _kinds(user) -> list[str]:
    from notify.models import Notification

    db.session.expire_all()
    return list(db.session.scalars(select(Notification.kind).where(Notification.user_id == user.id)
                                   .order_by(Notification.id)))


def test_the_periodic_job_reminds_approvers_then_escalates_to_operators_at_the_simulated_times(app, shop,
                                                                                             make_user):
    """Driven through the jobs runner (what `market serve`, a worker or cron run) with a controlled clock."""
    from jobs.runner import run_due

    u = shop["users"]
    second_operator = make_user("operator")
    step = _waiting_step(shop)
    due = step.due_at
    remind = remind_at(due)
    before = {k: len(_kinds(v)) for k, v in u.items()}

    def tick(now):
        (outcome,) = run_due(now, force=True, names=["orders.reminders"])
        assert outcome.ok, outcome.error
        return outcome.result

    assert tick(remind - timedelta(minutes=1)) == "0 reminders, 0 escalations"
    assert len(_kinds(u["officer"])) == before["officer"]
    assert tick(remind) == "1 reminders, 0 escalations"
    assert _kinds(u["officer"])[-1] == "request.reminder"
    assert len(_kinds(u["operator"])) == before["operator"]  # reminders go to the approvers only
    assert len(_kinds(u["officer_other"])) == before["officer_other"]
    assert tick(due - timedelta(seconds=1)) == "0 reminders, 0 escalations"
    assert tick(due) == "0 reminders, 1 escalations"
    assert _kinds(u["operator"])[-1] == "request.escalated" and _kinds(second_operator) == ["request.escalated"]
    assert _kinds(u["officer"]).count("request.escalated") == 0
    assert tick(due + timedelta(days=3)) == "0 reminders, 0 escalations"
    assert _kinds(second_operator) == ["request.escalated"]


def test_grant_holders_are_told_before_expiry_then_the_grant_expires(app, shop):
    from jobs.runner import run_due
    from orders.reminders import GRANT_EXPIRY_NOTICE_DAYS

    requester = shop["users"]["requester"]
    services.add_to_cart(requester, shop["data"]["unconditional"].id)
    req, _ = services.submit_access_request(requester, purpose="用于资格核验", period_days=30)
    db.session.commit()
    expires = req.lines[0].grant.expires_at
    notice = expires - timedelta(days=GRANT_EXPIRY_NOTICE_DAYS)

    def tick(now):
        (outcome,) = run_due(now, force=True, names=["orders.grants"])
        assert outcome.ok, outcome.error
        return outcome.result

    assert tick(notice - timedelta(minutes=1)) == "0 expired, 0 expiry notices"
    assert tick(notice) == "0 expired, 1 expiry notices"
    assert _kinds(requester)[-1] == "grant.expiring"
    assert tick(notice + timedelta(days=1)) == "0 expired, 0 expiry notices"  # once only
    assert tick(expires) == "1 expired, 0 expiry notices"
    assert _kinds(requester)[-2:] == ["grant.expiring", "request.expired"]
    db.session.expire_all()
    assert req.lines[0].state == "expired"
