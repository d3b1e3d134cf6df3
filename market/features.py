"""The feature packages the app is made of. Each may define ``init_app(app)`` (blueprints, hooks, nav links)
in its ``__init__`` and ``register(cli)`` in its ``cli`` module; add a package here (and its models to
``market.models.MODEL_MODULES``) and the app factory and the ``market`` command pick it up."""

from __future__ import annotations

FEATURE_PACKAGES = (
    "search",
    "catalog",
    "opendata",
    "orders",
    "audit",
    "notify",
    "jobs",
    "rules",
    "delivery",
    "watermark",
    "ratings",
    "recs",
    "demands",
    "dashboard",
    "kb",
    "trading",
)
