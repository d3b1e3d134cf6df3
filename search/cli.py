"""``market reindex``"""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from sqlalchemy import func, select

from catalog.models import Dataset
from market.db import db


def register(cli: click.Group) -> None:
    @cli.command("reindex")
    @with_appcontext
    def reindex():
        """Rebuild the search index from the database, with a progress bar."""
        from .service import get_backend, iter_documents

        backend = get_backend()
        total = db.session.scalar(select(func.count()).select_from(Dataset))
        with click.progressbar(iter_documents(), length=total, label=f"Indexing ({backend.name})",
                               show_pos=True, file=click.get_text_stream("stderr")) as docs:
            count = backend.rebuild(docs)
        click.echo(f"Indexed {count} datasets into the {backend.name} backend.")
