"""Reminders before a step's due time and escalation to the platform operator after it.

``run_reminders(now)`` is what a periodic job calls (``market orders remind``); it is safe to run
twice: each step is reminded once and escalated once (compare-and-set on ``reminded_at`` /
``escalated_at``), and every reminder and escalation is written to the audit log.
"""

from __future__ import annotations

from typing import NamedTuple

from sqlalchemy import select, update

from audit import record_event
from market.db import db, utcnow

from .deadlines import remind_at
from .models import ApprovalStep
from .state import StepState


class ReminderRun(NamedTuple):
    reminded: list[int]
    escalated: list[int]


def _claim(step: ApprovalStep, column: str, now) -> bool:
    col = getattr(ApprovalStep, column)
    done = db.session.execute(update(ApprovalStep).where(ApprovalStep.id == step.id, col.is_(None),
                                                         ApprovalStep.state == StepState.waiting)
                              .values({column: now}).execution_options(synchronize_session=False)).rowcount
    return done == 1


def run_reminders(now=None) -> ReminderRun:
    """Remind approvers one working day before the due time; escalate overdue steps to operators."""
    now = now or utcnow()
    waiting = db.session.scalars(select(ApprovalStep).where(
        ApprovalStep.state == StepState.waiting, ApprovalStep.due_at.is_not(None),
        (ApprovalStep.reminded_at.is_(None)) | (ApprovalStep.escalated_at.is_(None)))
        .order_by(ApprovalStep.due_at)).all()
    reminded, escalated = [], []
    for step in waiting:
        if step.due_at <= now and step.escalated_at is None and _claim(step, "escalated_at", now):
            record_event("approval_step.escalated", "approval_step", step.id,
                         payload={"due_at": step.due_at.isoformat(), "kind": str(step.kind),
                                  "line": step.line_id, "to": "operator"})
            escalated.append(step.id)
        elif (step.due_at > now and remind_at(step.due_at) <= now and step.reminded_at is None
              and _claim(step, "reminded_at", now)):
            record_event("approval_step.reminded", "approval_step", step.id,
                         payload={"due_at": step.due_at.isoformat(), "kind": str(step.kind),
                                  "department": step.department_id})
            reminded.append(step.id)
    db.session.expire_all()
    return ReminderRun(reminded, escalated)
