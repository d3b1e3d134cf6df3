"""Recommendations (推荐) with a reason per item: related entries on the product page, "frequently requested
together" in the cart, "for you" on the home page, and operator-curated scenario bundles."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from flask_babel import lazy_gettext as _l

    from market.nav import NavItem, register_nav, register_slot

    from . import cache  # noqa: F401  (registers the invalidation hook)
    from .api import bp as api_bp
    from .views import bp as views_bp
    from .views import slot_context

    app.register_blueprint(views_bp)
    app.register_blueprint(api_bp)
    app.context_processor(lambda: {"recs_panel": slot_context})
    register_slot(app, "dataset.after", "recs/_related.html", order=50)
    register_slot(app, "cart.after", "recs/_cart.html", order=50)
    register_slot(app, "home.main", "recs/_home.html", order=50)
    register_nav(app, NavItem("recs.bundles", _l("场景套餐"), place="zone", order=25))
