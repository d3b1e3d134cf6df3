"""Who may review, reply to, report and moderate reviews. Views, API and templates share these predicates."""

from __future__ import annotations

import importlib
import importlib.util
from functools import lru_cache

from sqlalchemy import exists, select

from market.db import db


def _user(user):
    return user if user is not None and getattr(user, "is_authenticated", False) else None


@lru_cache(maxsize=1)
def _ledger_check():
    """``delivery.ledger.user_received`` when the delivery package provides it, else None."""
    try:
        if importlib.util.find_spec("delivery.ledger") is None:
            return None
        return getattr(importlib.import_module("delivery.ledger"), "user_received", None)
    except ImportError:
        return None


def has_received(user, dataset_id: int) -> bool:
    """True when the user received the entry: a grant for it (active or not), or a download, API call or
    authorised query recorded in the delivery ledger."""
    user = _user(user)
    if user is None:
        return False
    check = _ledger_check()
    if check is not None:
        return bool(check(user.id, dataset_id))
    from orders.models import Grant

    return bool(db.session.scalar(select(exists().where(Grant.user_id == user.id, Grant.dataset_id == dataset_id))))


def can_review(user, dataset) -> bool:
    return has_received(user, dataset.id)


def can_reply(user, review) -> bool:
    """The owning department's data officer answers reviews of its entries."""
    user = _user(user)
    return user is not None and user.is_officer_of(review.dataset.department_id)


def can_report(user, review) -> bool:
    user = _user(user)
    return user is not None and review.user_id != user.id


def can_moderate(user) -> bool:
    user = _user(user)
    return user is not None and user.is_operator


def can_see_improvements(user, department_id: int | None) -> bool:
    user = _user(user)
    return user is not None and (user.is_operator or user.is_officer_of(department_id))
