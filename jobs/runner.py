"""Run periodic jobs that are due, each at most once per interval across every process.

A job is due when it never ran or its last start is ``every_minutes`` ago. Each run is claimed with a
compare-and-set UPDATE on ``job_runs.started_at`` (committed before the job starts), so the serving
process, a huey worker and a cron ``market jobs run-due`` may all tick at once: one of them runs it.
Each job runs in its own transaction: committed when it returns, rolled back when it raises (the error
is kept in ``job_runs`` and the other jobs still run).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError

from market.db import db, utcnow

from .models import JobRun
from .registry import PeriodicJob, get_periodic, periodic_jobs

log = logging.getLogger("market.jobs")
RESULT_MAX = 2000


@dataclass(frozen=True)
class Outcome:
    name: str
    ran: bool  # False: not due, or another process holds it
    ok: bool = True
    result: str = ""
    error: str = ""


def _ensure_row(name: str) -> None:
    if db.session.get(JobRun, name) is not None:
        return
    try:
        db.session.add(JobRun(name=name, runs=0, failures=0, result="", error=""))
        db.session.commit()
    except IntegrityError:  # another process inserted it first
        db.session.rollback()


def _claim(job: PeriodicJob, now: datetime, force: bool) -> bool:
    _ensure_row(job.name)
    cond = [JobRun.name == job.name]
    if not force:
        cond.append(or_(JobRun.started_at.is_(None),
                        JobRun.started_at <= now - timedelta(minutes=job.every_minutes)))
    claimed = db.session.execute(update(JobRun).where(*cond).values(started_at=now)
                                 .execution_options(synchronize_session=False)).rowcount == 1
    db.session.commit()
    return claimed


def _finish(name: str, ok: bool, result: str, error: str) -> None:
    values = {"finished_at": utcnow(), "ok": ok, "runs": JobRun.runs + 1}
    if ok:
        values["result"] = result[:RESULT_MAX]
        values["error"] = ""
    else:
        values["error"] = error[:RESULT_MAX]
        values["failures"] = JobRun.failures + 1
    db.session.execute(update(JobRun).where(JobRun.name == name).values(**values)
                       .execution_options(synchronize_session=False))
    db.session.commit()


def run_job(job: PeriodicJob, now: datetime | None = None, *, force: bool = False) -> Outcome:
    """Run one periodic job if it is due (always when ``force``); never raises for the job's own errors."""
    now = now or utcnow()
    if not _claim(job, now, force):
        return Outcome(job.name, False)
    try:
        result = job.func(now)
        db.session.commit()
    except Exception as exc:
        db.session.rollback()
        log.exception("periodic job %s failed", job.name)
        error = f"{type(exc).__name__}: {exc}"
        _finish(job.name, False, "", error)
        return Outcome(job.name, True, False, error=error)
    text = "" if result is None else str(result)
    _finish(job.name, True, text, "")
    return Outcome(job.name, True, True, result=text)


def run_due(now: datetime | None = None, *, force: bool = False, names: list[str] | None = None) -> list[Outcome]:
    """Run every registered periodic job that is due (all of them when ``force``), or only ``names``."""
    now = now or utcnow()
    if names:
        unknown = [n for n in names if get_periodic(n) is None]
        if unknown:
            raise KeyError(", ".join(unknown))
        jobs = [get_periodic(n) for n in names]
    else:
        jobs = periodic_jobs()
    return [run_job(job, now, force=force) for job in jobs]


def job_status() -> list[tuple[PeriodicJob, JobRun | None]]:
    """Every registered job with its last run (None if it never ran)."""
    rows = {r.name: r for r in db.session.scalars(select(JobRun))}
    return [(job, rows.get(job.name)) for job in periodic_jobs()]
