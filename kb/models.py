"""Knowledge base tables (知识库): articles in Markdown and their attachments (files under MARKET_DATA_DIR/kb)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from market.auth.models import User
from market.db import db, str_enum, utcnow


class ArticleKind(StrEnum):
    policy = "policy"  # 政策法规
    standard = "standard"  # 标准规范
    guide = "guide"  # 操作指南
    case = "case"  # 应用案例


class ArticleStatus(StrEnum):
    draft = "draft"
    published = "published"


class Article(db.Model):
    __tablename__ = "kb_articles"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[ArticleKind] = mapped_column(str_enum(ArticleKind, "kb_article_kind"), index=True)
    summary: Mapped[str] = mapped_column(String(500), default="")
    body: Mapped[str] = mapped_column(Text, default="")  # Markdown as written
    body_html: Mapped[str] = mapped_column(Text, default="")  # rendered and sanitised at save time
    search_text: Mapped[str] = mapped_column(Text, default="")  # " token token … " (search.analysis)
    status: Mapped[ArticleStatus] = mapped_column(str_enum(ArticleStatus, "kb_article_status"),
                                                  default=ArticleStatus.draft, index=True)
    published_at: Mapped[datetime | None] = mapped_column(DateTime, index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    author: Mapped[User | None] = relationship(foreign_keys=[author_id])
    updated_by: Mapped[User | None] = relationship(foreign_keys=[updated_by_id])
    attachments: Mapped[list[Attachment]] = relationship(back_populates="article", cascade="all, delete-orphan",
                                                         order_by="Attachment.id")


class Attachment(db.Model):
    __tablename__ = "kb_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("kb_articles.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(200))  # as uploaded, cleaned
    stored_name: Mapped[str] = mapped_column(String(80), unique=True)  # random name under data_dir/kb/
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    article: Mapped[Article] = relationship(back_populates="attachments")
