"""The built model, cached per process and database. A flush that adds or changes requests, request lines,
grants, cart items, entries or data items bumps a generation counter and the next call rebuilds; changes
made by other processes are picked up after ``MAX_AGE`` seconds at the latest."""

from __future__ import annotations

import threading
import time

from sqlalchemy import event
from sqlalchemy.orm import Session

from catalog.models import DataItem, Dataset, DatasetTag
from market.db import db
from orders.models import AccessRequest, CartItem, Grant, RequestLine

from .data import load_events, load_items, usage_model
from .engine import Model

MAX_AGE = 300.0
_WATCHED: tuple[type, ...] = (AccessRequest, RequestLine, CartItem, Grant, Dataset, DataItem, DatasetTag)
_lock = threading.Lock()
_generation = 0
_cache: dict[str, tuple[int, float, Model]] = {}


def invalidate() -> None:
    """Forget the built model (the next recommendation rebuilds it)."""
    global _generation
    _generation += 1


@event.listens_for(Session, "after_flush")
def _watch(session: Session, flush_context) -> None:
    watched = _WATCHED + ((usage_model(),) if usage_model() is not None else ())
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, watched):
            invalidate()
            return


def get_model() -> Model:
    """The current model, rebuilt when the feedback or the catalog changed (or it is older than MAX_AGE)."""
    key = str(db.engine.url)
    now = time.monotonic()
    hit = _cache.get(key)
    if hit is not None and hit[0] == _generation and now - hit[1] < MAX_AGE:
        return hit[2]
    with _lock:
        generation = _generation
        hit = _cache.get(key)
        if hit is not None and hit[0] == generation and now - hit[1] < MAX_AGE:
            return hit[2]
        model = Model.build(load_items(), load_events())
        _cache[key] = (generation, time.monotonic(), model)
        return model
