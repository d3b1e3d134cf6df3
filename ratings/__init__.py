"""Verified reviews (评价): only people who received an entry review it; owners reply; operators moderate;
the averages feed cards, the product page, search sorting and the owners' improvement list."""

from __future__ import annotations

from flask import Flask


def improvement_list(department_id: int, *, limit: int = 50) -> list[dict]:
    """The department's improvement list (see :func:`ratings.feedback.improvement_list`)."""
    from .feedback import improvement_list as build

    return build(department_id, limit=limit)


def init_app(app: Flask) -> None:
    from flask_babel import lazy_gettext as _l

    from market.nav import NavItem, register_nav, register_slot

    from .api import bp as api_bp
    from .views import bp as views_bp
    from .views import panel_context

    app.register_blueprint(views_bp)
    app.register_blueprint(api_bp)
    app.context_processor(lambda: {"ratings_panel": panel_context})
    register_slot(app, "dataset.main", "ratings/_panel.html", order=50)
    register_nav(app,
                 NavItem("ratings.improvements", _l("评价改进"), place="user", roles=("officer", "operator"), order=70),
                 NavItem("ratings.reports", _l("评价举报"), place="user", roles=("operator",), order=71))
