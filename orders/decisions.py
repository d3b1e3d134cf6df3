"""Approval decisions (per line, per data item, in batches), questions and answers, withdrawal,
and grants. Every change goes through ``state._transition`` and so is audited."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _

from audit import record_event
from market.db import db, utcnow
from market.errors import Forbidden, MarketError, ValidationFailed

from . import notices
from .deadlines import due_at, working_days_for
from .models import ApprovalStep, Grant, RequestComment, RequestLine
from .permissions import awaits_answer, can_decide, current_step, is_requester, is_withdrawable
from .state import InvalidTransition, LineState, StepState, _transition

DECISIONS = ("approve", "reject", "ask")


def start_step(step: ApprovalStep, *, actor, now=None) -> None:
    """Make ``step`` the one the line waits on, with its due time in working days."""
    now = now or utcnow()
    _transition(step, StepState.waiting, actor, started_at=now,
                due_at=due_at(now, working_days_for(step.kind)), reminded_at=None, escalated_at=None)


def delivery_modes_for(dataset) -> list[str]:
    """Level 4 entries are never delivered by bulk download: authorised query (or sandbox) only."""
    modes = list(dataset.delivery_modes or [])
    if dataset.level >= 4:
        modes = [m for m in modes if m != "download"] or ["query"]
    return modes


PAYMENT_GATE = "orders.payment_gate"
"""``app.extensions[PAYMENT_GATE]``: ``gate(line, actor) -> bool``, installed by a payments package (trading).
True = the line is a paid product: ``grant_line`` moves it to payment_pending instead of granting, and the
payments package calls ``grant_paid_line`` once the payment succeeded (or ``release_unpaid_line``)."""


def grant_line(line: RequestLine, *, actor, paid: bool = False, days: int | None = None) -> Grant | None:
    """Turn an approved line into a grant for the requester, limited to the approved items.

    None when the payment gate says the line must be paid first: it then waits in payment_pending."""
    gate = current_app.extensions.get(PAYMENT_GATE)
    if not paid and gate is not None and gate(line, actor):
        _transition(line, LineState.payment_pending, actor, payload={"reason": "payment_required"})
        return None
    fields = list(line.fields)
    for step in line.steps:
        if step.state == StepState.approved and step.approved_fields is not None:
            fields = [f for f in fields if f in step.approved_fields]
    now = utcnow()
    grant = Grant(line=line, user_id=line.request.requester_id, dataset_id=line.dataset_id, fields=fields,
                  delivery_modes=delivery_modes_for(line.dataset), granted_at=now,
                  expires_at=now + timedelta(days=days or line.request.period_days))
    db.session.add(grant)
    db.session.flush()
    _transition(line, LineState.granted, actor,
                payload={"grant": grant.id, "fields": fields, "delivery_modes": grant.delivery_modes,
                         "expires_at": grant.expires_at.isoformat()})
    return grant


def grant_paid_line(line: RequestLine, *, actor, payment_ref: str, days: int | None = None) -> Grant:
    """Grant a payment_pending line whose payment succeeded (payments package only)."""
    if line.state != LineState.payment_pending:
        raise InvalidTransition(f"Request line {line.id} is '{line.state}', not waiting for payment.")
    grant = grant_line(line, actor=actor, paid=True, days=days)
    record_event("grant.paid", "grant", grant.id, actor=actor, payload={"line": line.id, "payment": payment_ref})
    return grant


def release_unpaid_line(line: RequestLine, *, actor, to: LineState, reason: str) -> RequestLine:
    """End a payment_pending line without a grant: cancelled by the buyer (withdrawn) or unpaid in time (expired)."""
    if to not in (LineState.withdrawn, LineState.expired):
        raise ValueError(f"an unpaid line ends withdrawn or expired, not {to}")
    _transition(line, to, actor, payload={"reason": reason})
    return line


def _comment(line: RequestLine, author, kind: str, body: str) -> None:
    if body:
        db.session.add(RequestComment(request_id=line.request_id, line_id=line.id, author_id=author.id,
                                      kind=kind, body=body))


def _cancel_open_steps(line: RequestLine, actor) -> None:
    for step in line.steps:
        if step.state in (StepState.pending, StepState.waiting, StepState.info_requested):
            _transition(step, StepState.cancelled, actor)


def decide_line(line: RequestLine, *, approver, decision: str, comment: str = "",
                fields: list[str] | None = None) -> RequestLine:
    """Approve, reject (reason required) or ask for more information on the step ``line`` waits on.

    ``fields`` approves only those requested items (the others are refused). 409 when the line no
    longer waits for this approver, including when another approver decided it a moment earlier.
    """
    comment = (comment or "").strip()
    if decision not in DECISIONS:
        raise ValidationFailed(_("decision 必须是 approve、reject 或 ask。"),
                               fields={"decision": ["one of approve, reject, ask"]})
    if not can_decide(line, approver):
        raise InvalidTransition(_("申请明细 %(id)s 已不在等待您的审批（状态：%(s)s）。", id=line.id, s=line.state),
                                code="not_waiting_for_you")
    if decision in ("reject", "ask") and not comment:
        what = _("驳回原因") if decision == "reject" else _("需要补充的内容")
        raise ValidationFailed(_("请填写%(w)s。", w=what), fields={"comment": ["required"]})
    step = current_step(line)
    now = utcnow()
    if decision == "reject":
        _transition(step, StepState.rejected, approver, payload={"comment": comment},
                    decided_by_id=approver.id, decided_at=now, comment=comment)
        _cancel_open_steps(line, approver)
        _transition(line, LineState.rejected, approver, payload={"step": step.id, "comment": comment})
        _comment(line, approver, "decision", comment)
        notices.rejected(line, comment)
        return line
    if decision == "ask":
        _transition(step, StepState.info_requested, approver, payload={"question": comment}, comment=comment)
        _transition(line, LineState.info_requested, approver, payload={"step": step.id})
        _comment(line, approver, "question", comment)
        notices.info_requested(line, comment)
        return line
    approved = None
    if fields is not None:
        unknown = [f for f in fields if f not in line.fields]
        if unknown:
            raise ValidationFailed(_("这些信息项不在申请范围内：%(u)s", u="、".join(unknown)),
                                   fields={"fields": [f"not requested: {u}" for u in unknown]})
        if not fields:
            raise ValidationFailed(_("至少批准一个信息项；全部不同意请选择驳回。"),
                                   fields={"fields": ["choose at least one item, or reject"]})
        approved = [f for f in line.fields if f in fields]
    _transition(step, StepState.approved, approver,
                payload={"comment": comment, "approved_fields": approved},
                decided_by_id=approver.id, decided_at=now, comment=comment, approved_fields=approved)
    _comment(line, approver, "decision", comment)
    following = next((s for s in line.steps if s.state == StepState.pending), None)
    if following is not None:
        start_step(following, actor=approver, now=now)
        notices.step_started(line, following)
        return line
    _transition(line, LineState.approved, approver, payload={"step": step.id})
    grant = grant_line(line, actor=approver)
    if grant is not None:  # None: a paid product now waits for payment (the payments package tells the buyer)
        notices.approved(line, grant)
    return line


@dataclass(frozen=True)
class BatchResult:
    line_id: int
    ok: bool
    state: str
    error: str = ""
    code: str = ""


def decide_batch(lines: list[RequestLine], *, approver, decision: str, comment: str = "") -> list[BatchResult]:
    """Decide several lines at once; each line succeeds or fails on its own (a savepoint per line)."""
    if decision == "reject" and not (comment or "").strip():
        raise ValidationFailed(_("批量驳回必须填写驳回原因。"), fields={"comment": ["required"]})
    results = []
    for line in lines:
        try:
            with db.session.begin_nested():
                decide_line(line, approver=approver, decision=decision, comment=comment)
            results.append(BatchResult(line.id, True, str(line.state)))
        except MarketError as exc:
            db.session.expire_all()  # the savepoint rolled back: reload what it touched
            results.append(BatchResult(line.id, False, str(line.state), exc.message, exc.code))
    return results


def require_requester(line: RequestLine, user, action: str) -> None:
    """403 when ``user`` did not raise the request of ``line``: answering a question (``action``
    "answer") and withdrawing ("withdraw") are the requester's own acts, whatever the line's state;
    officers and operators decide, they do not act for the requester. Checked before the state, so
    "not yours" is never reported as a 409."""
    if is_requester(line.request, user):
        return
    if action == "answer":
        message = _("申请明细 %(id)s 不是您提交的：只有申请人本人可以补充材料；审批人请使用“要求补充材料”提问。", id=line.id)
    else:
        message = _("申请明细 %(id)s 不是您提交的：只有申请人本人可以撤回。", id=line.id)
    raise Forbidden(message, code="not_requester")


def answer_line(line: RequestLine, *, requester, comment: str) -> RequestLine:
    """Answer an approver's question; the step waits again with a fresh due time.

    403 when ``requester`` is not the one who raised the request; 409 when their line does not wait
    for an answer; 422 without a comment."""
    comment = (comment or "").strip()
    require_requester(line, requester, "answer")
    if not awaits_answer(line):
        raise InvalidTransition(_("申请明细 %(id)s 没有等待您补充材料。", id=line.id), code="not_waiting_for_you")
    if not comment:
        raise ValidationFailed(_("请填写补充说明。"), fields={"comment": ["required"]})
    step = current_step(line)
    now = utcnow()
    _transition(step, StepState.waiting, requester, payload={"answer": comment}, started_at=now,
                due_at=due_at(now, working_days_for(step.kind)), reminded_at=None, escalated_at=None)
    _transition(line, LineState.waiting, requester, payload={"step": step.id})
    _comment(line, requester, "answer", comment)
    notices.answered(line, step, comment)
    return line


def withdraw_line(line: RequestLine, *, requester) -> RequestLine:
    """Withdraw an open line (the requester changed their mind).

    403 when ``requester`` is not the one who raised the request; 409 when their line is no longer open."""
    require_requester(line, requester, "withdraw")
    if not is_withdrawable(line):
        raise InvalidTransition(_("申请明细 %(id)s 处于“%(s)s”，不能撤回。", id=line.id, s=line.state))
    step = current_step(line)
    _cancel_open_steps(line, requester)
    _transition(line, LineState.withdrawn, requester)
    notices.withdrawn(line, step)
    return line


def expire_grants(now=None) -> int:
    """Mark granted lines whose period has ended as expired; return how many."""
    from sqlalchemy import select

    now = now or utcnow()
    lines = db.session.scalars(select(RequestLine).join(Grant).where(
        RequestLine.state == LineState.granted, Grant.expires_at <= now)).all()
    for line in lines:
        _transition(line, LineState.expired, None, payload={"grant": line.grant.id})
        notices.expired(line)
    return len(lines)


def revoke_grant(grant: Grant, *, actor, reason: str) -> Grant:
    """Revoke a grant before it expires (operator or owning officer); reason required."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("请填写撤销原因。"), fields={"reason": ["required"]})
    _transition(grant.line, LineState.revoked, actor, payload={"grant": grant.id, "reason": reason})
    record_event("grant.revoked", "grant", grant.id, actor=actor, payload={"reason": reason})
    notices.revoked(grant.line, reason)
    return grant
