"""Where every package's models are imported, so metadata (migrations, tests) sees all tables."""

from __future__ import annotations

import importlib

# One line per package that declares tables. Add yours here.
MODEL_MODULES = (
    "catalog.models",
    "market.auth.models",
    "audit.models",
    "orders.models",
    "search.models",
    "opendata.models",
    "notify.models",
    "jobs.models",
    "ratings.models",
    "recs.models",
    "delivery.models",
    "rules.models",
    "demands.models",
    "kb.models",
    "trading.models",
)


def import_all_models() -> None:
    for name in MODEL_MODULES:
        importlib.import_module(name)
