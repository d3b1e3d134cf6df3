"""Background jobs (任务队列): an embedded huey queue and the periodic jobs of every package.

Queue
    ``SqliteHuey`` in ``MARKET_DATA_DIR/jobs.db`` by default; ``RedisHuey`` when ``MARKET_QUEUE_URL=redis://…``.
    ``jobs.enqueue(func, *args, **kwargs)`` runs a module-level function later in a worker, inside an app
    context, committing its session when it returns (arguments must be picklable: pass ids, not objects).

Periodic jobs
    Any package adds one with::

        from jobs import register_periodic

        def harvest_due(now):            # gets the run's time (UTC, naive); returns a short summary or None
            ...                          # work in db.session; the runner commits, or rolls back on error

        register_periodic("opendata.harvest", harvest_due, every_minutes=60)

    (at import time or in the package's ``init_app``; the same name again replaces the entry). Each job
    runs at most once per interval across all processes (a compare-and-set claim in the ``job_runs``
    table), in its own transaction; a failure is logged and kept in ``job_runs`` and never stops the others.
    Built in: ``orders.reminders`` (approval reminders and escalation, 15 min), ``orders.grants``
    (grant expiry and expiry notices, 60 min), ``notify.outbox`` (e-mail sending, 1 min).

Who runs them
    - ``market serve`` (the embedded single-machine default, ``make run``): a consumer in background
      threads of the serving process — worker threads for queued jobs and a scheduler that ticks the
      periodic jobs every minute. A file lock (``MARKET_DATA_DIR/jobs.lock``) lets only one process on a
      data folder do it. With ``MARKET_QUEUE_URL`` set, serve leaves the queue to workers unless given
      ``--jobs``; ``--no-jobs`` turns it off.
    - ``market jobs worker [--workers N]``: a dedicated consumer (any number of them with Redis).
    - ``market jobs run-due [--all] [--job NAME]``: runs the due periodic jobs once and exits, for cron.
    - ``market jobs list``: the registered periodic jobs, their interval, last run and result.
"""

from __future__ import annotations

from flask import Flask, current_app

from .registry import PeriodicJob, periodic_jobs, register_periodic

__all__ = ["PeriodicJob", "enqueue", "get_huey", "periodic_jobs", "register_periodic"]


def get_huey(app: Flask | None = None):
    """The app's huey instance."""
    return (app or current_app).extensions["jobs.huey"]


def enqueue(func, *args, **kwargs):
    """Queue ``func(*args, **kwargs)`` for a worker; returns huey's Result handle."""
    from .queue import func_path

    huey = get_huey()
    return huey.market_call(func_path(func), list(args), dict(kwargs))


def init_app(app: Flask) -> None:
    from .builtin import register
    from .queue import attach, make_huey

    attach(app, make_huey(app.config["MARKET"]))
    register()

    def start_jobs(app_, enabled: bool | None = None):
        import click

        from .background import start_in_process

        if enabled is None:
            enabled = not app_.config["MARKET"].queue_url
        if not enabled:
            click.echo("Job queue: not run here (run `market jobs worker`).")
            return None
        running = start_in_process(app_)
        click.echo("Job queue: running in this process." if running else
                   "Job queue: another process on this data folder runs it.")
        return running

    app.extensions.setdefault("market.on_serve", []).append(start_jobs)
