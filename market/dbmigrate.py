"""Create or migrate the database with Alembic (idempotent)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from .db import db

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(connection=None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    return cfg


def upgrade_database() -> tuple[str | None, str]:
    """Upgrade to the newest revision; return (revision before, revision after)."""
    with db.engine.begin() as conn:
        before = MigrationContext.configure(conn).get_current_revision()
        command.upgrade(alembic_config(conn), "head")
        after = MigrationContext.configure(conn).get_current_revision()
    return before, after


def head_revision() -> str:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


INITIAL_REVISION = "65f85794cf02"


def make_revision(message: str, rev_id: str | None = INITIAL_REVISION) -> None:
    """Developer helper: autogenerate a migration from the models (run against an empty database).

    Until the first release there is one migration, regenerated with a fixed id when models change.
    """
    with db.engine.begin() as conn:
        command.revision(alembic_config(conn), message=message, autogenerate=True, rev_id=rev_id)
