"""Cart (数据篮) and checkout services: the same functions serve pages, the API, the CLI and tests."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select, update

from audit import record_event
from catalog.models import Dataset
from catalog.permissions import can_view, request_block_reason
from market.db import db, utcnow
from market.errors import Conflict, NotFound, ValidationFailed

from . import notices
from .decisions import grant_line, start_step
from .models import AccessRequest, ApprovalStep, Cart, CartItem, RequestLine, SubOrder
from .routing import Route, load_rules, route_for, route_for_public
from .state import LineState, _transition

MAX_CART_LINES = 200


class NotRequestable(Conflict):
    code = "not_requestable"


@dataclass(frozen=True)
class CartLine:
    """One cart entry as the user sees it: what will happen at checkout, or why it cannot."""

    item: CartItem
    fields: list[str]  # effective requested item names
    route: Route | None
    block_reason: str | None

    @property
    def outcome(self) -> str:
        return "refused" if self.block_reason else self.route.kind


def get_cart(user, *, create: bool = False) -> Cart | None:
    cart = db.session.scalar(select(Cart).where(Cart.user_id == user.id))
    if cart is None and create:
        cart = Cart(user_id=user.id, version=1)
        db.session.add(cart)
        db.session.flush()
    return cart


def _block_reason(dataset: Dataset, fields: list[str] | None, user, rules) -> tuple[str | None, Route | None]:
    reason = request_block_reason(dataset, user)
    if reason:
        return reason, None
    if getattr(user, "role", None) == "public":  # enterprises and citizens (opendata.applicants)
        return None, route_for_public(dataset)
    route = route_for(dataset, fields, rules)
    if route.outcome == "refuse":
        return _("按规则库规则“%(r)s”，该数据不能申请；如确有需要，请发布数据需求。", r=route.rule), route
    return None, route


def describe_cart(cart: Cart | None, user) -> list[CartLine]:
    """Every cart entry with its outcome (granted at once / owner / owner + platform / refused and why)."""
    if cart is None:
        return []
    rules = load_rules()
    lines = []
    for item in cart.items:
        fields = item.fields if item.fields is not None else [i.name for i in item.dataset.items]
        reason, route = _block_reason(item.dataset, item.fields, user, rules)
        lines.append(CartLine(item, fields, route, reason))
    return lines


def _check_fields(dataset: Dataset, fields: list[str] | None) -> list[str] | None:
    if fields is None:
        return None
    names = [i.name for i in dataset.items]
    unknown = [f for f in fields if f not in names]
    if unknown:
        raise ValidationFailed(_("数据“%(t)s”没有这些信息项：%(u)s", t=dataset.title, u="、".join(unknown)),
                               fields={"fields": [f"unknown data item: {u}" for u in unknown]})
    if not fields:
        raise ValidationFailed(_("请至少选择一个信息项。"), fields={"fields": ["choose at least one data item"]})
    chosen = set(fields)
    ordered = [n for n in names if n in chosen]
    return None if len(ordered) == len(names) else ordered


def add_to_cart(user, dataset_id: int, fields: list[str] | None = None) -> CartItem:
    """Put a dataset (optionally a subset of its data items) in the user's cart; adding it again
    replaces the chosen items. Refuses entries that cannot be requested, saying why."""
    dataset = db.session.get(Dataset, dataset_id)
    if dataset is None or not can_view(dataset, user):
        raise NotFound(_("没有找到编号为 %(id)s 的数据目录，或您无权查看。", id=dataset_id))
    fields = _check_fields(dataset, fields)
    reason, _route = _block_reason(dataset, fields, user, load_rules())
    if reason:
        raise NotRequestable(reason, fields={"dataset_id": [reason]})
    cart = get_cart(user, create=True)
    item = next((i for i in cart.items if i.dataset_id == dataset.id), None)
    if item is None:
        if len(cart.items) >= MAX_CART_LINES:
            raise ValidationFailed(_("数据篮最多 %(n)s 项，请先提交或移除一些。", n=MAX_CART_LINES))
        item = CartItem(dataset=dataset, fields=fields)
        cart.items.append(item)
    else:
        item.fields = fields
    cart.version += 1
    cart.updated_at = utcnow()
    db.session.flush()
    return item


def remove_from_cart(user, dataset_id: int) -> None:
    """Take a dataset out of the cart; 404 if it is not there."""
    cart = get_cart(user)
    item = next((i for i in cart.items if i.dataset_id == dataset_id), None) if cart else None
    if item is None:
        raise NotFound(_("数据篮里没有编号为 %(id)s 的数据。", id=dataset_id))
    cart.items.remove(item)
    cart.version += 1
    cart.updated_at = utcnow()
    db.session.flush()


def _key(cart: Cart, version: int) -> str:
    return f"cart:{cart.id}:v{version}"


def _existing(cart: Cart, version: int) -> AccessRequest | None:
    return db.session.scalar(select(AccessRequest).where(AccessRequest.idempotency_key == _key(cart, version))
                             .execution_options(populate_existing=True))


def submit_access_request(user, *, purpose: str, period_days: int, legal_basis: str = "",
                          cart_version: int | None = None) -> tuple[AccessRequest, bool]:
    """Check out the cart: one request, one sub-order per owning department, one line per entry.

    Returns (request, created). Idempotent: the cart version is claimed with a conditional UPDATE,
    so a double submit (same version, sequential or concurrent) returns the first request.
    """
    cart = get_cart(user)
    if cart is None:
        raise ValidationFailed(_("数据篮是空的，请先加入要申请的数据。"), code="cart_empty")
    if getattr(user, "role", None) == "public":  # only verified enterprises and registered citizens apply
        from opendata.applicants import require_verified_applicant

        require_verified_applicant(user)
    version = cart.version if cart_version is None else cart_version
    if version != cart.version:
        existing = _existing(cart, version)
        if existing is not None:
            return existing, False
        raise Conflict(_("数据篮在您打开结算页后有变化，请核对后重新提交。"), code="cart_changed")
    lines = describe_cart(cart, user)
    if not lines:
        raise ValidationFailed(_("数据篮是空的，请先加入要申请的数据。"), code="cart_empty")
    blocked = {str(cl.item.dataset_id): [cl.block_reason] for cl in lines if cl.block_reason}
    if blocked:
        raise NotRequestable(_("数据篮中有 %(n)s 项不能申请，请先移除：%(t)s", n=len(blocked),
                               t="、".join(cl.item.dataset.title for cl in lines if cl.block_reason)),
                             fields=blocked)
    claimed = db.session.execute(update(Cart).where(Cart.id == cart.id, Cart.version == version)
                                 .values(version=version + 1, updated_at=utcnow())
                                 .execution_options(synchronize_session=False)).rowcount
    if not claimed:  # a parallel submit of the same cart won; answer with its request
        existing = _existing(cart, version)
        if existing is not None:
            return existing, False
        raise Conflict(_("数据篮在您提交时有变化，请核对后重新提交。"), code="cart_changed")
    request = AccessRequest(requester_id=user.id, department_id=user.department_id, purpose=purpose,
                            legal_basis=legal_basis, period_days=period_days,
                            idempotency_key=_key(cart, version))
    db.session.add(request)
    orders: dict[int, SubOrder] = {}
    for cl in lines:
        ds = cl.item.dataset
        order = orders.get(ds.department_id)
        if order is None:
            order = orders[ds.department_id] = SubOrder(request=request, department_id=ds.department_id)
        line = RequestLine(request=request, order=order, dataset_id=ds.id, fields=cl.fields,
                           state=LineState.submitted, route=cl.route.rule)
        for pos, kind in enumerate(cl.route.steps, start=1):
            line.steps.append(ApprovalStep(position=pos, kind=kind, department_id=ds.department_id
                                           if kind == "owner" else None))
        db.session.add(line)
    db.session.flush()
    record_event("access_request.submitted", "access_request", request.id, actor=user,
                 payload={"purpose": purpose, "legal_basis": legal_basis, "period_days": period_days,
                          "lines": [{"line": ln.id, "dataset": ln.dataset_id, "fields": ln.fields,
                                     "route": ln.route} for ln in request.lines]})
    for line in request.lines:
        if line.steps:
            _transition(line, LineState.waiting, user)
            start_step(line.steps[0], actor=user)
        else:  # unconditional sharing: granted at once, still audited
            _transition(line, LineState.approved, user, payload={"rule": line.route})
            grant_line(line, actor=user)
    ids = [ln.dataset_id for ln in request.lines]
    db.session.execute(update(Dataset).where(Dataset.id.in_(ids))
                       .values(request_count=Dataset.request_count + 1, updated_at=Dataset.updated_at)
                       .execution_options(synchronize_session=False))
    notices.submitted(request)
    cart.items.clear()
    db.session.flush()
    db.session.expire(cart)
    return request, True
