"""Orders aggregate: carts, access requests (one sub-order per owning department, one line per
dataset), approval steps, grants, and the routing rules of the rules library (规则库)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
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

from .state import LineState, StepKind, StepState


class Cart(db.Model):
    """A user's cart (数据篮). ``version`` grows with every change and at checkout; a checkout claims
    the version it read, which makes a double submit create one request."""

    __tablename__ = "carts"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    items: Mapped[list[CartItem]] = relationship(back_populates="cart", order_by="CartItem.id",
                                                 cascade="all, delete-orphan")


class CartItem(db.Model):
    __tablename__ = "cart_items"
    __table_args__ = (UniqueConstraint("cart_id", "dataset_id", name="cart_dataset"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cart_id: Mapped[int] = mapped_column(ForeignKey("carts.id", ondelete="CASCADE"), index=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"), index=True)
    # requested data item names; None = every item of the dataset
    fields: Mapped[list[str] | None] = mapped_column(JSON)
    added_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    cart: Mapped[Cart] = relationship(back_populates="items")
    dataset = relationship("Dataset", lazy="joined")


class AccessRequest(db.Model):
    """An access request (数据申请): what checkout makes of a cart."""

    __tablename__ = "access_requests"
    __table_args__ = (CheckConstraint("period_days BETWEEN 1 AND 3660", name="period_range"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    requester_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), index=True)
    purpose: Mapped[str] = mapped_column(Text)
    legal_basis: Mapped[str] = mapped_column(Text, default="")
    period_days: Mapped[int] = mapped_column(Integer)
    # "cart:<cart id>:v<version>": unique, so one cart version can be checked out only once
    idempotency_key: Mapped[str] = mapped_column(String(80), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)

    requester = relationship("User", lazy="joined", foreign_keys=[requester_id])
    department = relationship("Department", lazy="joined")
    orders: Mapped[list[SubOrder]] = relationship(back_populates="request", order_by="SubOrder.id",
                                                  cascade="all, delete-orphan")
    lines: Mapped[list[RequestLine]] = relationship(back_populates="request", order_by="RequestLine.id",
                                                    cascade="all, delete-orphan")
    comments: Mapped[list[RequestComment]] = relationship(back_populates="request",
                                                          order_by="RequestComment.id",
                                                          cascade="all, delete-orphan")


class SubOrder(db.Model):
    """The part of a request addressed to one owning department (数源部门)."""

    __tablename__ = "request_orders"
    __table_args__ = (UniqueConstraint("request_id", "department_id", name="request_department"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("access_requests.id", ondelete="CASCADE"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)

    request: Mapped[AccessRequest] = relationship(back_populates="orders")
    department = relationship("Department", lazy="joined")
    lines: Mapped[list[RequestLine]] = relationship(back_populates="order", order_by="RequestLine.id",
                                                    viewonly=True)


class RequestLine(db.Model):
    AUDIT_TYPE = "request_line"
    LABEL = "Request line"

    __tablename__ = "request_lines"
    __table_args__ = (
        UniqueConstraint("request_id", "dataset_id", name="request_dataset"),
        Index("ix_request_lines_state", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("access_requests.id", ondelete="CASCADE"), index=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("request_orders.id", ondelete="CASCADE"), index=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id"), index=True)
    fields: Mapped[list[str]] = mapped_column(JSON, default=list)  # requested data item names
    state: Mapped[LineState] = mapped_column(str_enum(LineState, "line_state"), default=LineState.submitted)
    route: Mapped[str] = mapped_column(String(40), default="")  # name of the routing rule that matched

    request: Mapped[AccessRequest] = relationship(back_populates="lines")
    order: Mapped[SubOrder] = relationship(back_populates="lines")
    dataset = relationship("Dataset", lazy="joined")
    steps: Mapped[list[ApprovalStep]] = relationship(back_populates="line", order_by="ApprovalStep.position",
                                                     cascade="all, delete-orphan")
    grant: Mapped[Grant | None] = relationship(back_populates="line", uselist=False)


class ApprovalStep(db.Model):
    AUDIT_TYPE = "approval_step"
    LABEL = "Approval step"

    __tablename__ = "approval_steps"
    __table_args__ = (
        UniqueConstraint("line_id", "position", name="line_position"),
        Index("ix_approval_steps_state_due", "state", "due_at"),
        CheckConstraint("state != 'rejected' OR length(comment) > 0", name="rejection_has_reason"),
        CheckConstraint("state NOT IN ('approved', 'rejected') OR decided_by_id IS NOT NULL",
                        name="decision_has_decider"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    line_id: Mapped[int] = mapped_column(ForeignKey("request_lines.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[StepKind] = mapped_column(str_enum(StepKind, "step_kind"))
    # the department whose officer decides an owner step; NULL for platform steps
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), index=True)
    state: Mapped[StepState] = mapped_column(str_enum(StepState, "step_state"), default=StepState.pending)
    started_at: Mapped[datetime | None] = mapped_column(DateTime)
    due_at: Mapped[datetime | None] = mapped_column(DateTime)
    reminded_at: Mapped[datetime | None] = mapped_column(DateTime)
    escalated_at: Mapped[datetime | None] = mapped_column(DateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)
    comment: Mapped[str] = mapped_column(Text, default="")
    approved_fields: Mapped[list[str] | None] = mapped_column(JSON)  # per-item decision; None = all requested

    line: Mapped[RequestLine] = relationship(back_populates="steps")
    decided_by = relationship("User", lazy="joined")


class RequestComment(db.Model):
    """The comment thread of a request: questions from approvers, answers from the requester."""

    __tablename__ = "request_comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("access_requests.id", ondelete="CASCADE"), index=True)
    line_id: Mapped[int | None] = mapped_column(ForeignKey("request_lines.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(20))  # decision, question, answer
    body: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    request: Mapped[AccessRequest] = relationship(back_populates="comments")
    author = relationship("User", lazy="joined")


class Grant(db.Model):
    """Permission (授权) for a department user to receive a dataset's items until ``expires_at``."""

    __tablename__ = "grants"

    id: Mapped[int] = mapped_column(primary_key=True)
    line_id: Mapped[int] = mapped_column(ForeignKey("request_lines.id", ondelete="CASCADE"), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id"), index=True)
    fields: Mapped[list[str]] = mapped_column(JSON, default=list)
    # level 4 entries never include "download" (authorised query or sandbox only)
    delivery_modes: Mapped[list[str]] = mapped_column(JSON, default=list)
    granted_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    # when the holder was told the grant is about to expire (once per grant)
    expiry_reminded_at: Mapped[datetime | None] = mapped_column(DateTime)

    line: Mapped[RequestLine] = relationship(back_populates="grant")
    dataset = relationship("Dataset", lazy="joined")


class RoutingRule(db.Model):
    """One rule of the rules library (规则库). Rules are tried by ``position``; the first that
    matches decides. NULL conditions match anything."""

    __tablename__ = "routing_rules"
    __table_args__ = (
        CheckConstraint("outcome IN ('grant', 'approve', 'refuse')", name="outcome_known"),
        CheckConstraint("min_level IS NULL OR min_level BETWEEN 1 AND 4", name="min_level_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    position: Mapped[int] = mapped_column(Integer, unique=True)
    name: Mapped[str] = mapped_column(String(40))
    share_attribute: Mapped[str | None] = mapped_column(String(20))
    min_level: Mapped[int | None] = mapped_column(Integer)
    sensitive_requested: Mapped[bool | None] = mapped_column(Boolean)
    outcome: Mapped[str] = mapped_column(String(10))
    steps: Mapped[list[str]] = mapped_column(JSON, default=list)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
