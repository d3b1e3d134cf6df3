"""The periodic-job registry and runner: due times, one run per interval, failures kept, the CLI."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from jobs import register_periodic
from jobs.models import JobRun
from jobs.runner import run_due
from market.cli import cli
from market.db import db

T0 = datetime(2026, 3, 2, 9, 0)


def test_built_in_jobs_are_registered(app):
    from jobs.registry import get_periodic

    for name in ("orders.reminders", "orders.grants", "notify.outbox"):
        assert get_periodic(name) is not None, name


def test_a_job_runs_once_per_interval(app, periodic_registry):
    seen = []
    register_periodic("test.every10", lambda now: seen.append(now) or f"run {len(seen)}", 10)
    assert [o.ran for o in run_due(T0)] == [True]
    assert [o.ran for o in run_due(T0 + timedelta(minutes=9))] == [False]
    assert [o.ran for o in run_due(T0 + timedelta(minutes=10))] == [True]
    assert seen == [T0, T0 + timedelta(minutes=10)]
    assert [o.ran for o in run_due(T0 + timedelta(minutes=11), force=True)] == [True]
    row = db.session.get(JobRun, "test.every10")
    assert row.runs == 3 and row.ok and row.result == "run 3"


def test_a_failing_job_is_rolled_back_recorded_and_does_not_stop_the_others(app, periodic_registry,
                                                                           make_department):
    from catalog.models import Department

    def bad(now):
        db.session.add(Department(code="ROLLED-BACK", name="不应保存"))
        db.session.flush()
        raise RuntimeError("上游接口超时")

    register_periodic("test.a_bad", bad, 5)
    register_periodic("test.b_good", lambda now: "ok", 5)
    outcomes = {o.name: o for o in run_due(T0)}
    assert not outcomes["test.a_bad"].ok and "上游接口超时" in outcomes["test.a_bad"].error
    assert outcomes["test.b_good"].ok
    assert db.session.scalar(db.select(Department).where(Department.code == "ROLLED-BACK")) is None
    row = db.session.get(JobRun, "test.a_bad")
    assert row.failures == 1 and row.ok is False and "RuntimeError" in row.error


def test_registration_is_checked(app, periodic_registry):
    with pytest.raises(ValueError, match="name"):
        register_periodic("Bad Name", lambda now: None, 5)
    with pytest.raises(ValueError, match="every_minutes"):
        register_periodic("test.zero", lambda now: None, 0)


def test_cli_list_and_run_due(app, runner, periodic_registry):
    register_periodic("test.cli", lambda now: "did it", 30, "A test job")
    out = runner.invoke(cli, ["jobs", "list"])
    assert out.exit_code == 0 and "test.cli  every 30 min  A test job" in out.output and "never ran" in out.output
    out = runner.invoke(cli, ["jobs", "run-due"])
    assert out.exit_code == 0 and "test.cli: ok did it" in out.output
    out = runner.invoke(cli, ["jobs", "run-due"])
    assert out.exit_code == 0 and "test.cli: not due" in out.output
    out = runner.invoke(cli, ["jobs", "run-due", "--all", "--job", "test.cli"])
    assert out.exit_code == 0 and "test.cli: ok did it" in out.output
    out = runner.invoke(cli, ["jobs", "list"])
    assert "ok  did it  (2 runs, 0 failures)" in out.output
    out = runner.invoke(cli, ["jobs", "run-due", "--job", "nope"])
    assert out.exit_code != 0 and "unknown job nope" in out.output


def test_cli_run_due_exits_non_zero_when_a_job_fails(app, runner, periodic_registry):
    def bad(now):
        raise RuntimeError("坏了")

    register_periodic("test.fails", bad, 5)
    out = runner.invoke(cli, ["jobs", "run-due"])
    assert out.exit_code == 1 and "test.fails: FAILED RuntimeError: 坏了" in out.output
