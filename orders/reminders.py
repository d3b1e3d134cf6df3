"""Reminders before a step's due time, escalation to the platform operators after it, and notices to
grant holders before their grant expires.

``run_reminders(now)`` and ``remind_expiring_grants(now)`` are what the periodic jobs call (see
``orders.init_app``: ``jobs.register_periodic``; also ``market orders remind``). Both are safe to run
twice and from two processes at once: each step is reminded once and escalated once, each grant is
announced once (compare-and-set UPDATE on ``reminded_at`` / ``escalated_at`` / ``expiry_reminded_at``).
Every reminder and escalation is written to the audit log and sent through ``notify``.
"""

from __future__ import annotations

from datetime import timedelta
from typing import NamedTuple

from sqlalchemy import select, update

from audit import record_event
from market.db import db, utcnow

from . import notices
from .deadlines import remind_at
from .models import ApprovalStep, Grant, RequestLine
from .state import LineState, StepState

# grant holders are told this many days before their grant expires
GRANT_EXPIRY_NOTICE_DAYS = 7


class ReminderRun(NamedTuple):
    reminded: list[int]
    escalated: list[int]


def _claim(model, obj_id: int, column: str, now, *conditions) -> bool:
    col = getattr(model, column)
    done = db.session.execute(update(model).where(model.id == obj_id, col.is_(None), *conditions)
                              .values({column: now}).execution_options(synchronize_session=False)).rowcount
    return done == 1


def run_reminders(now=None) -> ReminderRun:
    """Remind approvers one working day before the due time; once the due time has passed, escalate
    the step to the platform operators (in-app + e-mail) and note it in the audit log."""
    now = now or utcnow()
    waiting = db.session.scalars(select(ApprovalStep).where(
        ApprovalStep.state == StepState.waiting, ApprovalStep.due_at.is_not(None),
        (ApprovalStep.reminded_at.is_(None)) | (ApprovalStep.escalated_at.is_(None)))
        .order_by(ApprovalStep.due_at)).all()
    reminded, escalated = [], []
    still_waiting = ApprovalStep.state == StepState.waiting
    for step in waiting:
        if (step.due_at <= now and step.escalated_at is None
                and _claim(ApprovalStep, step.id, "escalated_at", now, still_waiting)):
            record_event("approval_step.escalated", "approval_step", step.id,
                         payload={"due_at": step.due_at.isoformat(), "kind": str(step.kind),
                                  "line": step.line_id, "to": "operator"})
            notices.escalated(step)
            escalated.append(step.id)
        elif (step.due_at > now and remind_at(step.due_at) <= now and step.reminded_at is None
              and _claim(ApprovalStep, step.id, "reminded_at", now, still_waiting)):
            record_event("approval_step.reminded", "approval_step", step.id,
                         payload={"due_at": step.due_at.isoformat(), "kind": str(step.kind),
                                  "department": step.department_id})
            notices.reminder(step)
            reminded.append(step.id)
    db.session.expire_all()
    return ReminderRun(reminded, escalated)


def remind_expiring_grants(now=None, days: int = GRANT_EXPIRY_NOTICE_DAYS) -> list[int]:
    """Tell holders of live grants that expire within ``days`` days (once per grant); return grant ids."""
    now = now or utcnow()
    grants = db.session.scalars(select(Grant).join(RequestLine).where(
        RequestLine.state == LineState.granted, Grant.expiry_reminded_at.is_(None),
        Grant.expires_at > now, Grant.expires_at <= now + timedelta(days=days)).order_by(Grant.expires_at)).all()
    told = []
    for grant in grants:
        if _claim(Grant, grant.id, "expiry_reminded_at", now):
            record_event("grant.expiry_reminded", "grant", grant.id,
                         payload={"expires_at": grant.expires_at.isoformat(), "user": grant.user_id})
            notices.grant_expiring(grant)
            told.append(grant.id)
    return told
