"""Rules library (规则库): routing rules, approval deadlines, the working-day calendar, search synonyms, the
government term dictionary and data standards (数据元) — every change versioned with who and why."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from flask_babel import lazy_gettext as _l

    from market.nav import NavItem, register_nav

    from .views import bp

    app.register_blueprint(bp)
    register_nav(app, NavItem("rules.index", _l("规则库"), roles=("officer", "operator"), order=50))

    @app.before_request
    def _teach_terms():
        """Keep this process's search segmenter in step with the term dictionary (one query a minute)."""
        from sqlalchemy.exc import SQLAlchemyError

        from market.db import db

        from .terms import refresh_segmenter

        try:
            refresh_segmenter()
        except SQLAlchemyError:  # e.g. a database not migrated yet: pages must still answer
            db.session.rollback()
