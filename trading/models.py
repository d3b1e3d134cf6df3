"""Data trading (数据交易): priced products of a catalog entry, operator blocks, the buyer's choice in the
cart, one payment per paid request line, the append-only ledger, and the webhook events seen."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from market.db import db, str_enum, utcnow


class ProductKind(StrEnum):
    download = "download"  # one-off download
    subscription = "subscription"  # access for a period (period_days)
    api_calls = "api_calls"  # a bundle of N API calls


class PaymentStatus(StrEnum):
    due = "due"  # approved, waiting for the buyer to pay (or the payment is being confirmed)
    failed = "failed"  # the last attempt was declined; the buyer may try again until it expires
    succeeded = "succeeded"
    partially_refunded = "partially_refunded"  # grant kept
    refunded = "refunded"  # grant revoked
    expired = "expired"  # not paid in time; the line is released
    canceled = "canceled"  # the buyer cancelled before paying


OPEN_PAYMENT_STATES = (PaymentStatus.due, PaymentStatus.failed)
PAID_STATES = (PaymentStatus.succeeded, PaymentStatus.partially_refunded, PaymentStatus.refunded)


class Product(db.Model):
    """One way to buy an entry's delivery, priced in fen (分, CNY/100)."""

    __tablename__ = "trade_products"
    __table_args__ = (
        CheckConstraint("amount_fen > 0 AND amount_fen <= 100000000", name="amount_range"),
        CheckConstraint("kind != 'subscription' OR period_days BETWEEN 1 AND 3660", name="subscription_period"),
        CheckConstraint("kind != 'api_calls' OR calls BETWEEN 1 AND 100000000", name="bundle_calls"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"), index=True)
    kind: Mapped[ProductKind] = mapped_column(str_enum(ProductKind, "product_kind"))
    amount_fen: Mapped[int] = mapped_column(Integer)
    period_days: Mapped[int | None] = mapped_column(Integer)
    calls: Mapped[int | None] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    dataset = relationship("Dataset", lazy="joined")


class TradingBlock(db.Model):
    """An operator turned trading off for a whole department or for one entry."""

    __tablename__ = "trade_blocks"
    __table_args__ = (
        CheckConstraint("(department_id IS NULL) != (dataset_id IS NULL)", name="one_target"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id", ondelete="CASCADE"),
                                                      unique=True)
    dataset_id: Mapped[int | None] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"), unique=True)
    reason: Mapped[str] = mapped_column(Text)
    by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class TradeChoice(db.Model):
    """Which product a buyer picked for an entry in their cart (used when the line is approved)."""

    __tablename__ = "trade_choices"
    __table_args__ = (UniqueConstraint("user_id", "dataset_id", name="user_dataset"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"))
    product_id: Mapped[int] = mapped_column(ForeignKey("trade_products.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Payment(db.Model):
    """The payment of one paid request line; the amount is frozen when the line is approved."""

    AUDIT_TYPE = "payment"

    __tablename__ = "trade_payments"
    __table_args__ = (
        CheckConstraint("amount_fen > 0", name="amount_positive"),
        CheckConstraint("refunded_fen BETWEEN 0 AND amount_fen", name="refund_range"),
        Index("ix_trade_payments_status_expires", "status", "expires_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    line_id: Mapped[int] = mapped_column(ForeignKey("request_lines.id", ondelete="CASCADE"), unique=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("access_requests.id", ondelete="CASCADE"), index=True)
    buyer_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)  # the seller
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id"), index=True)
    product_id: Mapped[int | None] = mapped_column(ForeignKey("trade_products.id", ondelete="SET NULL"))
    kind: Mapped[ProductKind] = mapped_column(str_enum(ProductKind, "product_kind"))
    period_days: Mapped[int | None] = mapped_column(Integer)
    calls: Mapped[int | None] = mapped_column(Integer)
    amount_fen: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3), default="cny")
    provider: Mapped[str] = mapped_column(String(20))
    intent_id: Mapped[str | None] = mapped_column(String(100), unique=True)  # the current attempt
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[PaymentStatus] = mapped_column(str_enum(PaymentStatus, "payment_status"),
                                                  default=PaymentStatus.due)
    refunded_fen: Mapped[int] = mapped_column(Integer, default=0)
    message: Mapped[str] = mapped_column(Text, default="")  # why the last attempt failed, for the buyer
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    paid_at: Mapped[datetime | None] = mapped_column(DateTime)

    line = relationship("RequestLine", lazy="joined")
    buyer = relationship("User", lazy="joined", foreign_keys=[buyer_id])
    department = relationship("Department", lazy="joined")
    dataset = relationship("Dataset", lazy="joined")
    entries: Mapped[list[LedgerEntry]] = relationship(back_populates="payment", order_by="LedgerEntry.id",
                                                      viewonly=True)


class LedgerEntry(db.Model):
    """One charge (+) or refund (−) in fen; never updated or deleted (see the guard below)."""

    __tablename__ = "trade_ledger"
    __table_args__ = (
        CheckConstraint("(kind = 'charge' AND amount_fen > 0) OR (kind = 'refund' AND amount_fen < 0)",
                        name="sign_matches_kind"),
        Index("ix_trade_ledger_department_at", "department_id", "at"),
        Index("ix_trade_ledger_buyer_at", "buyer_id", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("trade_payments.id"), index=True)
    request_id: Mapped[int] = mapped_column(Integer, index=True)
    line_id: Mapped[int] = mapped_column(Integer)
    buyer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    kind: Mapped[str] = mapped_column(String(10))  # charge, refund
    amount_fen: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    provider: Mapped[str] = mapped_column(String(20))
    provider_ref: Mapped[str] = mapped_column(String(100), unique=True)  # PaymentIntent id / refund id
    note: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    payment: Mapped[Payment] = relationship(back_populates="entries")


class WebhookEvent(db.Model):
    """Every provider event id handled once: a replayed or duplicated delivery finds its row and stops."""

    __tablename__ = "trade_webhook_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(String(20))
    event_id: Mapped[str] = mapped_column(String(100), unique=True)
    type: Mapped[str] = mapped_column(String(60))
    object_id: Mapped[str] = mapped_column(String(100), default="")
    outcome: Mapped[str] = mapped_column(String(200), default="")
    received_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class LedgerAppendOnly(Exception):
    pass


@event.listens_for(LedgerEntry, "before_update")
@event.listens_for(LedgerEntry, "before_delete")
def _refuse_ledger_rewrite(mapper, connection, target):
    raise LedgerAppendOnly("the payment ledger is append-only: record a refund instead of changing a charge")
