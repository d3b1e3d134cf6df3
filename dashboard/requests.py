"""Request-side figures: on-demand share rate, approval times, deadline breaches, most requested entries.

The period selects access requests by submission time (``AccessRequest.created_at``); every figure here
describes the lines and approval steps of those requests. A department scope keeps the lines addressed to
that owning department (its sub-order), with all their steps (owner, compliance and platform).
"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import and_, case, func, select

from catalog.models import Dataset, Department
from market.db import db
from orders.models import AccessRequest, ApprovalStep, RequestLine, SubOrder
from orders.state import LineState, StepKind, StepState

from .scope import Scope
from .sql import hours_between, month_of, percentiles_of_durations

# a line "fulfilled on demand": the data was granted (even if the grant has since expired or been revoked,
# and even if only some of the requested items were approved)
FULFILLED = (LineState.granted, LineState.expired, LineState.revoked)
# a line "that could be fulfilled" and was decided: fulfilled or rejected. Withdrawn lines and lines still
# in review are left out; entries that cannot be requested never become lines (checkout refuses them).
DECIDED = (*FULFILLED, LineState.rejected)
DECIDED_STEP = (StepState.approved, StepState.rejected)
STEP_KINDS = tuple(k.value for k in (StepKind.compliance, StepKind.owner, StepKind.platform))


def _in_period(query, scope: Scope):
    query = query.where(AccessRequest.created_at >= scope.lo, AccessRequest.created_at < scope.hi)
    if scope.department_id is not None:
        query = query.where(SubOrder.department_id == scope.department_id)
    return query


def _lines_from():
    return (select(RequestLine.id).join(AccessRequest, RequestLine.request_id == AccessRequest.id)
            .join(SubOrder, RequestLine.order_id == SubOrder.id))


def _rate(fulfilled: int, decided: int) -> float | None:
    return round(fulfilled / decided, 4) if decided else None


def _share_row(counts: dict[str, int]) -> dict:
    fulfilled = sum(counts.get(s.value, 0) for s in FULFILLED)
    rejected = counts.get(LineState.rejected.value, 0)
    withdrawn = counts.get(LineState.withdrawn.value, 0)
    total = sum(counts.values())
    return {"rate": _rate(fulfilled, fulfilled + rejected), "fulfilled": fulfilled, "decided": fulfilled + rejected,
            "rejected": rejected, "withdrawn": withdrawn, "open": total - fulfilled - rejected - withdrawn,
            "lines": total}


def share_rate(scope: Scope) -> dict:
    """On-demand share rate: fulfilled lines ÷ decided lines, overall, per owning department and per month."""
    by_dept: dict[int, dict[str, int]] = defaultdict(dict)
    rows = db.session.execute(_in_period(
        _lines_from().with_only_columns(SubOrder.department_id, RequestLine.state, func.count()), scope)
        .group_by(SubOrder.department_id, RequestLine.state)).all()
    overall: dict[str, int] = defaultdict(int)
    for dept_id, state, n in rows:
        by_dept[dept_id][str(state)] = n
        overall[str(state)] += n
    names = dict(db.session.execute(select(Department.id, Department.name)
                                    .where(Department.id.in_(list(by_dept) or [0]))).all())
    departments = [{"department_id": d, "department": names.get(d, ""), **_share_row(c)} for d, c in by_dept.items()]
    departments.sort(key=lambda r: (r["rate"] is None, -(r["rate"] or 0), -r["decided"], r["department"]))
    month = month_of(AccessRequest.created_at)
    by_month: dict[str, dict[str, int]] = defaultdict(dict)
    for m, state, n in db.session.execute(_in_period(
            _lines_from().with_only_columns(month, RequestLine.state, func.count()), scope)
            .group_by(month, RequestLine.state)).all():
        by_month[m][str(state)] = n
    return {**_share_row(overall),
            "by_department": departments,
            "by_month": [{"month": m, **_share_row(c)} for m, c in sorted(by_month.items())]}


def _steps_from(scope: Scope, kind: str):
    return _in_period(select(ApprovalStep.id).join(RequestLine, ApprovalStep.line_id == RequestLine.id)
                      .join(AccessRequest, RequestLine.request_id == AccessRequest.id)
                      .join(SubOrder, RequestLine.order_id == SubOrder.id), scope).where(ApprovalStep.kind == kind)


def approval_times(scope: Scope) -> dict:
    """Hours from a step's (last) start to its decision, per step kind: count, median, p90."""
    out = {}
    for kind in STEP_KINDS:
        query = _steps_from(scope, kind).where(ApprovalStep.state.in_(DECIDED_STEP))
        n, ps = percentiles_of_durations(query, ApprovalStep.started_at, ApprovalStep.decided_at, (0.5, 0.9))
        out[kind] = {"count": n, "median": None if not n else round(ps[0.5], 2),
                     "p90": None if not n else round(ps[0.9], 2)}
    return out


def deadline_breaches(scope: Scope) -> dict:
    """Steps decided after their due time, and steps still waiting past it (at ``scope.now``), per kind."""
    late = and_(ApprovalStep.state.in_(DECIDED_STEP), ApprovalStep.decided_at > ApprovalStep.due_at)
    on_time = and_(ApprovalStep.state.in_(DECIDED_STEP), ApprovalStep.decided_at <= ApprovalStep.due_at)
    overdue = and_(ApprovalStep.state == StepState.waiting, ApprovalStep.due_at < scope.now)
    waiting = and_(ApprovalStep.state == StepState.waiting, ApprovalStep.due_at >= scope.now)
    out: dict = {}
    totals = {"decided_on_time": 0, "decided_late": 0, "open_overdue": 0, "open_in_time": 0, "total": 0}
    for kind in STEP_KINDS:
        row = db.session.execute(_steps_from(scope, kind).with_only_columns(
            *(func.coalesce(func.sum(case((cond, 1), else_=0)), 0) for cond in (on_time, late, overdue, waiting)))
        ).one()
        entry = {"decided_on_time": int(row[0]), "decided_late": int(row[1]), "open_overdue": int(row[2]),
                 "open_in_time": int(row[3]), "total": int(row[1]) + int(row[2])}
        out[kind] = entry
        for key in totals:
            totals[key] += entry[key]
    out["all"] = totals
    return out


def top_requested(scope: Scope, limit: int = 10) -> list[dict]:
    """Entries with the most request lines in the period (ties: more granted first, then title)."""
    granted = func.coalesce(func.sum(case((RequestLine.state.in_(FULFILLED), 1), else_=0)), 0)
    n = func.count(RequestLine.id)
    rows = db.session.execute(_in_period(
        _lines_from().join(Dataset, RequestLine.dataset_id == Dataset.id)
        .join(Department, Dataset.department_id == Department.id)
        .with_only_columns(Dataset.id, Dataset.code, Dataset.title, Department.name, n, granted), scope)
        .group_by(Dataset.id, Dataset.code, Dataset.title, Department.name)
        .order_by(n.desc(), granted.desc(), Dataset.title, Dataset.id).limit(limit)).all()
    return [{"dataset_id": r[0], "code": r[1], "title": r[2], "department": r[3], "requests": r[4],
             "granted": int(r[5])} for r in rows]


def owner_hours_by_department(scope: Scope) -> dict[int, float]:
    """Mean hours of decided owner steps per department (for the league table)."""
    hrs = func.avg(hours_between(ApprovalStep.started_at, ApprovalStep.decided_at))
    rows = db.session.execute(_steps_from(scope, StepKind.owner.value)
                              .where(ApprovalStep.state.in_(DECIDED_STEP), ApprovalStep.started_at.is_not(None))
                              .with_only_columns(SubOrder.department_id, hrs)
                              .group_by(SubOrder.department_id)).all()
    return {d: round(float(h), 2) for d, h in rows if h is not None}


def breaches_by_department(scope: Scope) -> dict[int, int]:
    cond = (and_(ApprovalStep.state.in_(DECIDED_STEP), ApprovalStep.decided_at > ApprovalStep.due_at)
            | and_(ApprovalStep.state == StepState.waiting, ApprovalStep.due_at < scope.now))
    query = _in_period(select(SubOrder.department_id, func.count(ApprovalStep.id))
                       .select_from(ApprovalStep).join(RequestLine, ApprovalStep.line_id == RequestLine.id)
                       .join(AccessRequest, RequestLine.request_id == AccessRequest.id)
                       .join(SubOrder, RequestLine.order_id == SubOrder.id), scope)
    return dict(db.session.execute(query.where(cond).group_by(SubOrder.department_id)).all())
