"""Load the recommender's inputs from the database with Core queries (no ORM objects): catalog features and
implicit feedback (request lines, cart contents, and delivery-ledger usage when the delivery package is there)."""

from __future__ import annotations

import importlib.util
from collections import defaultdict
from datetime import datetime
from functools import lru_cache

from sqlalchemy import func, select

from catalog.models import Category, DataItem, Dataset, DatasetTag
from market.auth.models import User
from market.db import db
from orders.models import AccessRequest, Cart, CartItem, RequestLine
from orders.state import LineState
from search.analysis import index_tokens

from .engine import Event, Item

# how much each kind of feedback says about a need
WEIGHT_LINE = 1.0
WEIGHT_REFUSED_LINE = 0.6  # asked for, not received: still a need
WEIGHT_CART = 0.5
WEIGHT_USAGE = 0.7
REFUSED = {LineState.rejected.value, LineState.withdrawn.value}
MAX_SUMMARY_CHARS = 300


def _ts(at: datetime | None) -> float:
    return at.timestamp() if at else 0.0


def load_items() -> dict[int, Item]:
    """Every catalog entry with the features content similarity uses."""
    tags: dict[int, list[str]] = defaultdict(list)
    for ds_id, name in db.session.execute(select(DatasetTag.dataset_id, DatasetTag.name)):
        tags[ds_id].append(name)
    fields: dict[int, list[str]] = defaultdict(list)
    for ds_id, name in db.session.execute(select(DataItem.dataset_id, DataItem.name)
                                          .order_by(DataItem.dataset_id, DataItem.position)):
        fields[ds_id].append(name)
    cats = dict(db.session.execute(select(Category.id, Category.name)).all())
    items = {}
    for row in db.session.execute(select(Dataset.id, Dataset.department_id, Dataset.category_id, Dataset.status,
                                         Dataset.share_attribute, Dataset.open_attribute, Dataset.title,
                                         Dataset.summary)):
        title_words = tuple(dict.fromkeys(index_tokens(row.title)))
        summary = (row.summary or "")[:MAX_SUMMARY_CHARS]
        summary_words = tuple(w for w in dict.fromkeys(index_tokens(summary)) if w not in title_words)
        items[row.id] = Item(
            id=row.id, department_id=row.department_id, category_id=row.category_id,
            published=str(getattr(row.status, "value", row.status)) == "published",
            share=str(getattr(row.share_attribute, "value", row.share_attribute)),
            open=str(getattr(row.open_attribute, "value", row.open_attribute)), title=row.title,
            category=cats.get(row.category_id, ""), tags=tuple(tags.get(row.id, ())),
            fields=tuple(fields.get(row.id, ())), words=title_words, summary_words=summary_words)
    return items


def load_request_events(exclude_requests: set[int] | frozenset = frozenset()) -> list[Event]:
    """One event per request line: the requester (and department) wanted the entry, in that basket."""
    rows = db.session.execute(
        select(AccessRequest.id, AccessRequest.requester_id, AccessRequest.department_id, AccessRequest.created_at,
               RequestLine.dataset_id, RequestLine.state)
        .join(RequestLine, RequestLine.request_id == AccessRequest.id))
    return [Event(user=r.requester_id, department=r.department_id, item=r.dataset_id, basket=f"r{r.id}",
                  at=_ts(r.created_at),
                  weight=WEIGHT_REFUSED_LINE if str(getattr(r.state, "value", r.state)) in REFUSED else WEIGHT_LINE)
            for r in rows if r.id not in exclude_requests]


def load_cart_events() -> list[Event]:
    rows = db.session.execute(select(Cart.id, Cart.user_id, User.department_id, CartItem.dataset_id, CartItem.added_at)
                              .join(CartItem, CartItem.cart_id == Cart.id).join(User, User.id == Cart.user_id))
    return [Event(user=r.user_id, department=r.department_id, item=r.dataset_id, basket=f"c{r.id}",
                  at=_ts(r.added_at), weight=WEIGHT_CART) for r in rows]


@lru_cache(maxsize=1)
def usage_model():
    """delivery.models.UsageEvent when the delivery package is installed, else None."""
    try:
        if importlib.util.find_spec("delivery.models") is None:
            return None
        from delivery.models import UsageEvent
    except ImportError:
        return None
    return UsageEvent


def load_usage_events() -> list[Event]:
    """Downloads, API calls and authorised queries (open data downloads by the public included)."""
    usage = usage_model()
    if usage is None:
        return []
    rows = db.session.execute(select(usage.user_id, User.department_id, usage.dataset_id, func.max(usage.at))
                              .join(User, User.id == usage.user_id)
                              .group_by(usage.user_id, User.department_id, usage.dataset_id))
    return [Event(user=u, department=d, item=ds, basket=None, at=_ts(at), weight=WEIGHT_USAGE)
            for u, d, ds, at in rows]


def load_events() -> list[Event]:
    return load_request_events() + load_cart_events() + load_usage_events()
