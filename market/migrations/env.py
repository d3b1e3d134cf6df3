"""Alembic environment: runs on the connection handed over by ``market init-db``."""

from alembic import context

from market.db import db
from market.models import import_all_models

import_all_models()

config = context.config
target_metadata = db.metadata

connection = config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `market init-db`")
context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True,
                  compare_type=True)
with context.begin_transaction():
    context.run_migrations()
