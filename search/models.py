"""Search tables: the synonyms operators maintain (企业 ⇄ 法人, 身份证 ⇄ 居民身份证 …)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from market.db import db, utcnow


class SearchSynonym(db.Model):
    """Two terms a search treats as equivalent (both directions; groups join transitively)."""

    __tablename__ = "search_synonyms"
    # pairs are stored in Python's order (term < synonym) by the services; no SQL check, because
    # string order depends on the database collation
    __table_args__ = (UniqueConstraint("term", "synonym", name="pair"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    term: Mapped[str] = mapped_column(String(100), index=True)
    synonym: Mapped[str] = mapped_column(String(100), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
