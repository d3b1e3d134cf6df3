"""Small per-process caches of what every visitor sees alike, dropped when the rows behind them change.

A ``Generation`` watches some models: a flush, a bulk INSERT/UPDATE/DELETE through the session, and the
commit or rollback after them bump its counter, which empties its cache in this process. (Bumping again at
commit matters: a value another request reads between the flush and the commit would otherwise be kept.)
A commit that changed watched rows also replaces the generation's stamp file
(``MARKET_DATA_DIR/cache/generation-<name>.stamp``, market/stamps.py), which every process checks with one
``stat`` before answering from its cache — so other worker processes, `market` commands and scripts see
the change at once; ``max_age`` only bounds changes made behind the ORM's back (raw SQL from outside).
Values must not depend on the user.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from . import stamps
from .db import db

MAX_VALUES = 20_000  # per generation; past that the cache starts over
_INFO_KEY = "market_generations"
_registry: list[Generation] = []


class Generation:
    def __init__(self, name: str, *models: type, max_age: float = 30.0):
        self.name, self.models, self.max_age = name, models, max_age
        self.value = 0
        self._lock = threading.Lock()
        self._values: dict[tuple, tuple[int, float, Any]] = {}
        self._seen: dict[str, stamps.Stamp] = {}  # stamp file → what this process saw last
        _registry.append(self)

    def stamp_path(self):
        return stamps.path_for(f"generation-{self.name}")

    def _sync(self) -> None:
        """Drop this process's values when another process announced a change (its stamp differs)."""
        path = self.stamp_path()
        if path is None:
            return
        now = stamps.read(path)
        if self._seen.get(str(path), now) != now:
            self.bump()
        self._seen[str(path)] = now

    def bump(self) -> None:
        with self._lock:
            self.value += 1
            self._values.clear()

    def get(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        """The cached value for ``key`` in this database, or ``compute()`` (kept if nothing changed meanwhile)."""
        self._sync()
        full = (str(db.engine.url), key)
        hit = self._values.get(full)
        if hit is not None and hit[0] == self.value and time.monotonic() - hit[1] < self.max_age:
            return hit[2]
        generation = self.value  # read before computing: a change during compute() makes the value stale
        value = compute()
        with self._lock:
            if generation == self.value and self._keepable():
                if len(self._values) >= MAX_VALUES:
                    self._values.clear()
                self._values[full] = (generation, time.monotonic(), value)
        return value

    def get_many(self, keys, compute_missing: Callable[[list], dict]) -> dict:
        """Values for several keys; ``compute_missing(missing_keys)`` returns {key: value} for the rest
        (keys it leaves out are not cached)."""
        self._sync()
        url, now, out, missing = str(db.engine.url), time.monotonic(), {}, []
        for key in keys:
            hit = self._values.get((url, key))
            if hit is not None and hit[0] == self.value and now - hit[1] < self.max_age:
                out[key] = hit[2]
            else:
                missing.append(key)
        if missing:
            generation = self.value
            found = compute_missing(missing)
            out.update(found)
            with self._lock:
                if generation == self.value and self._keepable() and len(self._values) + len(found) <= MAX_VALUES:
                    for key, value in found.items():
                        self._values[(url, key)] = (generation, now, value)
        return out

    def _keepable(self) -> bool:
        """Not while this session holds uncommitted changes to the watched rows (others must not see them)."""
        return self not in db.session.info.get(_INFO_KEY, ())

    def _watches(self, cls: type | None) -> bool:
        return cls is not None and issubclass(cls, self.models)


def _mark(session: Session, generation: Generation) -> None:
    generation.bump()
    session.info.setdefault(_INFO_KEY, set()).add(generation)


@event.listens_for(Session, "after_flush")
def _flushed(session: Session, flush_context) -> None:
    changed = {type(obj) for obj in (*session.new, *session.dirty, *session.deleted)}
    for generation in _registry:
        if any(generation._watches(cls) for cls in changed):
            _mark(session, generation)


@event.listens_for(Session, "do_orm_execute")
def _bulk(state) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        mapper = state.bind_mapper
        for generation in _registry:
            if generation._watches(mapper.class_ if mapper is not None else None):
                _mark(state.session, generation)


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    for generation in session.info.pop(_INFO_KEY, ()):
        generation.bump()
        stamps.replace(generation.stamp_path())  # tell the other processes


@event.listens_for(Session, "after_rollback")
def _rolled_back(session: Session) -> None:
    for generation in session.info.pop(_INFO_KEY, ()):
        generation.bump()
