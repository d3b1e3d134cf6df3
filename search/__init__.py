"""Search: one contract (``search.base``), three backends, chosen from config in ``init_app``.

- ``MARKET_SEARCH_URL`` empty (the default): the embedded tantivy index in ``MARKET_DATA_DIR/search``;
- ``MARKET_SEARCH_URL=http(s)://…``: an OpenSearch/Elasticsearch cluster;
- the database backend answers when the index fails (with a notice), and ``SEARCH_BACKEND`` in the
  app config may name a backend ("embedded", "database") or hold a backend object (tests).
"""

from __future__ import annotations

from flask import Flask


def _make(kind: str, app: Flask):
    settings = app.config["MARKET"]
    if kind == "database":
        from .sql import SqlBackend

        return SqlBackend()
    from .synonyms import current_synonyms

    if kind == "embedded":
        from .embedded import EmbeddedBackend

        return EmbeddedBackend(settings.data_dir / "search", synonyms=current_synonyms)
    if kind == "opensearch":
        from .opensearch import OpenSearchBackend

        return OpenSearchBackend(settings.search_url, settings.search_index, synonyms=current_synonyms)
    raise ValueError(f"SEARCH_BACKEND={kind!r}: use 'embedded', 'opensearch' or 'database'")


def init_app(app: Flask) -> None:
    backend = app.config.get("SEARCH_BACKEND")
    if backend is None:
        backend = "opensearch" if app.config["MARKET"].search_url else "embedded"
    if isinstance(backend, str):
        backend = _make(backend, app)
    app.extensions["market.search"] = backend
