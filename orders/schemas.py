"""marshmallow at the edge: what the cart, checkout and decision endpoints accept, and the JSON
shapes of carts, requests, lines, steps and grants."""

from __future__ import annotations

from marshmallow import Schema, fields, pre_load, validate

from market.security import MAX_ID

from .permissions import can_decide, can_see_line
from .state import LineState, aggregate_state


def _strip(data):
    return {k: v.strip() if isinstance(v, str) else v for k, v in data.items()} if isinstance(data, dict) else data


class CartItemInput(Schema):
    dataset_id = fields.Integer(required=True, strict=False, validate=validate.Range(1, MAX_ID))
    fields = fields.List(fields.String(validate=validate.Length(1, 200)), load_default=None, allow_none=True,
                         validate=validate.Length(max=300))


class CheckoutInput(Schema):
    purpose = fields.String(required=True, validate=validate.Length(5, 2000,
                            error="用途说明需 {min}–{max} 个字 (5–2000 characters)."))
    legal_basis = fields.String(load_default="", validate=validate.Length(max=2000))
    period_days = fields.Integer(required=True, strict=False, validate=validate.Range(1, 3660,
                                 error="使用期限为 {min}–{max} 天 (days)."))
    cart_version = fields.Integer(load_default=None, allow_none=True, strict=False,
                                  validate=validate.Range(0, MAX_ID))

    @pre_load
    def strip(self, data, **kwargs):
        return _strip(data)


class DecisionInput(Schema):
    decision = fields.String(required=True, validate=validate.OneOf(("approve", "reject", "ask")))
    comment = fields.String(load_default="", validate=validate.Length(max=2000))
    fields = fields.List(fields.String(validate=validate.Length(1, 200)), load_default=None, allow_none=True)

    @pre_load
    def strip(self, data, **kwargs):
        return _strip(data)


class BatchDecisionInput(Schema):
    decision = fields.String(required=True, validate=validate.OneOf(("approve", "reject")))
    comment = fields.String(load_default="", validate=validate.Length(max=2000))
    line_ids = fields.List(fields.Integer(strict=False, validate=validate.Range(1, MAX_ID)), required=True,
                           validate=validate.Length(1, 200))


class OverviewArgs(Schema):
    """Query of ``GET /api/v1/approvals/overview``."""

    state = fields.String(load_default=None, validate=validate.OneOf([s.value for s in LineState]))
    department = fields.String(load_default=None, validate=validate.Length(1, 40))  # department code
    date_from = fields.Date(load_default=None, data_key="from")
    date_to = fields.Date(load_default=None, data_key="to")
    page = fields.Integer(load_default=1, strict=False, validate=validate.Range(1, 10_000))
    per_page = fields.Integer(load_default=50, strict=False, validate=validate.Range(1, 100))


class CommentInput(Schema):
    comment = fields.String(required=True, validate=validate.Length(1, 2000))


class RulesInput(Schema):
    rules = fields.List(fields.Dict(), required=True, validate=validate.Length(1, 100))
    # why the rules change; when given, the change is also versioned in the rules library (rules.routing)
    reason = fields.String(load_default="", validate=validate.Length(max=500))


def _dt(value):
    return value.isoformat() if value is not None else None


def dump_cart(cart, lines) -> dict:
    return {
        "version": cart.version if cart is not None else 0,
        "count": len(lines),
        "items": [{
            "dataset_id": cl.item.dataset_id,
            "title": cl.item.dataset.title,
            "department": cl.item.dataset.department.code,
            "level": cl.item.dataset.level,
            "share_attribute": str(cl.item.dataset.share_attribute),
            "fields": cl.fields,
            "all_fields": cl.item.fields is None,
            "outcome": cl.outcome,
            "steps": [str(s) for s in cl.route.steps] if cl.route and not cl.block_reason else [],
            "reason": cl.block_reason,
            "added_at": _dt(cl.item.added_at),
        } for cl in lines],
    }


def dump_step(step) -> dict:
    return {"id": step.id, "position": step.position, "kind": str(step.kind), "state": str(step.state),
            "department_id": step.department_id, "started_at": _dt(step.started_at), "due_at": _dt(step.due_at),
            "decided_by": step.decided_by.username if step.decided_by else None,
            "decided_at": _dt(step.decided_at), "comment": step.comment, "approved_fields": step.approved_fields,
            "reminded_at": _dt(step.reminded_at), "escalated_at": _dt(step.escalated_at)}


def dump_line(line, user=None) -> dict:
    out = {"id": line.id, "request_id": line.request_id, "dataset_id": line.dataset_id,
           "dataset_title": line.dataset.title, "department": line.dataset.department.code,
           "level": line.dataset.level, "state": str(line.state), "fields": line.fields, "route": line.route,
           "steps": [dump_step(s) for s in line.steps],
           "grant_id": line.grant.id if line.grant is not None else None}
    if user is not None:
        out["can_decide"] = can_decide(line, user)
    return out


def dump_request(req, user) -> dict:
    lines = [ln for ln in req.lines if can_see_line(ln, user)]
    return {"id": req.id, "state": str(aggregate_state([ln.state for ln in req.lines])),
            "purpose": req.purpose, "legal_basis": req.legal_basis, "period_days": req.period_days,
            "created_at": _dt(req.created_at), "requester": req.requester.username,
            "department": req.department.code if req.department else None,
            "orders": [{"id": o.id, "department": o.department.code} for o in req.orders],
            "lines": [dump_line(ln, user) for ln in lines],
            "comments": [{"line_id": c.line_id, "kind": c.kind, "author": c.author.username, "body": c.body,
                          "at": _dt(c.at)} for c in req.comments if c.line_id is None
                         or any(ln.id == c.line_id for ln in lines)]}


def dump_grant(grant) -> dict:
    return {"id": grant.id, "line_id": grant.line_id, "request_id": grant.line.request_id,
            "dataset_id": grant.dataset_id, "dataset_title": grant.dataset.title, "fields": grant.fields,
            "delivery_modes": grant.delivery_modes, "state": str(grant.line.state),
            "granted_at": _dt(grant.granted_at), "expires_at": _dt(grant.expires_at)}
