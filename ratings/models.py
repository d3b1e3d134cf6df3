"""Reviews (评价) of catalog entries by people who received the data, the owners' replies, and abuse reports."""

from __future__ import annotations

from datetime import datetime

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
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from market.db import db, utcnow

# the rated dimensions besides the overall score, in display order
DIMENSIONS = ("quality", "completeness", "timeliness", "usability", "service")
MAX_TEXT = 2000
MAX_REPLY = 1000
MAX_REASON = 500


def _score_check(column: str) -> CheckConstraint:
    return CheckConstraint(f"{column} IS NULL OR {column} BETWEEN 1 AND 5", name=f"{column}_range")


class Review(db.Model):
    """One person's review of one entry (one per person per entry, editable)."""

    AUDIT_TYPE = "review"

    __tablename__ = "reviews"
    __table_args__ = (
        UniqueConstraint("dataset_id", "user_id", name="review_once_per_user"),
        CheckConstraint("overall BETWEEN 1 AND 5", name="overall_range"),
        *(_score_check(d) for d in DIMENSIONS),
        CheckConstraint("NOT hidden OR hidden_by_id IS NOT NULL", name="hidden_has_moderator"),
        Index("ix_reviews_dataset_hidden", "dataset_id", "hidden"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # the reviewer's department when the review was written (None for enterprise/citizen accounts)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id", ondelete="SET NULL"))
    overall: Mapped[int] = mapped_column(Integer)
    quality: Mapped[int | None] = mapped_column(Integer)
    completeness: Mapped[int | None] = mapped_column(Integer)
    timeliness: Mapped[int | None] = mapped_column(Integer)
    usability: Mapped[int | None] = mapped_column(Integer)
    service: Mapped[int | None] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text, default="")
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    hidden_reason: Mapped[str] = mapped_column(String(MAX_REASON), default="")
    hidden_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    hidden_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    user = relationship("User", lazy="joined", foreign_keys=[user_id])
    department = relationship("Department", lazy="joined")
    dataset = relationship("Dataset")
    reply: Mapped[ReviewReply | None] = relationship(back_populates="review", uselist=False, lazy="joined",
                                                     cascade="all, delete-orphan")
    reports: Mapped[list[ReviewReport]] = relationship(back_populates="review", order_by="ReviewReport.id",
                                                       cascade="all, delete-orphan")

    def scores(self) -> dict[str, int | None]:
        return {d: getattr(self, d) for d in DIMENSIONS}


class ReviewReply(db.Model):
    """The owning department's answer to a review (one per review, editable)."""

    __tablename__ = "review_replies"

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id", ondelete="CASCADE"), unique=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    review: Mapped[Review] = relationship(back_populates="reply")
    author = relationship("User", lazy="joined")


class ReviewReport(db.Model):
    """An abuse report on a review; operators resolve it by hiding the review or dismissing the report."""

    __tablename__ = "review_reports"
    __table_args__ = (UniqueConstraint("review_id", "reporter_id", name="report_once_per_user"),
                      Index("ix_review_reports_open", "resolved_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id", ondelete="CASCADE"), index=True)
    reporter_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(String(MAX_REASON))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    resolution: Mapped[str] = mapped_column(String(20), default="")  # hidden | dismissed

    review: Mapped[Review] = relationship(back_populates="reports")
    reporter = relationship("User", lazy="joined", foreign_keys=[reporter_id])
