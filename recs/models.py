"""Scenario bundles (场景套餐): entries a task needs together (企业开办 = 营业执照 + 税务登记 + 社保登记),
curated by platform operators and offered on product pages, in the cart and on the bundles page."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from market.db import db, utcnow

MAX_BUNDLE_ITEMS = 20


class Bundle(db.Model):
    __tablename__ = "rec_bundles"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    items: Mapped[list[BundleItem]] = relationship(back_populates="bundle", order_by="BundleItem.position",
                                                   cascade="all, delete-orphan")


class BundleItem(db.Model):
    __tablename__ = "rec_bundle_items"
    __table_args__ = (UniqueConstraint("bundle_id", "dataset_id", name="bundle_dataset"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    bundle_id: Mapped[int] = mapped_column(ForeignKey("rec_bundles.id", ondelete="CASCADE"), index=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    note: Mapped[str] = mapped_column(String(200), default="")  # why the scenario needs it

    bundle: Mapped[Bundle] = relationship(back_populates="items")
    dataset = relationship("Dataset", lazy="joined")
