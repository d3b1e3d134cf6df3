"""The Alembic migrations create exactly what the models declare."""

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from market.db import db
from market.dbmigrate import head_revision, upgrade_database


def test_models_and_migrations_agree(app):
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), db.metadata)
    assert diff == [], f"models differ from migrations; generate a revision: {diff}"


def test_init_db_is_idempotent(app):
    before, after = upgrade_database()
    assert before == after == head_revision()
