"""Search as the rest of the app sees it: pick the backend, fall back to the database, and send
index updates only after the database transaction commits."""

from __future__ import annotations

import logging

from flask import current_app, has_app_context
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from catalog.models import DataItem, Dataset
from market.db import db

from .adapters import load_dataset_documents
from .base import SearchBackend, SearchPage, SearchQuery
from .sql import SqlBackend

log = logging.getLogger(__name__)
FALLBACK_NOTICE = "搜索索引暂不可用，结果来自数据库筛选（相关度排序受限）。"


def get_backend() -> SearchBackend:
    return current_app.extensions["market.search"]


def search_datasets(query: SearchQuery) -> SearchPage:
    """Answer a search page; if the index fails, answer from the database with a notice."""
    backend = get_backend()
    if not isinstance(backend, SqlBackend):
        try:
            return backend.query(query)
        except Exception:
            log.exception("search backend %s failed; falling back to the database", backend.name)
    page = SqlBackend().query(query)
    if not isinstance(backend, SqlBackend):
        page.notice = FALLBACK_NOTICE
    return page


def suggest_titles(prefix: str, limit: int = 8) -> list[str]:
    try:
        return get_backend().suggest(prefix, limit)
    except Exception:
        log.exception("suggest failed")
        return SqlBackend().suggest(prefix, limit)


def reset_search_state() -> None:
    """Empty the index and forget cached synonyms (between tests, and for demo resets)."""
    from .synonyms import invalidate_cache

    invalidate_cache()
    clear = getattr(get_backend(), "clear", None)
    if clear is not None:
        clear()


BATCH = 1000


def iter_documents(batch: int = BATCH):
    """All datasets as documents, in id order, batch by batch (bounded memory)."""
    last = 0
    while True:
        ids = list(db.session.scalars(select(Dataset.id).where(Dataset.id > last).order_by(Dataset.id).limit(batch)))
        if not ids:
            return
        yield from load_dataset_documents(db.session, ids)
        last = ids[-1]


def index_datasets(ids: list[int], session: Session | None = None) -> None:
    """(Re)index these datasets now; ids no longer in the database are deleted from the index."""
    if not ids:
        return
    backend = get_backend()
    session = session or db.session
    ids = sorted(set(ids))
    for start in range(0, len(ids), BATCH * 20):
        chunk = ids[start:start + BATCH * 20]
        docs = [doc for n in range(0, len(chunk), BATCH)
                for doc in load_dataset_documents(session, chunk[n:n + BATCH])]
        backend.index(docs)
        gone = set(chunk) - {d["id"] for d in docs}
        if gone:
            backend.delete(sorted(gone))


# --- index updates after commit (the Warehouse pattern) -------------------------------------------
_PENDING = "market_search_pending"


def _pending(session: Session) -> set[int]:
    return session.info.setdefault(_PENDING, set())


@event.listens_for(Session, "after_flush")
def _collect(session: Session, flush_context) -> None:
    for obj in list(session.new) + list(session.dirty) + list(session.deleted):
        if isinstance(obj, Dataset) and obj.id is not None:
            _pending(session).add(obj.id)
        elif isinstance(obj, DataItem) and obj.dataset_id is not None:
            _pending(session).add(obj.dataset_id)


@event.listens_for(Session, "after_commit")
def _flush_to_index(session: Session) -> None:
    ids = session.info.pop(_PENDING, None)
    if not ids or not has_app_context() or current_app.config.get("SEARCH_SYNC_DISABLED"):
        return
    backend = current_app.extensions.get("market.search")
    if backend is None or isinstance(backend, SqlBackend):
        return
    # the committed session cannot emit SQL inside this hook: read committed rows in a fresh one
    try:
        with Session(bind=db.engine) as fresh:
            index_datasets(sorted(ids), session=fresh)
    except Exception:
        log.exception("index update failed for %d datasets; run `market reindex`", len(ids))


@event.listens_for(Session, "after_rollback")
def _discard(session: Session) -> None:
    session.info.pop(_PENDING, None)
