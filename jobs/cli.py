"""``market jobs …``: the queue's worker, a one-shot run of the periodic jobs (cron), and their list."""

from __future__ import annotations

import logging

import click
from flask.cli import with_appcontext


@click.group("jobs")
def jobs():
    """Background job queue and periodic jobs (reminders, escalation, grant expiry, e-mail)."""


@jobs.command("worker")
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 32), help="worker threads")
@click.option("--no-periodic", is_flag=True, help="do not tick the periodic jobs from this worker")
@with_appcontext
def worker_cmd(workers: int, no_periodic: bool):
    """Run the queue consumer until Ctrl+C (or SIGTERM): queued jobs and the periodic jobs."""
    from flask import current_app
    from huey.consumer import Consumer

    from . import get_huey

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    settings = current_app.config["MARKET"]
    where = settings.queue_url or str(settings.data_dir / "jobs.db")
    click.echo(f"Job worker on {where} with {workers} threads (Ctrl+C to stop)")
    Consumer(get_huey(), workers=workers, worker_type="thread", periodic=not no_periodic).run()


@jobs.command("run-due")
@click.option("--all", "force", is_flag=True, help="run every periodic job now, due or not")
@click.option("--job", "names", multiple=True, metavar="NAME", help="only this job (repeatable)")
@with_appcontext
def run_due_cmd(force: bool, names: tuple[str, ...]):
    """Run the due periodic jobs once and exit (for cron); exit 1 if one failed."""
    from .runner import run_due

    try:
        outcomes = run_due(force=force, names=list(names) or None)
    except KeyError as exc:
        raise click.ClickException(f"unknown job {exc.args[0]}; see `market jobs list`") from None
    failed = False
    for o in outcomes:
        if not o.ran:
            click.echo(f"{o.name}: not due")
        elif o.ok:
            click.echo(f"{o.name}: ok {o.result}".rstrip())
        else:
            failed = True
            click.echo(f"{o.name}: FAILED {o.error}", err=True)
    if failed:
        raise SystemExit(1)


@jobs.command("list")
@with_appcontext
def list_cmd():
    """The periodic jobs: interval, last run, last result."""
    from .runner import job_status

    for job, run in job_status():
        click.echo(f"{job.name}  every {job.every_minutes} min  {job.description}")
        if run is None or run.started_at is None:
            click.echo("    never ran")
            continue
        state = "running" if run.finished_at is None or run.finished_at < run.started_at else (
            "ok" if run.ok else "failed")
        detail = run.result if run.ok else run.error
        click.echo(f"    last {run.started_at:%Y-%m-%d %H:%M:%S} UTC  {state}  {detail}  "
                   f"({run.runs} runs, {run.failures} failures)".rstrip())


def register(cli: click.Group) -> None:
    cli.add_command(jobs)
