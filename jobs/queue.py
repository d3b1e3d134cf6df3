"""The huey queue of one app: ``SqliteHuey`` in ``MARKET_DATA_DIR/jobs.db`` by default, ``RedisHuey`` when
``MARKET_QUEUE_URL=redis://…``. Two tasks are registered on it:

- ``market.call``: run a module-level function by its dotted path inside an app context (what
  ``jobs.enqueue`` sends);
- ``market.tick``: a periodic huey task (every minute) that runs the due periodic jobs of the registry.
"""

from __future__ import annotations

import importlib
import logging

from flask import Flask
from huey import RedisHuey, SqliteHuey, crontab

from market.db import db

log = logging.getLogger("market.jobs")
QUEUE_NAME = "market"


def make_huey(settings, *, immediate: bool = False):
    if settings.queue_url:
        return RedisHuey(QUEUE_NAME, url=settings.queue_url, immediate=immediate)
    return SqliteHuey(QUEUE_NAME, filename=str(settings.data_dir / "jobs.db"), immediate=immediate)


def func_path(func) -> str:
    """``module:qualname`` of a module-level function (what a worker can import again)."""
    module, name = getattr(func, "__module__", None), getattr(func, "__qualname__", "")
    if not module or not name or "<" in name or "." in name:
        raise ValueError(f"{func!r}: only module-level functions can be queued (a worker imports them by name)")
    return f"{module}:{name}"


def resolve(path: str):
    module, _, name = path.partition(":")
    if not module or not name:
        raise ValueError(f"{path!r} is not 'module:function'")
    return getattr(importlib.import_module(module), name)


def attach(app: Flask, huey) -> None:
    """Register the app's tasks on ``huey``; each runs in a fresh app context and ends its session."""

    def in_app(fn, *args, **kwargs):
        with app.app_context():
            try:
                result = fn(*args, **kwargs)
                db.session.commit()
                return result
            except Exception:
                db.session.rollback()
                raise
            finally:
                db.session.remove()

    @huey.task(name="market.call")
    def call(path: str, args: list, kwargs: dict):
        return in_app(resolve(path), *args, **kwargs)

    @huey.periodic_task(crontab(minute="*"), name="market.tick")
    def tick():
        from .runner import run_due

        outcomes = in_app(run_due)
        return [o.name for o in outcomes if o.ran]

    huey.market_call = call
    huey.market_tick = tick
    app.extensions["jobs.huey"] = huey
