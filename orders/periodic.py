"""The orders package's periodic jobs (run by the ``jobs`` package: ``market serve``, a worker or cron)."""

from __future__ import annotations

from .decisions import expire_grants
from .reminders import remind_expiring_grants, run_reminders


def reminders_job(now):
    """Remind approvers before the due time; escalate overdue steps to the operators."""
    run = run_reminders(now)
    return f"{len(run.reminded)} reminders, {len(run.escalated)} escalations"


def grants_job(now):
    """Expire grants whose period ended; tell holders of grants about to expire."""
    expired = expire_grants(now)
    told = remind_expiring_grants(now)
    return f"{expired} expired, {len(told)} expiry notices"


def register() -> None:
    from jobs import register_periodic

    register_periodic("orders.reminders", reminders_job, 15)
    register_periodic("orders.grants", grants_job, 60)
