"""Search: one contract (``search.base``), three backends, chosen from config in ``init_app``."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from .sql import SqlBackend

    backend = app.config.get("SEARCH_BACKEND")
    if backend is None:
        backend = SqlBackend()
    app.extensions["market.search"] = backend
