"""Rules library tables (规则库): the change log of every rule set, approval deadlines per step kind, the
working-day calendar, the government term dictionary and data standards (数据元).

Routing rules themselves live in ``orders.routing_rules`` (the orders engine reads them); search synonyms
in ``search.search_synonyms``. This package edits both and records each change in ``rule_changes``.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, CheckConstraint, Date, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from market.auth.models import User
from market.db import db, utcnow

RULE_SETS = ("routing", "deadlines", "calendar", "synonyms", "terms", "standards")


class RuleChange(db.Model):
    """One change to a rule set: what changed, the JSON before and after, who and why (append-only)."""

    __tablename__ = "rule_changes"
    __table_args__ = (
        CheckConstraint("rule_set IN ('routing', 'deadlines', 'calendar', 'synonyms', 'terms', 'standards')",
                        name="rule_set_known"),
        CheckConstraint("action IN ('created', 'updated', 'deleted', 'replaced', 'linked')", name="action_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    rule_set: Mapped[str] = mapped_column(String(20), index=True)
    object_key: Mapped[str] = mapped_column(String(200))  # e.g. "all", "2026-10-01", "DE0001", "企业⇄法人"
    action: Mapped[str] = mapped_column(String(10))
    before: Mapped[object | None] = mapped_column(JSON)
    after: Mapped[object | None] = mapped_column(JSON)
    reason: Mapped[str] = mapped_column(Text)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)

    actor: Mapped[User | None] = relationship()


class StepDeadline(db.Model):
    """Working days an approver of a step kind has (compliance 2, owner 5, platform 5 by default)."""

    __tablename__ = "step_deadlines"
    __table_args__ = (CheckConstraint("working_days BETWEEN 1 AND 60", name="working_days_range"),)

    step_kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    working_days: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class CalendarDay(db.Model):
    """A day that differs from the Monday–Friday week: a public holiday (休) or a make-up working day (班)."""

    __tablename__ = "calendar_days"
    __table_args__ = (CheckConstraint("kind IN ('holiday', 'workday')", name="kind_known"),)

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    name: Mapped[str] = mapped_column(String(100), default="")


class GovTerm(db.Model):
    """An entry of the government term dictionary (政务术语): kept whole when search segments text."""

    __tablename__ = "gov_terms"

    id: Mapped[int] = mapped_column(primary_key=True)
    term: Mapped[str] = mapped_column(String(100), unique=True)
    abbreviation: Mapped[str] = mapped_column(String(100), default="")
    english: Mapped[str] = mapped_column(String(200), default="")
    definition: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(200), default="")
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class DataStandard(db.Model):
    """A data standard (数据元): the standard name, code and type a dataset's data items can reference."""

    __tablename__ = "data_standards"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(100), index=True)
    type: Mapped[str] = mapped_column(String(40), default="string")
    max_length: Mapped[int | None] = mapped_column(Integer)
    description: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(200), default="")  # e.g. GB 11643-1999
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
