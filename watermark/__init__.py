"""Traceable copies (数据水印溯源): every copy delivered under a grant carries a fingerprint tied to the grant,
and ``market trace FILE`` or the operator page ``/trace`` names the grant a leaked copy came from.

Public interface for other packages: :func:`mark_rows` (delivery passes every delivered row through it)
and :func:`trace_file`. The scheme and its limits: docs/fingerprinting.md.
"""

from __future__ import annotations

from flask import Flask


def mark_rows(grant_id, dataset_id, columns, rows):
    """Yield the rows of a copy delivered under ``grant_id`` with the grant's fingerprint applied."""
    from .services import mark_rows as _mark_rows

    return _mark_rows(grant_id, dataset_id, columns, rows)


def trace_file(path_or_stream, filename: str = ""):
    """Name the grant a copy (CSV, XLSX or JSON) came from, or "no match": a :class:`TraceResult`."""
    from .services import trace_file as _trace_file

    return _trace_file(path_or_stream, filename)


def init_app(app: Flask) -> None:
    from flask_babel import lazy_gettext as _l

    from market.nav import NavItem, register_nav

    from .views import bp

    app.register_blueprint(bp)
    register_nav(app, NavItem("watermark.trace_page", _l("数据溯源"), place="user", roles=("operator",),
                              order=70))
