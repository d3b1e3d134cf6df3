"""Wiring: blueprints, account-menu links and the product-page panel (download buttons, query, data)."""

from __future__ import annotations

from flask import Flask


def panel_info(ds) -> dict:
    """What the product page's delivery panel shows for the current user."""
    from flask_login import current_user

    from catalog.permissions import can_manage
    from catalog.vocab import OpenAttribute

    from . import store
    from .access import active_grant

    user = current_user if current_user.is_authenticated else None
    grant = active_grant(user, ds.id) if user is not None else None
    query_grant = active_grant(user, ds.id, "query") if grant is not None else None
    rows = store.row_count(ds.id)
    return {
        "rows": rows,
        "open": ds.open_attribute == OpenAttribute.open and ds.status.value == "published",
        "bulk": ds.level < 4,
        "manage": can_manage(ds, user),
        "grant": grant,
        "query": query_grant is not None or can_manage(ds, user),
        "key_column": store.key_column(ds.id),
        "sensitive": [i.name for i in ds.items if i.sensitive],
    }


def init_app(app: Flask) -> None:
    from flask_babel import lazy_gettext as _l

    from market.nav import NavItem, register_nav, register_slot

    from .api import bp as api_bp
    from .views import bp as views_bp

    app.register_blueprint(views_bp)
    app.register_blueprint(api_bp)
    register_slot(app, "dataset.aside", "delivery/_panel.html", order=20)
    register_nav(
        app,
        NavItem("delivery.my_grants", _l("我的授权"), place="user", roles=("requester", "officer"), order=35),
        NavItem("delivery.api_keys", _l("接口密钥"), place="user", roles="authenticated", order=70),
    )

    @app.context_processor
    def _delivery():
        return {"delivery_panel": panel_info}
