"""The built model, cached per process and database, in two parts with their own generation counters:
the content index (bumped when entries, data items or tags change) and the feedback (bumped by requests,
request lines, grants, cart items and delivery usage). The next call after a bump rebuilds only what
changed; changes made by other processes are picked up after ``MAX_AGE`` seconds at the latest."""

from __future__ import annotations

import threading
import time

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from catalog.models import DataItem, Dataset, DatasetTag
from market.db import db
from orders.models import AccessRequest, CartItem, Grant, RequestLine

from .data import load_events, load_items, usage_model
from .engine import Model

MAX_AGE = 300.0
_CONTENT: tuple[type, ...] = (Dataset, DataItem, DatasetTag)
_FEEDBACK: tuple[type, ...] = (AccessRequest, RequestLine, CartItem, Grant)
# entry columns that change often and say nothing about content or eligibility
_COUNTERS = frozenset({"rating_avg", "rating_count", "request_count", "updated_at"})
_lock = threading.Lock()
_generation = {"content": 0, "feedback": 0}
_cache: dict[str, tuple[tuple[int, int], float, Model]] = {}


def invalidate(part: str | None = None) -> None:
    """Forget the content index, the feedback, or (None) both; the next recommendation rebuilds them."""
    for key in ((part,) if part else tuple(_generation)):
        _generation[key] += 1


def _content_changed(obj) -> bool:
    if not isinstance(obj, Dataset):
        return True
    state = inspect(obj)
    return any(attr.history.has_changes() for attr in state.attrs if attr.key not in _COUNTERS)


@event.listens_for(Session, "after_flush")
def _watch(session: Session, flush_context) -> None:
    feedback = _FEEDBACK + ((usage_model(),) if usage_model() is not None else ())
    content = feedback_hit = False
    for obj in (*session.new, *session.deleted):
        content = content or isinstance(obj, _CONTENT)
        feedback_hit = feedback_hit or isinstance(obj, feedback)
    for obj in session.dirty:
        content = content or (isinstance(obj, _CONTENT) and _content_changed(obj))
        feedback_hit = feedback_hit or isinstance(obj, feedback)
    if content:
        invalidate("content")
    if feedback_hit:
        invalidate("feedback")


def get_model() -> Model:
    """The current model, rebuilt when the feedback or the catalog changed (or it is older than MAX_AGE)."""
    key = str(db.engine.url)
    hit = _cache.get(key)
    wanted = (_generation["content"], _generation["feedback"])
    if hit is not None and hit[0] == wanted and time.monotonic() - hit[1] < MAX_AGE:
        return hit[2]
    with _lock:
        hit = _cache.get(key)
        wanted = (_generation["content"], _generation["feedback"])
        fresh = hit is not None and time.monotonic() - hit[1] < MAX_AGE
        if fresh and hit[0] == wanted:
            return hit[2]
        previous = hit[2] if fresh and hit[0][0] == wanted[0] else None
        items = previous.items if previous is not None else load_items()
        model = Model.build(items, load_events(), reuse_content=previous)
        _cache[key] = (wanted, time.monotonic(), model)
        return model
