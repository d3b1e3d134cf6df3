"""Alembic environment: runs on the connection handed over by ``market init-db``."""

from alembic import context

from market.db import db

import catalog.models  # noqa: F401  (register tables)
import market.auth.models  # noqa: F401

config = context.config
target_metadata = db.metadata

connection = config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `market init-db`")
context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True,
                  compare_type=True)
with context.begin_transaction():
    context.run_migrations()
