"""Demands (数据需求) for data the catalog lacks, the "me too" supporters of a demand, and quality
objections (数据异议) against an entry, one of its data items, or a delivered copy (a grant)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from market.db import db, str_enum, utcnow

from .state import DemandOutcome, DemandState, Frequency, ObjectionKind, ObjectionOutcome, ObjectionState


class Demand(db.Model):
    """One demand: what is wanted, why, which items, how often, by when; routed by an operator to an
    owning department, answered by that department's data officer, closed when an entry meets it."""

    AUDIT_TYPE = "demand"

    __tablename__ = "demands"
    __table_args__ = (
        Index("ix_demands_state_due", "state", "due_at"),
        CheckConstraint("state NOT IN ('routed', 'planned') OR department_id IS NOT NULL",
                        name="routed_has_department"),
        CheckConstraint("state != 'planned' OR publish_by IS NOT NULL", name="planned_has_date"),
        CheckConstraint("state != 'fulfilled' OR linked_dataset_id IS NOT NULL", name="fulfilled_has_entry"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200), index=True)
    description: Mapped[str] = mapped_column(Text, default="")  # what exactly is wanted
    purpose: Mapped[str] = mapped_column(Text)  # why (the business scenario)
    items: Mapped[list[str]] = mapped_column(JSON, default=list)  # wanted data items
    items_text: Mapped[str] = mapped_column(String(2000), default="")  # the items joined, for text search
    frequency: Mapped[Frequency] = mapped_column(str_enum(Frequency, "demand_frequency"), default=Frequency.once)
    needed_by: Mapped[date | None] = mapped_column(Date)
    # the entry the requester looked at when posting (e.g. a 不予共享 entry from the cart), if any
    dataset_id: Mapped[int | None] = mapped_column(ForeignKey("datasets.id", ondelete="SET NULL"), index=True)
    requester_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    state: Mapped[DemandState] = mapped_column(str_enum(DemandState, "demand_state"), default=DemandState.submitted)
    # routing: the platform's suggestions (top departments with reasons), the operator's choice
    suggestions: Mapped[list[dict]] = mapped_column(JSON, default=list)
    declined_department_ids: Mapped[list[int]] = mapped_column(JSON, default=list)  # answered "not held by us"
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), index=True)
    routed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    routed_at: Mapped[datetime | None] = mapped_column(DateTime)
    # the deadline of the current stage (routing, answer, publication) and its reminder/escalation marks
    due_at: Mapped[datetime | None] = mapped_column(DateTime)
    reminded_at: Mapped[datetime | None] = mapped_column(DateTime)
    escalated_at: Mapped[datetime | None] = mapped_column(DateTime)
    # the owner's answer
    outcome: Mapped[DemandOutcome | None] = mapped_column(str_enum(DemandOutcome, "demand_outcome"))
    answer: Mapped[str] = mapped_column(Text, default="")
    publish_by: Mapped[date | None] = mapped_column(Date)
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    answered_at: Mapped[datetime | None] = mapped_column(DateTime)
    # the entry that meets the demand (new entry to publish, or an existing one)
    linked_dataset_id: Mapped[int | None] = mapped_column(ForeignKey("datasets.id", ondelete="SET NULL"),
                                                          index=True)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime, index=True)
    supporter_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    requester = relationship("User", lazy="joined", foreign_keys=[requester_id])
    department = relationship("Department", lazy="joined", foreign_keys=[department_id])
    dataset = relationship("Dataset", foreign_keys=[dataset_id])
    linked_dataset = relationship("Dataset", foreign_keys=[linked_dataset_id])
    routed_by = relationship("User", foreign_keys=[routed_by_id])
    answered_by = relationship("User", foreign_keys=[answered_by_id])
    supporters: Mapped[list[DemandSupport]] = relationship(back_populates="demand", order_by="DemandSupport.id",
                                                           cascade="all, delete-orphan")


class DemandSupport(db.Model):
    """A "me too" (我也需要): another user with the same need and their own purpose."""

    __tablename__ = "demand_supports"
    __table_args__ = (UniqueConstraint("demand_id", "user_id", name="demand_user"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    demand_id: Mapped[int] = mapped_column(ForeignKey("demands.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    purpose: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    demand: Mapped[Demand] = relationship(back_populates="supporters")
    user = relationship("User", lazy="joined")


class Objection(db.Model):
    """A quality objection (数据异议) against an entry, one data item, or a delivered copy (grant)."""

    AUDIT_TYPE = "objection"

    __tablename__ = "objections"
    __table_args__ = (
        Index("ix_objections_state_due", "state", "due_at"),
        Index("ix_objections_dataset_state", "dataset_id", "state"),
        CheckConstraint("state = 'open' OR answered_by_id IS NOT NULL", name="answer_has_officer"),
        CheckConstraint("state != 'corrected' OR length(corrected_version) > 0", name="corrected_has_version"),
        CheckConstraint("state NOT IN ('explained', 'rejected') OR length(answer) > 0", name="answer_has_reason"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"))
    item_name: Mapped[str | None] = mapped_column(String(200))  # the data item, when the objection names one
    grant_id: Mapped[int | None] = mapped_column(ForeignKey("grants.id", ondelete="SET NULL"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)  # owner when filed
    kind: Mapped[ObjectionKind] = mapped_column(str_enum(ObjectionKind, "objection_kind"))
    description: Mapped[str] = mapped_column(Text)
    other_source: Mapped[str] = mapped_column(String(300), default="")  # for "inconsistent with another source"
    raised_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    state: Mapped[ObjectionState] = mapped_column(str_enum(ObjectionState, "objection_state"),
                                                  default=ObjectionState.open)
    outcome: Mapped[ObjectionOutcome | None] = mapped_column(str_enum(ObjectionOutcome, "objection_outcome"))
    answer: Mapped[str] = mapped_column(Text, default="")
    corrected_version: Mapped[str] = mapped_column(String(40), default="")
    notified_holders: Mapped[int] = mapped_column(Integer, default=0)
    due_at: Mapped[datetime | None] = mapped_column(DateTime)
    reminded_at: Mapped[datetime | None] = mapped_column(DateTime)
    escalated_at: Mapped[datetime | None] = mapped_column(DateTime)
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    answered_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)

    dataset = relationship("Dataset", lazy="joined")
    department = relationship("Department", lazy="joined")
    raised_by = relationship("User", lazy="joined", foreign_keys=[raised_by_id])
    answered_by = relationship("User", foreign_keys=[answered_by_id])
    grant = relationship("Grant")

    @property
    def target(self) -> str:
        """What the objection is against: ``copy`` (a delivered copy), ``item`` or ``entry``."""
        return "copy" if self.grant_id else "item" if self.item_name else "entry"
