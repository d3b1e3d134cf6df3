"""Due times in working days: Monday–Friday, corrected by the rules library's calendar (public holidays and
make-up working days); the working days per step kind are the rules library's setting (defaults below)."""

from __future__ import annotations

from datetime import datetime, timedelta

from .state import StepKind

# defaults of the issue: compliance check 2 working days, owner 5, platform 5
STEP_WORKING_DAYS = {StepKind.compliance: 2, StepKind.owner: 5, StepKind.platform: 5}


def is_working_day(moment: datetime) -> bool:
    from rules.calendar import is_working_day as calendar_working_day  # cached per request

    return calendar_working_day(moment.date())


def working_days_for(kind: StepKind) -> int:
    """Working days an approver of ``kind`` has: the rules library's setting, else STEP_WORKING_DAYS."""
    from rules.calendar import step_working_days

    return step_working_days(kind, STEP_WORKING_DAYS[kind])


def due_at(start: datetime, working_days: int) -> datetime:
    """The moment ``working_days`` whole working days after ``start``.

    A step started on a weekend counts from the next Monday at the same clock time; weekends inside
    the span are skipped. ``due_at(Fri 10:00, 1)`` is Mon 10:00.
    """
    if working_days < 0:
        raise ValueError("working_days must not be negative")
    moment = start
    while not is_working_day(moment):
        moment += timedelta(days=1)
    remaining = working_days
    while remaining:
        moment += timedelta(days=1)
        if is_working_day(moment):
            remaining -= 1
    return moment


def remind_at(due: datetime) -> datetime:
    """When to remind the approver: one working day before the due time."""
    moment = due - timedelta(days=1)
    while not is_working_day(moment):
        moment -= timedelta(days=1)
    return moment
