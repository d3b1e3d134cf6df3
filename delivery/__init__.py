"""Delivery (数据交付): the rows behind catalog entries, bulk download, the data API with API keys, authorised
query (数据授权查询) and the usage ledger. Public interface for other packages: ``delivery.store`` and
``delivery.ledger``."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from .web import init_app as _init

    _init(app)
