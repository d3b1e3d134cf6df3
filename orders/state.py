"""The request-line and approval-step state machines: one enum each, one TRANSITIONS table, and one
``_transition`` that moves an object with a compare-and-set UPDATE (so two deciders racing on the
same row produce exactly one change; the loser gets InvalidTransition → 409)."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import update
from sqlalchemy.orm.attributes import set_committed_value

from audit import record_event
from market.db import db
from market.errors import Conflict


class LineState(StrEnum):
    submitted = "submitted"
    waiting = "waiting"  # waiting for an approval step
    info_requested = "info_requested"  # an approver asked the requester for more information
    approved = "approved"
    payment_pending = "payment_pending"  # approved, a paid product: granted once the payment succeeds (trading)
    rejected = "rejected"
    withdrawn = "withdrawn"
    granted = "granted"
    expired = "expired"
    revoked = "revoked"


class StepState(StrEnum):
    pending = "pending"  # an earlier step has not been decided yet
    waiting = "waiting"
    info_requested = "info_requested"
    approved = "approved"
    rejected = "rejected"
    cancelled = "cancelled"  # the line was withdrawn or rejected at an earlier step


class StepKind(StrEnum):
    compliance = "compliance"  # compliance check by the platform operator
    owner = "owner"  # the owning department's data officer
    platform = "platform"  # the platform operator (大数据管理局)


class RequestState(StrEnum):
    """Aggregate over the lines; computed, never stored."""

    in_review = "in_review"
    info_requested = "info_requested"
    partly_approved = "partly_approved"
    approved = "approved"
    rejected = "rejected"
    withdrawn = "withdrawn"
    closed = "closed"


LINE_TRANSITIONS: dict[LineState, set[LineState]] = {
    LineState.submitted: {LineState.waiting, LineState.approved, LineState.withdrawn},
    LineState.waiting: {LineState.info_requested, LineState.approved, LineState.rejected, LineState.withdrawn},
    LineState.info_requested: {LineState.waiting, LineState.rejected, LineState.withdrawn},
    LineState.approved: {LineState.granted, LineState.payment_pending},
    # paid (→ granted), cancelled by the buyer (→ withdrawn) or not paid in time (→ expired)
    LineState.payment_pending: {LineState.granted, LineState.withdrawn, LineState.expired},
    LineState.granted: {LineState.expired, LineState.revoked},
    LineState.rejected: set(),
    LineState.withdrawn: set(),
    LineState.expired: set(),
    LineState.revoked: set(),
}

STEP_TRANSITIONS: dict[StepState, set[StepState]] = {
    StepState.pending: {StepState.waiting, StepState.cancelled},
    StepState.waiting: {StepState.approved, StepState.rejected, StepState.info_requested, StepState.cancelled},
    StepState.info_requested: {StepState.waiting, StepState.rejected, StepState.cancelled},
    StepState.approved: set(),
    StepState.rejected: set(),
    StepState.cancelled: set(),
}

TRANSITIONS = {"request_line": LINE_TRANSITIONS, "approval_step": STEP_TRANSITIONS}
OPEN_LINE_STATES = (LineState.submitted, LineState.waiting, LineState.info_requested)


class InvalidTransition(Conflict):
    code = "invalid_transition"


def can_transition(obj, to) -> bool:
    return to in TRANSITIONS[obj.AUDIT_TYPE][obj.state]


def _transition(obj, to, actor, *, payload: dict | None = None, **values):
    """Move ``obj`` (a RequestLine or ApprovalStep) to state ``to`` and audit it.

    The UPDATE only matches while the row still has the state this process read, so when two
    approvers decide at once the second UPDATE matches nothing and raises InvalidTransition.
    """
    frm = obj.state
    if to not in TRANSITIONS[obj.AUDIT_TYPE][frm]:
        raise InvalidTransition(f"{obj.LABEL} {obj.id} is '{frm}' and cannot become '{to}'.",
                                fields={"state": [str(frm)]})
    cls = type(obj)
    db.session.flush()
    result = db.session.execute(
        update(cls).where(cls.id == obj.id, cls.state == frm).values(state=to, **values)
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        raise InvalidTransition(f"{obj.LABEL} {obj.id} was changed by someone else meanwhile; reload it.",
                                code="concurrent_change")
    set_committed_value(obj, "state", to)
    for key, value in values.items():
        set_committed_value(obj, key, value)
    record_event(f"{obj.AUDIT_TYPE}.{to}", obj.AUDIT_TYPE, obj.id, actor=actor,
                 payload={"from": str(frm), "to": str(to), **(payload or {})})
    return obj


def aggregate_state(line_states: list[LineState]) -> RequestState:
    """The request's state as a requester reads it (e.g. partly approved)."""
    states = set(line_states)
    if not states:
        return RequestState.closed
    if states <= {LineState.withdrawn}:
        return RequestState.withdrawn
    if states <= {LineState.rejected, LineState.withdrawn}:
        return RequestState.rejected
    positive = states & {LineState.approved, LineState.payment_pending, LineState.granted}
    open_ = states & set(OPEN_LINE_STATES)
    if positive and (open_ or states & {LineState.rejected, LineState.withdrawn}):
        return RequestState.partly_approved
    if LineState.info_requested in states:
        return RequestState.info_requested
    if open_:
        return RequestState.in_review
    if states <= {LineState.approved, LineState.payment_pending, LineState.granted}:
        return RequestState.approved
    return RequestState.closed
