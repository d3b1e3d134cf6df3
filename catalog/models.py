"""Catalog aggregate: departments, categories, datasets (catalog entries) and their data items,
plus the append-only change history of every entry."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from market.db import db, str_enum, utcnow

from .vocab import DatasetStatus, Library, OpenAttribute, ShareAttribute, UpdateFrequency


class Department(db.Model):
    __tablename__ = "departments"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    name_en: Mapped[str | None] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    datasets: Mapped[list[Dataset]] = relationship(back_populates="department")

    def __repr__(self) -> str:
        return f"<Department {self.code}>"


class Category(db.Model):
    """A base library (基础库: 人口, 法人 …) or thematic library (主题库: 教育, 医疗 …)."""

    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    name_en: Mapped[str | None] = mapped_column(String(100))
    library: Mapped[Library] = mapped_column(str_enum(Library, "library"), default=Library.theme)
    position: Mapped[int] = mapped_column(Integer, default=0)

    datasets: Mapped[list[Dataset]] = relationship(back_populates="category")


class Dataset(db.Model):
    """A catalog entry (目录条目), shown in the shop as a product."""

    __tablename__ = "datasets"
    __table_args__ = (
        CheckConstraint("level BETWEEN 1 AND 4", name="level_range"),
        CheckConstraint("price IS NULL OR price >= 0", name="price_not_negative"),
        CheckConstraint("status != 'published' OR published_at IS NOT NULL", name="published_has_date"),
        Index("ix_datasets_status_updated", "status", "updated_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(120), unique=True)
    source_id: Mapped[str | None] = mapped_column(String(200), unique=True)
    title: Mapped[str] = mapped_column(String(300), index=True)
    summary: Mapped[str] = mapped_column(Text, default="")
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    category_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"), index=True)
    update_frequency: Mapped[UpdateFrequency] = mapped_column(
        str_enum(UpdateFrequency, "update_frequency"), default=UpdateFrequency.irregular)
    update_frequency_text: Mapped[str | None] = mapped_column(String(100))
    share_attribute: Mapped[ShareAttribute] = mapped_column(
        str_enum(ShareAttribute, "share_attribute"), default=ShareAttribute.conditional)
    open_attribute: Mapped[OpenAttribute] = mapped_column(
        str_enum(OpenAttribute, "open_attribute"), default=OpenAttribute.closed)
    open_condition_text: Mapped[str | None] = mapped_column(String(200))
    level: Mapped[int] = mapped_column(Integer, default=2)
    delivery_modes: Mapped[list[str]] = mapped_column(JSON, default=list)
    status: Mapped[DatasetStatus] = mapped_column(str_enum(DatasetStatus, "dataset_status"),
                                                  default=DatasetStatus.draft, index=True)
    price: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    published_at: Mapped[date | None] = mapped_column(Date)
    source_updated_at: Mapped[date | None] = mapped_column(Date)
    region: Mapped[str | None] = mapped_column(String(100))
    url: Mapped[str | None] = mapped_column(String(500))
    record_count: Mapped[int | None] = mapped_column(Integer)
    sample: Mapped[list[dict] | None] = mapped_column(JSON)
    featured: Mapped[bool] = mapped_column(Boolean, default=False)
    request_count: Mapped[int] = mapped_column(Integer, default=0)
    rating_avg: Mapped[float | None] = mapped_column(Float)
    rating_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    department: Mapped[Department] = relationship(back_populates="datasets", lazy="joined")
    category: Mapped[Category | None] = relationship(back_populates="datasets", lazy="joined")
    items: Mapped[list[DataItem]] = relationship(
        back_populates="dataset", order_by="DataItem.position", cascade="all, delete-orphan")
    tag_rows: Mapped[list[DatasetTag]] = relationship(cascade="all, delete-orphan", lazy="selectin")
    format_rows: Mapped[list[DatasetFormat]] = relationship(cascade="all, delete-orphan", lazy="selectin")
    changes: Mapped[list[DatasetChange]] = relationship(
        back_populates="dataset", order_by="DatasetChange.id", viewonly=True)

    @property
    def tags(self) -> list[str]:
        return [row.name for row in self.tag_rows]

    @tags.setter
    def tags(self, names: list[str]) -> None:
        self.tag_rows = [DatasetTag(name=n) for n in dict.fromkeys(names)]

    @property
    def formats(self) -> list[str]:
        return [row.name for row in self.format_rows]

    @formats.setter
    def formats(self, names: list[str]) -> None:
        self.format_rows = [DatasetFormat(name=n) for n in dict.fromkeys(names)]

    @property
    def has_sensitive_items(self) -> bool:
        return any(item.sensitive for item in self.items)

    def __repr__(self) -> str:
        return f"<Dataset {self.code}>"


class DataItem(db.Model):
    """A data item (信息项): one field of the dataset."""

    __tablename__ = "data_items"
    __table_args__ = (UniqueConstraint("dataset_id", "name", name="dataset_item_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    name: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(40), default="string")
    description: Mapped[str] = mapped_column(Text, default="")
    sensitive: Mapped[bool] = mapped_column(Boolean, default=False)
    # the data standard (数据元) of the rules library this item follows (rules.models.DataStandard)
    standard_id: Mapped[int | None] = mapped_column(ForeignKey("data_standards.id", ondelete="SET NULL"),
                                                    index=True)

    dataset: Mapped[Dataset] = relationship(back_populates="items")
    standard = relationship("DataStandard")


class DatasetTag(db.Model):
    __tablename__ = "dataset_tags"

    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"), primary_key=True)
    name: Mapped[str] = mapped_column(String(100), primary_key=True, index=True)


class DatasetFormat(db.Model):
    __tablename__ = "dataset_formats"

    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"), primary_key=True)
    name: Mapped[str] = mapped_column(String(40), primary_key=True, index=True)


class DatasetChange(db.Model):
    """One row per change to a catalog entry; never updated or deleted (see the guard below)."""

    __tablename__ = "dataset_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(30))
    changes: Mapped[dict] = mapped_column(JSON, default=dict)

    dataset: Mapped[Dataset] = relationship(back_populates="changes")
    actor = relationship("User", lazy="joined")


class AppendOnlyError(Exception):
    pass


@event.listens_for(DatasetChange, "before_update")
@event.listens_for(DatasetChange, "before_delete")
def _refuse_history_rewrite(mapper, connection, target):
    raise AppendOnlyError("the change history of a catalog entry is append-only")
