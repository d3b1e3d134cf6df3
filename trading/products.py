"""Data trading: products and prices (fen, shown as ¥), operator blocks, and the money formatting helpers."""

from __future__ import annotations

import re
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import select

from audit import record_event
from market.db import db
from market.errors import Forbidden, ValidationFailed

from .models import (
    PaymentStatus,
    Product,
    ProductKind,
    TradingBlock,
)
from .providers import get_provider

MAX_PRODUCTS_PER_ENTRY = 10
MAX_AMOUNT_FEN = 100_000_000  # ¥1,000,000.00
SUBSCRIPTION_PERIODS = (30, 90, 180, 365)


def yuan(fen: int | None) -> str:
    """¥ with two decimals, e.g. 12345 → ¥123.45 (negative amounts: −¥1.00)."""
    if fen is None:
        return ""
    sign = "−" if fen < 0 else ""
    return f"{sign}¥{abs(fen) // 100:,}.{abs(fen) % 100:02d}"


def parse_yuan(text: str, field: str = "amount") -> int:
    """'12.5' / '¥12.50' → 1250 fen; ValidationFailed naming ``field`` otherwise."""
    raw = (text or "").strip().lstrip("¥￥").replace(",", "")
    if not re.fullmatch(r"\d{1,7}(\.\d{1,2})?", raw):
        raise ValidationFailed(_("金额格式不对：请填写元为单位、最多两位小数的数字，例如 199.00。"),
                               fields={field: ["yuan with at most 2 decimals, e.g. 199.00"]})
    fen = int((Decimal(raw) * 100).to_integral_value())
    if fen <= 0 or fen > MAX_AMOUNT_FEN:
        raise ValidationFailed(_("金额须大于 0 且不超过 ¥1,000,000.00。"), fields={field: ["0 < amount ≤ 1000000"]})
    return fen


def kind_label(kind: str) -> str:
    return {ProductKind.download: _("一次性下载"), ProductKind.subscription: _("订阅"),
            ProductKind.api_calls: _("接口调用包")}.get(kind, str(kind))


def product_label(p) -> str:
    """'订阅 30 天' / '接口调用包 1,000 次' / '一次性下载' (a Product or a Payment)."""
    if p.kind == ProductKind.subscription:
        return _("订阅 %(n)s 天", n=p.period_days)
    if p.kind == ProductKind.api_calls:
        return _("接口调用包 %(n)s 次", n=f"{p.calls:,}")
    return kind_label(p.kind)


def status_label(status: str) -> str:
    return {PaymentStatus.due: _("待支付"), PaymentStatus.failed: _("支付失败"), PaymentStatus.succeeded: _("已支付"),
            PaymentStatus.partially_refunded: _("部分退款"), PaymentStatus.refunded: _("已退款"),
            PaymentStatus.expired: _("超时未付，已关闭"), PaymentStatus.canceled: _("已取消")}.get(status, str(status))


# ---- products and blocks -------------------------------------------------------------------------------

def can_price(dataset, user) -> bool:
    """The owning department's data officer sets the prices of its entries."""
    return bool(user and getattr(user, "is_authenticated", False) and user.is_officer_of(dataset.department_id))


def block_for(dataset) -> TradingBlock | None:
    return db.session.scalar(select(TradingBlock).where(
        (TradingBlock.dataset_id == dataset.id) | (TradingBlock.department_id == dataset.department_id))
        .order_by(TradingBlock.dataset_id.is_(None)).limit(1))


def trading_open(dataset) -> bool:
    """Paid products of ``dataset`` are on sale: a provider is configured and no operator block applies."""
    return get_provider() is not None and block_for(dataset) is None


def products_of(dataset, *, active_only: bool = True) -> list[Product]:
    stmt = select(Product).where(Product.dataset_id == dataset.id)
    if active_only:
        stmt = stmt.where(Product.active.is_(True))
    return list(db.session.scalars(stmt.order_by(Product.amount_fen, Product.id)))


def sync_display_price(dataset, actor) -> None:
    """The catalog's price field (shown on cards and the product page) = the lowest price on sale."""
    from catalog.services import update_dataset

    prices = [p.amount_fen for p in products_of(dataset)] if block_for(dataset) is None else []
    value = (Decimal(min(prices)) / 100).quantize(Decimal("0.01")) if prices else None
    if dataset.price != value and dataset.status != "retired":
        update_dataset(dataset, {"price": value}, actor=actor)


def add_product(dataset, *, actor, kind: str, amount: str, period_days=None, calls=None) -> Product:
    if not can_price(dataset, actor):
        raise Forbidden(_("只有数源部门的数据官可以给该目录定价。"))
    if str(getattr(dataset.open_attribute, "value", dataset.open_attribute)) == "open":
        raise ValidationFailed(_("无条件开放的数据人人可免费下载，不能定价出售；如需收费，请先把开放属性改为有条件开放。"),
                               fields={"dataset": ["open data is free: it cannot be priced"]}, code="open_data_is_free")
    if kind not in ProductKind.__members__:
        raise ValidationFailed(_("请选择计价方式：一次性下载、订阅或接口调用包。"),
                               fields={"kind": ["one of download, subscription, api_calls"]})
    fen = parse_yuan(amount)
    period = count = None
    if kind == ProductKind.subscription:
        try:
            period = int(period_days)
        except (TypeError, ValueError):
            period = None
        if period not in SUBSCRIPTION_PERIODS:
            raise ValidationFailed(_("订阅周期须为 30、90、180 或 365 天。"),
                                   fields={"period_days": ["one of 30, 90, 180, 365"]})
    if kind == ProductKind.api_calls:
        try:
            count = int(calls)
        except (TypeError, ValueError):
            count = 0
        if not 1 <= count <= 100_000_000:
            raise ValidationFailed(_("调用次数须为 1 到 100,000,000 之间的整数。"),
                                   fields={"calls": ["integer 1..100000000"]})
    if len(products_of(dataset)) >= MAX_PRODUCTS_PER_ENTRY:
        raise ValidationFailed(_("每个目录最多 %(n)s 个在售价格，请先停售一些。", n=MAX_PRODUCTS_PER_ENTRY))
    product = Product(dataset_id=dataset.id, kind=kind, amount_fen=fen, period_days=period, calls=count,
                      active=True, created_by_id=actor.id)
    db.session.add(product)
    db.session.flush()
    record_event("trade_product.created", "trade_product", product.id, actor=actor,
                 payload={"dataset": dataset.id, "kind": kind, "amount_fen": fen, "period_days": period,
                          "calls": count})
    sync_display_price(dataset, actor)
    return product


def withdraw_product(product: Product, *, actor) -> Product:
    """Stop selling a price (kept for the payments that refer to it)."""
    if not can_price(product.dataset, actor):
        raise Forbidden(_("只有数源部门的数据官可以修改该目录的价格。"))
    if product.active:
        product.active = False
        db.session.flush()
        record_event("trade_product.withdrawn", "trade_product", product.id, actor=actor,
                     payload={"dataset": product.dataset_id})
        sync_display_price(product.dataset, actor)
    return product


def set_block(*, actor, reason: str, dataset=None, department=None) -> TradingBlock:
    """Operator: turn trading off for an entry or a department (its lines then follow the free sharing rules)."""
    if not (actor and actor.is_operator):
        raise Forbidden(_("只有平台运营可以停用数据交易。"))
    reason = (reason or "").strip()
    if not reason or len(reason) > 500:
        raise ValidationFailed(_("请填写停用原因（不超过 500 字）。"), fields={"reason": ["required, ≤ 500 characters"]})
    column, target = ((TradingBlock.dataset_id, dataset) if dataset is not None
                      else (TradingBlock.department_id, department))
    block = db.session.scalar(select(TradingBlock).where(column == target.id))
    if block is None:
        block = TradingBlock(dataset_id=getattr(dataset, "id", None), department_id=getattr(department, "id", None),
                             reason=reason, by_id=actor.id)
        db.session.add(block)
        db.session.flush()
        record_event("trading.blocked", "dataset" if dataset is not None else "department", target.id,
                     actor=actor, payload={"reason": reason})
        for ds in _priced_datasets(dataset, department):
            sync_display_price(ds, actor)
    return block


def clear_block(*, actor, dataset=None, department=None) -> bool:
    if not (actor and actor.is_operator):
        raise Forbidden(_("只有平台运营可以恢复数据交易。"))
    column, target = ((TradingBlock.dataset_id, dataset) if dataset is not None
                      else (TradingBlock.department_id, department))
    block = db.session.scalar(select(TradingBlock).where(column == target.id))
    if block is None:
        return False
    db.session.delete(block)
    db.session.flush()
    record_event("trading.unblocked", "dataset" if dataset is not None else "department", target.id, actor=actor)
    for ds in _priced_datasets(dataset, department):
        sync_display_price(ds, actor)
    return True


def _priced_datasets(dataset, department) -> list:
    from catalog.models import Dataset

    if dataset is not None:
        return [dataset]
    return list(db.session.scalars(select(Dataset).where(
        Dataset.department_id == department.id,
        Dataset.id.in_(select(Product.dataset_id).where(Product.active.is_(True))))))


