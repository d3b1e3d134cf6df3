"""``market reindex`` and ``market synonyms add/list/remove``."""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext
from sqlalchemy import func, select

from catalog.models import Dataset
from market.db import db


def register(cli: click.Group) -> None:
    @cli.command("reindex")
    @with_appcontext
    def reindex():
        """Rebuild the search index from the database, with a progress bar (searches keep working)."""
        from .service import get_backend, iter_documents

        backend = get_backend()
        total = db.session.scalar(select(func.count()).select_from(Dataset))
        with click.progressbar(iter_documents(), length=total, label=f"Indexing ({backend.name})",
                               show_pos=True, file=sys.stderr) as docs:
            count = backend.rebuild(docs)
        click.echo(f"Indexed {count} datasets into the {backend.name} backend.")

    @cli.group("synonyms")
    def synonyms():
        """Search synonyms maintained by operators (企业 ⇄ 法人 …); they apply to queries at once."""

    @synonyms.command("add")
    @click.argument("term")
    @click.argument("others", nargs=-1, required=True)
    @with_appcontext
    def add(term: str, others: tuple[str, ...]):
        """Make TERM and each of OTHERS equivalent in searches."""
        from .synonyms import SynonymError, add_synonym

        try:
            for other in others:
                add_synonym(term, other)
        except SynonymError as exc:
            db.session.rollback()
            raise click.ClickException(str(exc)) from None
        db.session.commit()
        click.echo(f"{term} ⇄ {', '.join(others)}")

    @synonyms.command("list")
    @click.argument("term", required=False)
    @with_appcontext
    def list_(term: str | None):
        """List synonym pairs (only those mentioning TERM when given)."""
        from .synonyms import SynonymError, list_synonyms

        try:
            rows = list_synonyms(term)
        except SynonymError as exc:
            raise click.ClickException(str(exc)) from None
        for row in rows:
            click.echo(f"{row.term}\t{row.synonym}")
        if not rows:
            click.echo("No synonyms.", err=True)

    @synonyms.command("remove")
    @click.argument("term")
    @click.argument("other")
    @with_appcontext
    def remove(term: str, other: str):
        """Stop treating TERM and OTHER as equivalent."""
        from .synonyms import SynonymError, remove_synonym

        try:
            removed = remove_synonym(term, other)
        except SynonymError as exc:
            raise click.ClickException(str(exc)) from None
        if not removed:
            raise click.ClickException(f"{term} ⇄ {other} is not a synonym pair")
        db.session.commit()
        click.echo(f"Removed {term} ⇄ {other}")
