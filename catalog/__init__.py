"""Catalog aggregate: departments, categories, datasets as products."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from .api import bp as api_bp
    from .views import bp as views_bp

    app.register_blueprint(views_bp)
    app.register_blueprint(api_bp)
