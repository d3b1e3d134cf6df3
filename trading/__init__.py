"""Data trading (数据交易): priced products of catalog entries, payments through a provider (Stripe),
the webhook, refunds, expiry of unpaid lines, an append-only ledger and reconciliation. See docs/trading.md."""

from __future__ import annotations

from flask import Flask


def expire_job(now):
    """Close paid request lines whose payment window has passed."""
    from .services import expire_payments

    n = expire_payments(now)
    return f"{n} unpaid payment(s) expired" if n else None


def init_app(app: Flask) -> None:
    from flask_babel import lazy_gettext as _l

    from market.nav import NavItem, register_nav, register_slot
    from orders.decisions import PAYMENT_GATE

    from . import panels, services
    from .api import bp as api_bp
    from .views import bp as views_bp

    app.register_blueprint(views_bp)
    app.register_blueprint(api_bp)
    app.extensions[PAYMENT_GATE] = services.payment_gate

    try:
        from jobs import register_periodic
    except ImportError:  # the jobs package is optional: `market payments expire` does the same from cron
        pass
    else:
        register_periodic("trading.expire", expire_job, 15)

    register_slot(app, "dataset.aside", "trading/_product_panel.html", order=50)
    register_slot(app, "cart.after", "trading/_cart_panel.html", order=50)
    register_slot(app, "request.after", "trading/_request_panel.html", order=10)
    register_nav(app, NavItem("trading.ledger", _l("交易账单"), place="user",
                              roles=("requester", "officer", "operator"), order=35))

    app.add_template_filter(services.yuan, "yuan")
    app.add_template_global(panels, "trading")
