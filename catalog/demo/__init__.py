"""The demo city of Wuxi (无锡市): ``market seed-demo`` loads departments, categories, demo accounts for
every role and a catalog of some 540 entries, deterministically.

Other feature packages add their part of the demo city (data rows, request history, reviews, demands …)
through a ``<package>.demo`` module with ``seed_demo_extra(result: SeedResult) -> str``: called in the order
of ``market.features.FEATURE_PACKAGES`` after the catalog is committed, each in its own transaction, and
its one-line summary printed."""

from __future__ import annotations

import logging
import sys
import time

import click
from sqlalchemy import select

from market.auth.models import User
from market.db import db

from .build import SEED, build_catalog
from .departments import DEPARTMENTS
from .seed import SeedResult, count_entries, seed_demo
from .users import DEMO_USERS, DemoUser

__all__ = ["DEMO_USERS", "SEED", "SeedResult", "build_catalog", "run_seed_command", "seed_demo"]
log = logging.getLogger(__name__)


def run_seed_command(*, if_empty: bool) -> None:
    """Seed the demo city into an empty catalog in one transaction, index it, print the accounts.

    On a catalog that already has entries: with ``if_empty`` say so and do nothing, otherwise
    refuse (exit 1) rather than add a second copy.
    """
    existing = count_entries()
    if existing:
        if if_empty:
            click.echo(f"The catalog already has {existing} entries; demo seed skipped (--if-empty).")
            _echo_accounts([(u, False) for u in DEMO_USERS if _exists(u)], fresh=False)
            return
        raise click.ClickException(
            f"the catalog already has {existing} entries; seed-demo only loads into an empty catalog "
            "(use a fresh database, or --if-empty to skip quietly)"
        )
    started = time.perf_counter()
    entries = build_catalog()
    try:
        with click.progressbar(
            length=len(entries), label="Seeding the demo city of Wuxi", file=sys.stderr
        ) as bar:
            result = seed_demo(entries=entries, progress=bar.update)
        db.session.commit()
    except BaseException:
        db.session.rollback()  # nothing half-written
        raise
    elapsed = time.perf_counter() - started
    click.echo(
        f"Seeded {len(result.dataset_ids)} catalog entries, {result.departments} departments, "
        f"{result.categories} categories and {sum(new for _u, new in result.accounts)} accounts "
        f"in {elapsed:.1f} s."
    )
    for name, extra in demo_extensions():
        started = time.perf_counter()
        try:
            summary = extra(result)
            db.session.commit()
        except BaseException:
            db.session.rollback()
            click.echo(f"Error: the {name} part of the demo city failed; the catalog is loaded, "
                       "fix the cause and re-create the database to seed again.", err=True)
            raise
        click.echo(f"{summary} ({time.perf_counter() - started:.1f} s)")
    _index(result.dataset_ids)
    _echo_accounts(result.accounts, fresh=True)


def demo_extensions():
    """(package, seed_demo_extra) for every feature package that adds to the demo city, in feature order."""
    import importlib
    import importlib.util

    from market.features import FEATURE_PACKAGES

    for name in FEATURE_PACKAGES:
        if name != "catalog" and importlib.util.find_spec(f"{name}.demo") is not None:
            module = importlib.import_module(f"{name}.demo")
            if hasattr(module, "seed_demo_extra"):
                yield name, module.seed_demo_extra


def _index(ids: list[int]) -> None:
    from search.service import index_datasets

    try:
        index_datasets(ids)
    except Exception:  # any failure: the catalog is committed and `market reindex` rebuilds the index
        log.exception("indexing the demo catalog failed")
        click.echo("Warning: the search index was not updated; run `market reindex`.", err=True)


def _exists(user: DemoUser) -> bool:
    return db.session.scalar(select(User.id).where(User.username == user.username)) is not None


def _echo_accounts(accounts: list[tuple[DemoUser, bool]], *, fresh: bool) -> None:
    if not accounts:
        return
    names = {code: name for code, name, *_rest in DEPARTMENTS}
    click.echo(
        "\nDemo accounts (fixed demo passwords: change them before any real use):"
        if fresh
        else "\nDemo accounts (the seeded passwords, unless someone changed them):"
    )
    click.echo(f"  {'username':<15} {'role':<10} {'password':<30} department")
    for user, new in accounts:
        password = user.password if new or not fresh else "(existing account, unchanged)"
        department = names.get(user.department, "—") if user.department else "—（企业/公众）"
        click.echo(f"  {user.username:<15} {user.role:<10} {password:<30} {department}")
