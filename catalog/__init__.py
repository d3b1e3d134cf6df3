"""Catalog aggregate: departments, categories, datasets as products."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from flask_babel import lazy_gettext as _l

    from market.nav import NavItem, register_nav
    from market.pagecache import register_cacheable

    from .api import bp as api_bp
    from .views import bp as views_bp

    app.register_blueprint(views_bp)
    app.register_blueprint(api_bp)
    register_cacheable(app, "catalog.home", "catalog.browse", "catalog.detail", "catalog_api.list_datasets",
                       "catalog_api.get_dataset")
    register_nav(
        app,
        NavItem("catalog.home", _l("首页"), order=0),
        NavItem("catalog.browse", _l("数据超市"), order=10),
        NavItem("catalog.browse", _l("开放数据"), order=20, values=(("open_attribute", "open"),)),
        NavItem("catalog.compare", _l("数据对比"), order=25),
        NavItem("catalog.manage", _l("目录管理"), place="user", roles=("officer", "operator"), order=10),
    )
