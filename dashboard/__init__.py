"""Dashboards (数据看板): city-wide for operators, per department for officers — on-demand share rate,
approval times, deadline breaches, demand and objection handling, usage, ratings and catalog coverage —
as a page with charts, as ``GET /api/v1/dashboard`` JSON, and as CSV per table."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from flask_babel import lazy_gettext as _l

    from market.nav import NavItem, register_nav

    from .api import bp as api_bp
    from .views import bp as views_bp

    app.register_blueprint(views_bp)
    app.register_blueprint(api_bp)
    register_nav(app, NavItem("dashboard.index", _l("数据看板"), roles=("officer", "operator"), order=60))
