"""What the trading template panels need (product page, cart, request page), computed only when shown.
Templates reach these as ``trading.<name>``."""

from __future__ import annotations

from flask_login import current_user
from sqlalchemy import select

from market.db import db
from market.generations import Generation
from orders.state import OPEN_LINE_STATES

from . import services
from .models import OPEN_PAYMENT_STATES, Payment, Product
from .services import TEST_PAYMENT_METHODS, product_label, status_label, yuan  # noqa: F401  (for templates)


def _user():
    return current_user._get_current_object() if getattr(current_user, "is_authenticated", False) else None


PRODUCTS = Generation("trading.products", Product)


def _entries_on_sale() -> frozenset[int]:
    return frozenset(db.session.scalars(select(Product.dataset_id).where(Product.active.is_(True)).distinct()))


def product_panel(ds) -> dict:
    """The product page's trading panel. It shows for entries with products on sale, to the owning
    department's officer and to operators; for anyone else an entry without products shows nothing, so
    its block (and with it ``open``) is only looked up when the panel shows. Which entries have products
    on sale is kept per process (most have none): refreshed when products change, here or in
    another process (market/generations.py stamp files)."""
    user = _user()
    on_sale = ds.id in PRODUCTS.get("on_sale", _entries_on_sale)
    products = services.products_of(ds) if on_sale else []
    can_price = services.can_price(ds, user)
    is_operator = bool(user and user.is_operator)
    shown = bool(products) or can_price or is_operator
    block = services.block_for(ds) if shown else None
    enabled = services.get_provider() is not None
    return {"products": products, "open": shown and enabled and block is None, "block": block,
            "enabled": enabled, "can_price": can_price, "is_operator": is_operator,
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
