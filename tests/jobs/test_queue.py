"""Jobs go through huey: immediate mode, a real consumer on the embedded SQLite queue, and Redis."""

from __future__ import annotations

import pytest
from huey import RedisHuey, SqliteHuey
from huey.consumer import Consumer
from huey.exceptions import TaskException
from sqlalchemy import select

import jobs
from jobs.background import start_in_process
from jobs.models import JobRun
from market.db import db
from notify.models import Notification

from .tasks import explode, tell


def _consume(huey, work):
    """Run ``work()`` while a real huey consumer (2 worker threads + scheduler) serves ``huey``."""
    consumer = Consumer(huey, workers=2, worker_type="thread", initial_delay=0.05, max_delay=0.2,
                        check_worker_health=False)
    consumer.start()
    try:
        return work()
    finally:
        consumer.stop(graceful=True)


def _subjects(user) -> list[str]:
    db.session.expire_all()
    return list(db.session.scalars(select(Notification.subject).where(Notification.user_id == user.id)))


def test_default_queue_is_sqlite_in_the_data_folder(app):
    huey = jobs.get_huey(app)
    assert isinstance(huey, SqliteHuey)
    assert huey.storage.filename == str(app.config["MARKET"].data_dir / "jobs.db")


def test_immediate_mode_runs_the_job_at_once(app, use_queue, make_user):
    use_queue(immediate=True)
    user = make_user("requester")
    result = jobs.enqueue(tell, user.id, "立即执行")
    assert result.get()["notification"]
    assert _subjects(user) == ["立即执行"]


def test_a_queued_job_runs_in_a_real_consumer_on_the_embedded_queue(app, use_queue, make_user):
    huey = use_queue()
    assert isinstance(huey, SqliteHuey) and huey.storage.filename.endswith("jobs.db")
    user = make_user("requester")
    db.session.commit()
    result = jobs.enqueue(tell, user.id, "后台执行")
    assert _subjects(user) == []  # queued, not run by the caller
    out = _consume(huey, lambda: result.get(blocking=True, timeout=20))
    assert out["thread"].startswith("Worker-")
    assert _subjects(user) == ["后台执行"]


def test_a_failing_job_reports_its_error_and_rolls_back(app, use_queue):
    huey = use_queue()
    result = jobs.enqueue(explode, "数据源不可用")
    with pytest.raises(TaskException) as err:
        _consume(huey, lambda: result.get(blocking=True, timeout=20))
    assert "数据源不可用" in str(err.value.metadata)


def test_only_module_level_functions_can_be_queued(app, use_queue):
    use_queue(immediate=True)
    with pytest.raises(ValueError, match="module-level"):
        jobs.enqueue(lambda: None)


def test_a_job_runs_through_redis(app, use_queue, make_user, redis_url):
    huey = use_queue(queue_url=redis_url)
    assert isinstance(huey, RedisHuey)
    user = make_user("requester")
    db.session.commit()
    result = jobs.enqueue(tell, user.id, "经 Redis 执行")
    out = _consume(huey, lambda: result.get(blocking=True, timeout=20))
    assert out["notification"] and _subjects(user) == ["经 Redis 执行"]


def test_serve_runs_the_queue_in_process_once_per_data_folder(app, use_queue, make_user, periodic_registry):
    """What `market serve` does: one process gets the lock and ticks the periodic jobs at start-up."""
    import time

    huey = use_queue()
    ticks = []
    periodic_registry.register_periodic("test.tick", lambda now: ticks.append(now) or "ticked", 5)
    first = start_in_process(app)
    try:
        assert first is not None
        assert start_in_process(app) is None  # a second process on this data folder only serves
        deadline = time.monotonic() + 20
        while not ticks and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(ticks) == 1
        user = make_user("requester")
        db.session.commit()
        assert jobs.enqueue(tell, user.id, "服务进程内执行").get(blocking=True, timeout=20)
    finally:
        if first is not None:
            first.stop()
    db.session.expire_all()
    run = db.session.get(JobRun, "test.tick")
    assert run.ok and run.result == "ticked" and run.runs == 1
    assert huey is jobs.get_huey(app)
    again = start_in_process(app)  # the lock is free again once the first stopped
    assert again is not None
    again.stop()


def test_serve_leaves_the_queue_to_workers_with_redis_or_when_told(app, capsys):
    from dataclasses import replace

    (hook,) = [h for h in app.extensions["market.on_serve"] if h.__module__ == "jobs"]
    assert hook(app, False) is None
    original = app.config["MARKET"]
    app.config["MARKET"] = replace(original, queue_url="redis://127.0.0.1:1/0")
    try:
        assert hook(app, None) is None
    finally:
        app.config["MARKET"] = original
    assert capsys.readouterr().out.count("run `market jobs worker`") == 2
