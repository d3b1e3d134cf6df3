"""What the trading template panels need (product page, cart, request page), computed only when shown.
Templates reach these as ``trading.<name>``."""

from __future__ import annotations

from flask_login import current_user
from sqlalchemy import select

from market.db import db
from orders.state import OPEN_LINE_STATES

from . import services
from .models import OPEN_PAYMENT_STATES, Payment
from .services import TEST_PAYMENT_METHODS, product_label, status_label, yuan  # noqa: F401  (for templates)


def _user():
    return current_user if getattr(current_user, "is_authenticated", False) else None


def product_panel(ds) -> dict:
    user = _user()
    products = services.products_of(ds)
    return {"products": products, "open": services.trading_open(ds), "block": services.block_for(ds),
            "enabled": services.get_provider() is not None, "can_price": services.can_price(ds, user),
            "is_operator": bool(user and user.is_operator),
            "chosen": services.product_for(user.id, ds) if user is not None and products else None}


def cart_lines(lines) -> list[dict]:
    """The paid entries of a cart, each with its products on sale and the buyer's choice."""
    out = []
    for cl in lines:
        ds = cl.item.dataset
        products = services.products_of(ds) if services.trading_open(ds) else []
        if products:
            out.append({"ds": ds, "products": products, "chosen": services.product_for(current_user.id, ds)})
    return out


def payments(lines) -> list[Payment]:
    ids = [ln.id for ln in lines]
    if not ids:
        return []
    return list(db.session.scalars(select(Payment).where(Payment.line_id.in_(ids)).order_by(Payment.id)))


def awaiting_approval(req, lines) -> list[tuple]:
    """(line, product) for paid entries still in review: the buyer learns a payment will follow."""
    out = []
    for ln in lines:
        if ln.state in OPEN_LINE_STATES and services.trading_open(ln.dataset):
            product = services.product_for(req.requester_id, ln.dataset)
            if product is not None:
                out.append((ln, product))
    return out


def payable(payment: Payment) -> bool:
    user = _user()
    return bool(user and payment.buyer_id == user.id and payment.status in OPEN_PAYMENT_STATES)


def payment_methods() -> tuple:
    return TEST_PAYMENT_METHODS if services.test_mode() else ()


def can_refund(payment: Payment) -> bool:
    return services.can_refund(payment, _user())
