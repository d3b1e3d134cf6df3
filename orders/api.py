"""JSON API: cart, checkout, requests, approvals, grants, routing rules (as in API.md)."""

from __future__ import annotations

from flask import Blueprint, jsonify, request
from flask_login import current_user
from sqlalchemy import select

from market.api_utils import load_args, load_json
from market.auth import login_required, require_roles
from market.auth.models import Role
from market.db import db
from market.errors import NotFound, ValidationFailed

from . import decisions, queries, services
from .models import AccessRequest, RequestLine
from .permissions import can_view_request
from .routing import load_rules, replace_rules, rule_to_dict
from .schemas import (
    BatchDecisionInput,
    CartItemInput,
    CheckoutInput,
    CommentInput,
    DecisionInput,
    OverviewArgs,
    RulesInput,
    dump_cart,
    dump_grant,
    dump_line,
    dump_request,
    dump_step,
)

bp = Blueprint("orders_api", __name__, url_prefix="/api/v1")
shopper_required = require_roles(Role.requester, Role.officer, Role.public)  # public: conditional-open only


def _cart_json():
    cart = services.get_cart(current_user)
    return dump_cart(cart, services.describe_cart(cart, current_user))


@bp.get("/cart")
@shopper_required
def get_cart():
    """The caller's cart with each entry's outcome."""
    return jsonify(_cart_json())


@bp.post("/cart/items")
@shopper_required
def add_cart_item():
    """Add a dataset (optionally some of its data items); 409 with the reason if it cannot be requested."""
    data = load_json(CartItemInput())
    services.add_to_cart(current_user, data["dataset_id"], data["fields"])
    db.session.commit()
    return jsonify(_cart_json()), 201


@bp.delete("/cart/items/<int:dataset_id>")
@shopper_required
def remove_cart_item(dataset_id: int):
    services.remove_from_cart(current_user, dataset_id)
    db.session.commit()
    return jsonify(_cart_json())


@bp.post("/requests")
@shopper_required
def checkout():
    """Check out the cart into one access request (201; 200 with the same request on a double submit)."""
    data = load_json(CheckoutInput())
    req, created = services.submit_access_request(current_user, **data)
    db.session.commit()
    return jsonify(dump_request(req, current_user)), 201 if created else 200


@bp.get("/requests")
@login_required
def my_requests():
    return jsonify({"items": [dump_request(r, current_user) for r in queries.requests_of(current_user)]})


def _request_or_404(request_id: int) -> AccessRequest:
    req = db.session.get(AccessRequest, request_id)
    if req is None or not can_view_request(req, current_user):
        raise NotFound(f"No request {request_id} (or you may not see it).")
    return req


def _line_or_404(request_id: int, line_id: int) -> RequestLine:
    req = _request_or_404(request_id)
    line = next((ln for ln in req.lines if ln.id == line_id), None)
    if line is None:
        raise NotFound(f"Request {request_id} has no line {line_id}.")
    return line


@bp.get("/requests/<int:request_id>")
@login_required
def get_request(request_id: int):
    return jsonify(dump_request(_request_or_404(request_id), current_user))


@bp.post("/requests/<int:request_id>/lines/<int:line_id>/decision")
@require_roles(Role.officer, Role.operator)
def decide(request_id: int, line_id: int):
    """Approve (optionally only some items), reject (reason required) or ask for more information."""
    line = _line_or_404(request_id, line_id)
    data = load_json(DecisionInput())
    decisions.decide_line(line, approver=current_user, **data)
    db.session.commit()
    return jsonify(dump_line(line, current_user))


@bp.post("/requests/<int:request_id>/lines/<int:line_id>/answer")
@login_required
def answer(request_id: int, line_id: int):
    """The requester answers an approver's question (403 for anyone else, before the body is read)."""
    line = _line_or_404(request_id, line_id)
    decisions.require_requester(line, current_user, "answer")
    data = load_json(CommentInput())
    decisions.answer_line(line, requester=current_user, comment=data["comment"])
    db.session.commit()
    return jsonify(dump_line(line, current_user))


@bp.post("/requests/<int:request_id>/lines/<int:line_id>/withdraw")
@login_required
def withdraw(request_id: int, line_id: int):
    """The requester withdraws an open line: 403 for anyone else, 409 once the line is decided."""
    line = _line_or_404(request_id, line_id)
    decisions.withdraw_line(line, requester=current_user)
    db.session.commit()
    return jsonify(dump_line(line, current_user))


@bp.get("/approvals")
@require_roles(Role.officer, Role.operator)
def approvals():
    """Lines waiting for the caller's decision (filters: kind, overdue=1)."""
    kind = request.args.get("kind") or None
    overdue = request.args.get("overdue") in ("1", "true")
    lines = queries.approvals_for(current_user, kind=kind, overdue=overdue)
    return jsonify({"items": [dump_line(ln, current_user) for ln in lines], "total": len(lines)})


@bp.post("/approvals/batch")
@require_roles(Role.officer, Role.operator)
def approvals_batch():
    """Approve or reject several lines; each line's result is reported on its own."""
    data = load_json(BatchDecisionInput())
    lines = list(db.session.scalars(select(RequestLine).where(RequestLine.id.in_(data["line_ids"]))))
    found = {ln.id for ln in lines}
    missing = [i for i in data["line_ids"] if i not in found]
    if missing:
        raise NotFound(f"No request lines {missing}.")
    results = decisions.decide_batch(lines, approver=current_user, decision=data["decision"],
                                     comment=data["comment"])
    db.session.commit()
    return jsonify({"results": [r.__dict__ for r in results]})


@bp.get("/approvals/overdue")
@require_roles(Role.officer, Role.operator)
def overdue():
    """Steps past their due time: every one for operators, an officer's own department's owner steps."""
    return jsonify({"items": [_step_json(s) for s in queries.overdue_steps(user=current_user)]})


def _step_json(step) -> dict:
    return dict(dump_step(step), line_id=step.line_id, request_id=step.line.request_id)


@bp.get("/approvals/overview")
@require_roles(Role.operator)
def overview():
    """Every request (filters: state, department code, from, to; paged), line counts per state, the
    overdue count, steps due within 48 hours and open escalations (operators)."""
    from catalog.models import Department

    args = load_args(OverviewArgs())
    department_id = None
    if args["department"]:
        department_id = db.session.scalar(select(Department.id).where(Department.code == args["department"]))
        if department_id is None:
            raise ValidationFailed(f"Invalid input: department: no department with code {args['department']!r}",
                                   fields={"department": ["unknown department code"]})
    f = queries.OverviewFilter(state=args["state"], department_id=department_id, date_from=args["date_from"],
                               date_to=args["date_to"])
    rows, total = queries.overview_requests(f, page=args["page"], per_page=args["per_page"])
    return jsonify({"items": [dump_request(r, current_user) for r in rows], "total": total, "page": args["page"],
                    "per_page": args["per_page"], "counts": queries.line_state_counts(f),
                    "overdue": queries.count_overdue(),
                    "due_soon": [_step_json(s) for s in queries.due_soon_steps(limit=100)],
                    "escalated": [_step_json(s) for s in queries.escalated_steps(100)]})


@bp.get("/grants")
@login_required
def grants():
    """The caller's grants (what they may receive, until when, by which delivery modes)."""
    return jsonify({"items": [dump_grant(g) for g in queries.grants_of(current_user)]})


@bp.get("/routing-rules")
@require_roles(Role.operator, Role.officer)
def get_rules():
    return jsonify({"rules": [rule_to_dict(r) for r in load_rules()]})


@bp.put("/routing-rules")
@require_roles(Role.operator)
def put_rules():
    """Replace the routing rules of the rules library (operators); audited."""
    data = load_json(RulesInput())
    if data["reason"].strip():
        from rules.routing import save_rules  # versioned with the reason, like the rules library page

        saved = save_rules(data["rules"], actor=current_user, reason=data["reason"])
        db.session.commit()
        return jsonify({"rules": saved})
    rules = replace_rules(data["rules"], actor=current_user)
    db.session.commit()
    return jsonify({"rules": [rule_to_dict(r) for r in rules]})


