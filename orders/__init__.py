"""Orders aggregate: cart (数据篮), access requests (数据申请), approvals (审批) and grants (授权)."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from flask_babel import lazy_gettext as _l

    from market.nav import NavItem, register_nav

    from .api import bp as api_bp
    from .labels import label
    from .periodic import register as register_periodic_jobs
    from .views import bp as views_bp

    app.register_blueprint(views_bp)
    app.register_blueprint(api_bp)
    app.add_template_global(label, "orders_label")
    register_periodic_jobs()

    @app.context_processor
    def _cart_count():
        def cart_count() -> int:
            """Entries in the signed-in user's cart, for the header badge (one query, only if shown)."""
            from flask_login import current_user
            from sqlalchemy import func, select

            from market.db import db

            from .models import Cart, CartItem

            if not getattr(current_user, "is_authenticated", False):
                return 0
            return db.session.scalar(select(func.count()).select_from(CartItem).join(Cart)
                                     .where(Cart.user_id == current_user.id)) or 0

        return {"cart_count": cart_count, "demand_url": demand_url}

    def demand_url(dataset_id: int) -> str:
        """Where to post a data demand (数据需求) for an entry that cannot be requested."""
        from flask import url_for

        if "demands.new" in app.view_functions:
            return url_for("demands.new", dataset_id=dataset_id)
        return f"/demands/new?dataset_id={int(dataset_id)}"

    register_nav(
        app,
        NavItem("orders.cart", _l("数据篮"), place="user", roles=("requester", "officer", "public"), order=20,
                badge=lambda: _cart_count()["cart_count"]() or "0", css_class="cart-link"),
        NavItem("orders.my_requests", _l("我的申请"), place="user", roles=("requester", "officer", "public"), order=30),
        NavItem("orders.inbox", _l("审批待办"), place="user", roles=("officer", "operator"), order=40),
        NavItem("orders.overdue", _l("逾期审批"), place="user", roles=("officer", "operator"), order=41),
        NavItem("orders.overview", _l("申请总览"), place="user", roles=("operator",), order=42),
    )
