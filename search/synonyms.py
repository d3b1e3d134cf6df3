"""Operator-maintained synonyms: add, list, remove, and the cached lookup used at query time.

Synonyms take effect when a query is expanded (``search.analysis.query_words``), never at index
time, so adding one needs no reindex. Each process caches the lookup for ``CACHE_SECONDS`` and
drops its cache at once when it changes synonyms itself; other worker processes pick a change up
within that time.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping, Sequence

from flask import has_app_context
from sqlalchemy import delete, or_, select

from market.db import db

from . import analysis
from .models import SearchSynonym

CACHE_SECONDS = 30.0
MAX_LENGTH = 100
_cache: dict[str, object] = {"at": -1e9, "map": {}}
_cache_lock = threading.Lock()


class SynonymError(ValueError):
    """A synonym pair was rejected; the message says why."""


def _clean(term: str, what: str) -> str:
    value = " ".join((term or "").split()).lower()
    if not value:
        raise SynonymError(f"{what} is empty")
    if len(value) > MAX_LENGTH:
        raise SynonymError(f"{what} {value[:20]!r}… is longer than {MAX_LENGTH} characters")
    if " " in value:
        raise SynonymError(f"{what} {value!r} contains a space: enter one word per term")
    return value


def _pair(term: str, synonym: str) -> tuple[str, str]:
    a, b = _clean(term, "term"), _clean(synonym, "synonym")
    if a == b:
        raise SynonymError(f"{a!r} cannot be a synonym of itself")
    return (a, b) if a < b else (b, a)


def add_synonym(term: str, synonym: str, *, actor=None) -> SearchSynonym:
    """Declare ``term`` and ``synonym`` equivalent in searches; adding an existing pair is a no-op."""
    a, b = _pair(term, synonym)
    row = db.session.scalar(select(SearchSynonym).where(SearchSynonym.term == a, SearchSynonym.synonym == b))
    if row is None:
        row = SearchSynonym(term=a, synonym=b, created_by_id=getattr(actor, "id", None))
        db.session.add(row)
        db.session.flush()
    invalidate_cache()
    return row


def remove_synonym(term: str, synonym: str, *, actor=None) -> bool:
    """Forget the pair; return False when it did not exist."""
    a, b = _pair(term, synonym)
    result = db.session.execute(delete(SearchSynonym).where(SearchSynonym.term == a, SearchSynonym.synonym == b))
    invalidate_cache()
    return bool(result.rowcount)


def list_synonyms(term: str | None = None) -> list[SearchSynonym]:
    """All pairs (or those mentioning ``term``), in alphabetical order."""
    stmt = select(SearchSynonym).order_by(SearchSynonym.term, SearchSynonym.synonym)
    if term:
        value = _clean(term, "term")
        stmt = stmt.where(or_(SearchSynonym.term == value, SearchSynonym.synonym == value))
    return list(db.session.scalars(stmt))


def invalidate_cache() -> None:
    with _cache_lock:
        _cache["at"] = -1e9


def current_synonyms() -> Mapping[str, Sequence[str]]:
    """The symmetric synonym lookup for query expansion ({} outside an app context)."""
    if not has_app_context():
        return {}
    now = time.monotonic()
    if now - _cache["at"] < CACHE_SECONDS:
        return _cache["map"]
    rows = db.session.execute(select(SearchSynonym.term, SearchSynonym.synonym)).all()
    mapping = analysis.synonym_map(rows)
    analysis.add_words(mapping)  # keep multi-character synonyms whole when segmenting queries
    with _cache_lock:
        _cache.update(at=now, map=mapping)
    return mapping
