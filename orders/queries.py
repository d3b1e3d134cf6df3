"""Read-side queries: the approver inbox, the overdue list, a user's requests and grants."""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from market.db import db, utcnow

from .models import AccessRequest, ApprovalStep, Grant, RequestLine
from .state import StepKind, StepState


def _decidable_steps(user):
    stmt = select(ApprovalStep.line_id).where(ApprovalStep.state == StepState.waiting)
    if user.is_operator:
        return stmt.where(ApprovalStep.kind.in_((StepKind.platform, StepKind.compliance)))
    return stmt.where(ApprovalStep.kind == StepKind.owner, ApprovalStep.department_id == user.department_id)


def approvals_for(user, *, kind: str | None = None, overdue: bool = False, department_id: int | None = None,
                  limit: int = 200) -> list[RequestLine]:
    """Lines waiting for ``user``'s decision, oldest due first; filters narrow the inbox."""
    if not (user.is_operator or user.role == "officer"):
        return []
    steps = _decidable_steps(user)
    if kind:
        steps = steps.where(ApprovalStep.kind == kind)
    if overdue:
        steps = steps.where(ApprovalStep.due_at <= utcnow())
    stmt = (select(RequestLine).where(RequestLine.id.in_(steps))
            .options(selectinload(RequestLine.steps), selectinload(RequestLine.request))
            .order_by(RequestLine.id).limit(limit))
    if department_id:
        stmt = stmt.join(AccessRequest).where(AccessRequest.department_id == department_id)
    return list(db.session.scalars(stmt))


def overdue_steps(now=None, limit: int = 500) -> list[ApprovalStep]:
    """Steps past their due time that are still waiting (the operator's overdue list)."""
    now = now or utcnow()
    return list(db.session.scalars(select(ApprovalStep).where(
        ApprovalStep.state == StepState.waiting, ApprovalStep.due_at <= now)
        .order_by(ApprovalStep.due_at).limit(limit)))


def requests_of(user, limit: int = 100) -> list[AccessRequest]:
    return list(db.session.scalars(select(AccessRequest).where(AccessRequest.requester_id == user.id)
                                   .options(selectinload(AccessRequest.lines))
                                   .order_by(AccessRequest.id.desc()).limit(limit)))


def grants_of(user, *, include_ended: bool = True) -> list[Grant]:
    stmt = select(Grant).where(Grant.user_id == user.id).order_by(Grant.id.desc())
    if not include_ended:
        stmt = stmt.join(RequestLine).where(or_(RequestLine.state == "granted"))
    return list(db.session.scalars(stmt))


def request_timeline(req, lines) -> list:
    """The audit entries of a request and of the lines and steps the viewer may see, oldest first."""
    from sqlalchemy import and_

    from audit.models import AuditEvent

    line_ids = [str(ln.id) for ln in lines]
    step_ids = [str(s.id) for ln in lines for s in ln.steps]
    cond = [and_(AuditEvent.object_type == "access_request", AuditEvent.object_id == str(req.id))]
    if line_ids:
        cond.append(and_(AuditEvent.object_type == "request_line", AuditEvent.object_id.in_(line_ids)))
    if step_ids:
        cond.append(and_(AuditEvent.object_type == "approval_step", AuditEvent.object_id.in_(step_ids)))
    return list(db.session.scalars(select(AuditEvent).where(or_(*cond)).order_by(AuditEvent.id)))
