"""Accounts: users with a role, API tokens, and failed-login records for throttling."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from flask_login import UserMixin
from sqlalchemy import Boolean, CheckConstraint, DateTime, Enum, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from market.db import db, utcnow


class Role(StrEnum):
    requester = "requester"  # 需求部门 staff
    officer = "officer"  # 部门首席数据官: owns and approves for a department
    operator = "operator"  # 大数据管理局
    public = "public"  # enterprise or citizen account


ROLE_LABELS = {
    "requester": ("需求部门用户", "Department user"),
    "officer": ("部门数据官", "Department data officer"),
    "operator": ("平台运营（大数据管理局）", "Platform operator"),
    "public": ("企业/公众用户", "Enterprise / citizen"),
}


class User(UserMixin, db.Model):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("role NOT IN ('requester', 'officer') OR department_id IS NOT NULL",
                        name="department_staff_have_department"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    display_name: Mapped[str] = mapped_column(String(100), default="")
    email: Mapped[str] = mapped_column(String(254), default="")  # notification e-mails; '' = in-app only
    role: Mapped[Role] = mapped_column(
        Enum(Role, name="role", native_enum=False, create_constraint=True, length=20,
             values_callable=lambda e: [m.value for m in e]))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    department = relationship("Department", lazy="joined")

    @property
    def is_active(self) -> bool:  # Flask-Login
        return self.active

    @property
    def is_staff(self) -> bool:
        """Government staff see the whole catalog, not only open data."""
        return self.role in (Role.requester, Role.officer, Role.operator)

    @property
    def is_operator(self) -> bool:
        return self.role == Role.operator

    def is_officer_of(self, department_id: int | None) -> bool:
        return self.role == Role.officer and department_id is not None and self.department_id == department_id

    def __repr__(self) -> str:
        return f"<User {self.username} {self.role}>"


class ApiToken(db.Model):
    """A bearer token; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime)

    user: Mapped[User] = relationship(lazy="joined")


class LoginFailure(db.Model):
    """A failed login, kept in the database so every worker process counts the same failures."""

    __tablename__ = "login_failures"
    __table_args__ = (Index("ix_login_failures_key_at", "key", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
