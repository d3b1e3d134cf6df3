"""The ``market`` console script. Commands are thin shells over services; every failure exits
non-zero with a one-line reason."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import FlaskGroup, with_appcontext

from .config import ConfigError


def _create_app():
    from . import create_app

    try:
        return create_app()
    except ConfigError as exc:
        click.echo(f"Error: configuration: {exc}", err=True)
        sys.exit(2)


@click.group(cls=FlaskGroup, create_app=_create_app, add_default_commands=False, add_version_option=False)
def cli():
    """Public Data Resource Supermarket (公共数据资源超市) administration."""


@cli.command("init-db")
@with_appcontext
def init_db():
    """Create or migrate the database (safe to run again)."""
    from .dbmigrate import upgrade_database

    before, after = upgrade_database()
    if before == after:
        click.echo(f"Database is up to date (revision {after}).")
    else:
        click.echo(f"Database migrated: {before or 'empty'} → {after}.")


@cli.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 64), help="threads per process")
@click.option("--processes", default=1, show_default=True, type=click.IntRange(1, 64), envvar="MARKET_SERVE_PROCESSES",
              help="worker processes sharing the port (one per core uses every core; see market/serving.py)")
@click.option("--jobs/--no-jobs", "run_jobs", default=None,
              help="Run the job queue in this process (default: yes with the embedded queue, no with Redis).")
@click.option("--worker-fd", type=int, default=None, hidden=True)
@with_appcontext
def serve(host: str, port: int, threads: int, processes: int, run_jobs: bool | None, worker_fd: int | None):
    """Serve with the production WSGI server (waitress), in one process or several."""
    from flask import current_app
    from waitress import serve as waitress_serve

    from . import serving

    if processes > 1 and worker_fd is None:
        try:
            sock = serving.bind(host, port)
        except OSError as exc:
            raise click.ClickException(f"cannot listen on {host}:{port}: {exc.strerror}") from None
        click.echo(f"Serving on http://{host}:{port}/ with {processes} worker processes × {threads} threads "
                   "(Ctrl+C to stop)")
        sys.exit(serving.Supervisor(sock, processes, lambda fd: serving.worker_command(fd, threads, run_jobs),
                                    echo=click.echo).run())

    app = current_app._get_current_object()
    for hook in app.extensions.get("market.on_serve", []):  # e.g. jobs: the in-process queue
        hook(app, run_jobs)
    if worker_fd is not None:
        serving.exit_with_parent()
        waitress_serve(app, sockets=[serving.worker_socket(worker_fd)], threads=threads, ident="market")
        return
    click.echo(f"Serving on http://{host}:{port}/ (Ctrl+C to stop)")
    waitress_serve(app, host=host, port=port, threads=threads, ident="market")


@cli.command("backup")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              help="archive to write (default: MARKET_DATA_DIR/backups/market-backup-<time>.tar.gz)")
@with_appcontext
def backup(output: Path | None):
    """Back up the database and stored files into one .tar.gz (the search index is rebuilt on restore)."""
    from .backup import create_backup

    with click.progressbar(length=0, label="Backing up", file=sys.stderr, show_pos=True) as bar:
        report = create_backup(output, progress=lambda _name, n: bar.update(n))
    click.echo(f"Wrote {report.path} ({report.bytes / 1e6:.1f} MB): {sum(report.tables.values())} rows in "
               f"{len(report.tables)} tables, {report.files} files, in {report.seconds:.1f} s.")


@cli.command("restore")
@click.argument("archive", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="replace a database that already holds data")
@with_appcontext
def restore(archive: Path, force: bool):
    """Restore a backup made by `market backup` (all tables or none), then rebuild the search index."""
    from .backup import BackupError, restore_backup

    try:
        with click.progressbar(length=0, label="Restoring", file=sys.stderr, show_pos=True) as bar:
            manifest = restore_backup(archive, force=force, progress=lambda _name, n: bar.update(n))
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Restored {sum(manifest['tables'].values())} rows in {len(manifest['tables'])} tables and "
               f"{sum(1 for k in manifest['sha256'] if k.startswith('files/'))} files from a backup of "
               f"{manifest['created_at']}; search index rebuilt.")


def _register() -> None:
    import importlib
    import importlib.util

    from .auth.cli import users
    from .features import FEATURE_PACKAGES

    cli.add_command(users)
    for name in FEATURE_PACKAGES:
        if importlib.util.find_spec(f"{name}.cli") is not None:
            importlib.import_module(f"{name}.cli").register(cli)


_register()


def main() -> None:
    cli.main(prog_name="market")
