"""Read-side queries: the approver inbox, the overdue list, a user's requests and grants."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from market.db import db, utcnow

from .models import AccessRequest, ApprovalStep, Grant, RequestLine, SubOrder
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


def _steps_seen_by(stmt, user):
    """Operators see every step; an officer the owner steps of their own department."""
    if user is None or user.is_operator:
        return stmt
    return stmt.where(ApprovalStep.kind == StepKind.owner, ApprovalStep.department_id == user.department_id)


def _step_rows(stmt, limit: int) -> list[ApprovalStep]:
    return list(db.session.scalars(stmt.options(
        selectinload(ApprovalStep.line).selectinload(RequestLine.request),
        selectinload(ApprovalStep.line).selectinload(RequestLine.order)).limit(limit)))


def overdue_steps(now=None, limit: int = 500, *, user=None) -> list[ApprovalStep]:
    """Steps past their due time that are still waiting, most overdue first: all of them for operators
    (``user`` None or an operator), an officer's own department's owner steps otherwise."""
    now = now or utcnow()
    stmt = select(ApprovalStep).where(ApprovalStep.state == StepState.waiting, ApprovalStep.due_at <= now)
    return _step_rows(_steps_seen_by(stmt, user).order_by(ApprovalStep.due_at, ApprovalStep.id), limit)


def count_overdue(now=None) -> int:
    now = now or utcnow()
    return db.session.scalar(select(func.count()).select_from(ApprovalStep).where(
        ApprovalStep.state == StepState.waiting, ApprovalStep.due_at <= now)) or 0


def due_soon_steps(now=None, within: timedelta = timedelta(days=2), limit: int = 200, *, user=None
                   ) -> list[ApprovalStep]:
    """Waiting steps whose due time falls within ``within`` from now, soonest first."""
    now = now or utcnow()
    stmt = select(ApprovalStep).where(ApprovalStep.state == StepState.waiting, ApprovalStep.due_at > now,
                                      ApprovalStep.due_at <= now + within)
    return _step_rows(_steps_seen_by(stmt, user).order_by(ApprovalStep.due_at, ApprovalStep.id), limit)


def escalated_steps(limit: int = 200) -> list[ApprovalStep]:
    """Steps escalated to the operators that still wait for a decision, earliest escalation first."""
    stmt = select(ApprovalStep).where(ApprovalStep.escalated_at.is_not(None),
                                      ApprovalStep.state.in_((StepState.waiting, StepState.info_requested)))
    return _step_rows(stmt.order_by(ApprovalStep.escalated_at, ApprovalStep.id), limit)


@dataclass(frozen=True)
class OverviewFilter:
    """Filters of the operator overview; every one optional."""

    state: str | None = None  # a line state: requests with at least one line in it
    department_id: int | None = None  # requesting or owning department
    date_from: date | None = None  # submitted on or after (UTC date)
    date_to: date | None = None  # submitted on or before


def _request_ids(f: OverviewFilter):
    stmt = select(AccessRequest.id)
    if f.state:
        stmt = stmt.where(AccessRequest.id.in_(select(RequestLine.request_id).where(RequestLine.state == f.state)))
    if f.department_id:
        stmt = stmt.where(or_(AccessRequest.department_id == f.department_id, AccessRequest.id.in_(
            select(SubOrder.request_id).where(SubOrder.department_id == f.department_id))))
    if f.date_from:
        stmt = stmt.where(AccessRequest.created_at >= datetime.combine(f.date_from, time.min))
    if f.date_to:
        stmt = stmt.where(AccessRequest.created_at < datetime.combine(f.date_to + timedelta(days=1), time.min))
    return stmt


def overview_requests(f: OverviewFilter, *, page: int = 1, per_page: int = 50) -> tuple[list[AccessRequest], int]:
    """One page of requests matching ``f``, newest first, and how many match."""
    ids = _request_ids(f)
    total = db.session.scalar(select(func.count()).select_from(ids.subquery())) or 0
    rows = db.session.scalars(select(AccessRequest).where(AccessRequest.id.in_(ids))
                              .options(selectinload(AccessRequest.lines).selectinload(RequestLine.steps))
                              .order_by(AccessRequest.id.desc()).limit(per_page).offset((page - 1) * per_page))
    return list(rows), total


def line_state_counts(f: OverviewFilter) -> dict[str, int]:
    """Request lines per state among the requests matching ``f`` (ignoring its state filter)."""
    ids = _request_ids(replace(f, state=None))
    rows = db.session.execute(select(RequestLine.state, func.count()).where(RequestLine.request_id.in_(ids))
                              .group_by(RequestLine.state))
    return {str(state): n for state, n in rows}


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
