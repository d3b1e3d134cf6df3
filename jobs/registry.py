"""The registry of periodic jobs. Packages add theirs with ``jobs.register_periodic``; the runner,
the queue's scheduler and ``market jobs list`` read it."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,79}$")


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    func: Callable[[datetime], object]
    every_minutes: int
    description: str = ""


_PERIODIC: dict[str, PeriodicJob] = {}


def register_periodic(name: str, func: Callable[[datetime], object], every_minutes: int,
                      description: str = "") -> PeriodicJob:
    """Run ``func(now)`` every ``every_minutes`` minutes (see the ``jobs`` package docstring).

    Registering the same name again replaces the earlier entry (app factories run more than once).
    """
    if not NAME_RE.match(name or ""):
        raise ValueError(f"periodic job name {name!r}: use 1–80 of a-z 0-9 _ . - (e.g. 'orders.reminders')")
    if not isinstance(every_minutes, int) or isinstance(every_minutes, bool) or not 1 <= every_minutes <= 60 * 24 * 31:
        raise ValueError(f"periodic job {name!r}: every_minutes must be a whole number from 1 to 44640")
    if not callable(func):
        raise TypeError(f"periodic job {name!r}: func must be callable")
    job = PeriodicJob(name, func, every_minutes, description or (func.__doc__ or "").strip().split("\n")[0])
    _PERIODIC[name] = job
    return job


def periodic_jobs() -> list[PeriodicJob]:
    return sorted(_PERIODIC.values(), key=lambda j: j.name)


def get_periodic(name: str) -> PeriodicJob | None:
    return _PERIODIC.get(name)
