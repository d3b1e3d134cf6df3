"""The built model, cached per process and database, in two parts with their own generation counters:
the content index (bumped when entries, data items or tags change) and the feedback (bumped by requests,
request lines, grants, cart items and delivery usage). The next call after a bump rebuilds only what
changed; changes made by other processes are picked up after ``MAX_AGE`` seconds at the latest.

Two smaller things the product page asks for on every view are kept beside it: each entry's candidate
list (what the model recommends next to it, before the user's own holdings are taken out), valid as long
as the model it came from; which active bundles hold which entries; and the few columns a recommendation
card shows of an entry (both market.generations caches: dropped when bundles, entries or departments
change here or, through their stamp files, in another process)."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from flask import current_app, has_app_context
from sqlalchemy import event, inspect, select
from sqlalchemy.orm import Session

from catalog.models import DataItem, Dataset, DatasetTag, Department
from catalog.vocab import DatasetStatus, OpenAttribute, ShareAttribute
from market.db import db
from market.generations import Generation
from orders.models import AccessRequest, CartItem, Grant, RequestLine

from .data import load_events, load_items, usage_model
from .engine import Model
from .models import Bundle, BundleItem

MAX_AGE = 300.0
FEEDBACK_REFRESH_SECONDS = 5.0  # app.config["RECS_FEEDBACK_REFRESH_SECONDS"] overrides (the tests use 0)
_CONTENT: tuple[type, ...] = (Dataset, DataItem, DatasetTag)
_FEEDBACK: tuple[type, ...] = (AccessRequest, RequestLine, CartItem, Grant)
# entry columns that change often and say nothing about content or eligibility
_COUNTERS = frozenset({"rating_avg", "rating_count", "request_count", "updated_at"})
_lock = threading.Lock()
CANDIDATE_ENTRIES = 4096  # per model; product pages of more entries than that recompute
_generation = {"content": 0, "feedback": 0}
_cache: dict[str, tuple[tuple[int, int], float, Model]] = {}
_candidates: dict[str, tuple[Model, dict]] = {}
BUNDLES = Generation("recs.bundles", Bundle, BundleItem)
CARDS = Generation("recs.cards", Dataset, Department)


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


def _feedback_refresh() -> float:
    return float(current_app.config.get("RECS_FEEDBACK_REFRESH_SECONDS", FEEDBACK_REFRESH_SECONDS)
                 if has_app_context() else FEEDBACK_REFRESH_SECONDS)


def get_model() -> Model:
    """The current model, rebuilt when the catalog changed, when the feedback changed and the model is
    older than ``FEEDBACK_REFRESH_SECONDS``, or when it is older than ``MAX_AGE``.

    Feedback (carts, requests, decisions) changes several times a second on a busy day; rebuilding the
    usage part (≈30 ms on the demo city) after each one made every product page pay for it. Co-request
    counts a few seconds old recommend just as well — and what the user holds is filtered live on every
    call (``services.held_ids``) — so a feedback-only change is picked up at most every few seconds, by
    one thread, while the others go on answering from the current model."""
    key = str(db.engine.url)
    hit = _cache.get(key)
    wanted = (_generation["content"], _generation["feedback"])
    now = time.monotonic()
    current = hit is not None and now - hit[1] < MAX_AGE and hit[0][0] == wanted[0]  # content up to date
    if current and (hit[0] == wanted or now - hit[1] < _feedback_refresh()):
        return hit[2]
    if current and not _lock.acquire(blocking=False):
        return hit[2]  # another thread is rebuilding the feedback part
    if not current:
        _lock.acquire()
    try:
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
    finally:
        _lock.release()


def candidates(model: Model, key: tuple, compute) -> list:
    """``compute()`` once per ``key`` and model: the key must name everything the result depends on
    besides the model (the entry, the department, which eligibility rule) — never a user."""
    url = str(db.engine.url)
    hit = _candidates.get(url)
    if hit is None or hit[0] is not model:
        hit = _candidates[url] = (model, {})
    memo = hit[1]
    if key not in memo:
        if len(memo) >= CANDIDATE_ENTRIES:
            memo.clear()
        memo[key] = compute()
    return memo[key]


def _load_membership() -> dict[int, list[int]]:
    members: dict[int, list[int]] = {}
    rows = db.session.execute(select(BundleItem.dataset_id, BundleItem.bundle_id).join(Bundle)
                              .where(Bundle.active.is_(True)).order_by(BundleItem.id))
    for dataset_id, bundle_id in rows:
        members.setdefault(dataset_id, []).append(bundle_id)
    return members


def bundle_membership() -> dict[int, list[int]]:
    """Entry id → ids of the active bundles holding it (one per bundle item), cached per process."""
    return BUNDLES.get("membership", _load_membership)


@dataclass(frozen=True)
class DepartmentCard:
    id: int
    code: str
    name: str
    name_en: str | None


@dataclass(frozen=True)
class Card:
    """What a recommendation shows and checks of an entry (same attribute names as ``Dataset``), detached
    from any session so that requests can share it."""
    id: int
    code: str
    title: str
    status: DatasetStatus
    share_attribute: ShareAttribute
    open_attribute: OpenAttribute
    department_id: int
    department: DepartmentCard
    rating_avg: float | None
    rating_count: int
    request_count: int


def _load_cards(ids: list[int]) -> dict[int, Card]:
    rows = db.session.execute(
        select(Dataset.id, Dataset.code, Dataset.title, Dataset.status, Dataset.share_attribute,
               Dataset.open_attribute, Dataset.department_id, Dataset.rating_avg, Dataset.rating_count,
               Dataset.request_count, Department.code, Department.name, Department.name_en)
        .join(Department, Department.id == Dataset.department_id).where(Dataset.id.in_(ids)))
    return {r[0]: Card(*r[:7], DepartmentCard(r[6], r[10], r[11], r[12]), *r[7:10]) for r in rows}


def cards(ids: list[int]) -> dict[int, Card]:
    """Cards of these entries (the missing ones are not entries), cached per process."""
    return CARDS.get_many(ids, _load_cards)
