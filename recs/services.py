"""Recommendations as pages and the API see them: the model's candidates filtered to what this user may
request and does not have yet, loaded as entries, each with its reason in words."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select, union

from catalog.models import Dataset
from catalog.permissions import can_view, request_block_reason
from market.db import db, utcnow
from orders.models import AccessRequest, Cart, CartItem, Grant, RequestLine
from orders.permissions import can_shop
from orders.state import OPEN_LINE_STATES as WAITING_STATES
from orders.state import LineState

from .cache import Card, candidates, cards, get_model
from .engine import Model, Reason, Scored

# asked for and not decided yet, or approved and about to be granted (after payment for paid products)
PENDING_STATES = (*WAITING_STATES, LineState.approved,
                  *(s for s in LineState if s.value == "payment_pending"))
MAX_K = 50


@dataclass
class Recommendation:
    dataset: Card  # the entry's card: the attributes of ``Dataset`` a recommendation shows
    score: float
    reason: Reason
    explanation: str


def _user(user):
    return user if user is not None and getattr(user, "is_authenticated", False) else None


def held_ids(user) -> set[int]:
    """Entries the user holds (active grant), has asked for and waits on, or has in the cart."""
    user = _user(user)
    if user is None:
        return set()
    now = utcnow()
    return set(db.session.scalars(union(  # one round trip for the three sources
        select(Grant.dataset_id).where(Grant.user_id == user.id, Grant.expires_at > now),
        select(RequestLine.dataset_id).join(AccessRequest).where(AccessRequest.requester_id == user.id,
                                                                  RequestLine.state.in_(PENDING_STATES)),
        select(CartItem.dataset_id).join(Cart).where(Cart.user_id == user.id))))


def eligibility(model: Model, user) -> Callable[[int], bool]:
    """Quick model-side filter: published, shared, and requestable by this user — for department staff
    not their own department's entries; for everyone else (public, operators, anonymous) open data only."""
    user = _user(user)
    shopper = can_shop(user)
    dept = user.department_id if user is not None else None

    def ok(item_id: int) -> bool:
        it = model.items.get(item_id)
        if it is None or not it.published or it.share == "none":
            return False
        if shopper:
            return it.department_id != dept
        return it.open == "open"

    return ok


def _final_check(ds: Dataset, user) -> bool:
    """The authoritative permission check on the loaded entry (the same predicates as the product page)."""
    if not can_view(ds, user):
        return False
    if can_shop(_user(user)):
        return request_block_reason(ds, user) is None
    return ds.share_attribute.value != "none" and ds.open_attribute.value == "open"


def explain(model: Model, reason: Reason) -> str:
    other = model.items.get(reason.other).title if reason.other in model.items else ""
    if reason.kind == "co_request":
        if reason.count >= 2:
            return _("与“%(x)s”一起被 %(n)s 个部门申请", x=other, n=reason.count)
        return _("常与“%(x)s”一起申请", x=other)
    if reason.kind == "same_items":
        return _("与“%(x)s”数据项相同：%(f)s", x=other, f="、".join(reason.detail))
    if reason.kind == "same_topic":
        return _("与“%(x)s”同属“%(t)s”主题", x=other, t="、".join(reason.detail))
    if reason.kind == "same_category":
        return _("与“%(x)s”同属“%(c)s”分类", x=other, c=reason.detail[0] if reason.detail else "")
    if reason.kind == "similar":
        return _("与“%(x)s”内容相近", x=other)
    if reason.kind == "department":
        return _("您所在部门常用（%(n)s 位同事申请过）", n=reason.count)
    if reason.kind == "bundle":
        return _("“%(b)s”场景所需", b="、".join(reason.detail))
    if reason.count:
        return _("热门数据（%(n)s 位用户申请过）", n=reason.count)
    return _("新上架数据")


def _materialise(model: Model, scored: list[Scored], user, k: int) -> list[Recommendation]:
    """The first ``k`` candidates, in score order, that pass the final check, as entry cards (what a
    recommendation shows: title, department, attributes, rating, request count; shared by all users and
    cached per process until an entry or department changes)."""
    by_id = cards([s.item for s in scored])
    out: list[Recommendation] = []
    for s in scored:
        ds = by_id.get(s.item)
        if ds is not None and _final_check(ds, user):
            out.append(Recommendation(ds, round(s.score, 4), s.reason, explain(model, s.reason)))
        if len(out) == k:
            break
    return out


def _department(user) -> int | None:
    user = _user(user)
    return user.department_id if user is not None else None


def for_dataset(ds: Dataset, user, *, k: int = 6, held: set[int] | None = None) -> list[Recommendation]:
    """Related entries for the product page: requested together with it, or alike; never the entry
    itself, what the user holds, or what the user cannot request. ``held``: ``held_ids(user)`` when
    the caller has it already."""
    k = max(1, min(k, MAX_K))
    model = get_model()
    held = held_ids(user) if held is None else held
    dept = _department(user)

    def scored_for(exclude: set[int]) -> list[Scored]:
        return model.recommend(seeds={ds.id: 1.0}, department=dept, allowed=eligibility(model, user),
                               k=2 * k, exclude=exclude, department_weight=0.2)

    # the entry's candidates depend on the model, the department and the eligibility rule, not on the
    # user: kept per model; they stand as they are when the user holds none of them (excluding held
    # entries only drops them from the ranking), else they are computed for this user
    rule = ("shop", dept) if can_shop(_user(user)) else ("open", None)
    scored = candidates(model, ("dataset", ds.id, k, dept, rule), lambda: scored_for({ds.id}))
    if held and any(s.item in held for s in scored):
        scored = scored_for(held | {ds.id})
    return _materialise(model, scored, user, k)


def for_user(user, *, k: int = 10, held: set[int] | None = None) -> list[Recommendation]:
    """The personal "for you" list: the user's history and department, popular entries for newcomers."""
    k = max(1, min(k, MAX_K))
    user = _user(user)
    if user is None:
        return []
    model = get_model()
    held = held_ids(user) if held is None else held
    seeds = model.user_seeds(user.id)
    scored = model.recommend(seeds=seeds, department=user.department_id, allowed=eligibility(model, user),
                             k=2 * k, exclude=held)
    return _materialise(model, scored, user, k)


def for_cart(user, dataset_ids: Iterable[int], *, k: int = 6, held: set[int] | None = None) -> list[Recommendation]:
    """"Frequently requested together" with what is in the cart."""
    ids = list(dict.fromkeys(dataset_ids))
    if not ids:
        return []
    model = get_model()
    held = held_ids(user) if held is None else held
    scored = model.recommend(seeds={i: 1.0 for i in ids}, department=_department(user),
                             allowed=eligibility(model, user), k=2 * k, exclude=held | set(ids),
                             department_weight=0.2)
    return _materialise(model, scored, user, k)


def dump_recommendation(rec: Recommendation) -> dict:
    ds = rec.dataset
    return {"dataset": {"id": ds.id, "code": ds.code, "title": ds.title,
                        "department": ds.department.name if ds.department else None,
                        "share_attribute": ds.share_attribute.value, "open_attribute": ds.open_attribute.value,
                        "rating": round(ds.rating_avg, 2) if ds.rating_avg is not None else None,
                        "rating_count": ds.rating_count, "request_count": ds.request_count},
            "score": rec.score, "reason": {"kind": rec.reason.kind, "related_dataset_id": rec.reason.other,
                                           "count": rec.reason.count, "detail": list(rec.reason.detail)},
            "explanation": rec.explanation}
