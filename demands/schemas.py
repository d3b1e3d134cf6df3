"""marshmallow at the edge: what the demand and objection endpoints (and forms) accept, and the JSON
shapes of demands, objections and quality scores."""

from __future__ import annotations

from marshmallow import Schema, fields, pre_load, validate

from market.security import MAX_ID

from .state import DemandOutcome, Frequency, ObjectionKind, ObjectionOutcome

MAX_ITEMS = 50


def _strip(data):
    return {k: v.strip() if isinstance(v, str) else v for k, v in data.items()} if isinstance(data, dict) else data


class _Stripped(Schema):
    @pre_load
    def strip(self, data, **kwargs):
        return _strip(data)


_ID = {"strict": False, "validate": validate.Range(1, MAX_ID)}


class DemandInput(_Stripped):
    title = fields.String(required=True, validate=validate.Length(4, 200,
                          error="需求名称需 {min}–{max} 个字 (4–200 characters)."))
    description = fields.String(load_default="", validate=validate.Length(max=4000))
    purpose = fields.String(required=True, validate=validate.Length(5, 2000,
                            error="用途说明需 {min}–{max} 个字 (5–2000 characters)."))
    items = fields.List(fields.String(validate=validate.Length(1, 100)), load_default=list,
                        validate=validate.Length(max=MAX_ITEMS, error="信息项最多 {max} 个 (at most 50 items)."))
    frequency = fields.String(load_default="once", validate=validate.OneOf([f.value for f in Frequency]))
    needed_by = fields.Date(load_default=None, allow_none=True)
    dataset_id = fields.Integer(load_default=None, allow_none=True, **_ID)


class MeTooInput(_Stripped):
    purpose = fields.String(required=True, validate=validate.Length(5, 2000,
                            error="用途说明需 {min}–{max} 个字 (5–2000 characters)."))


class RouteInput(_Stripped):
    department = fields.String(required=True, validate=validate.Length(1, 64))
    comment = fields.String(load_default="", validate=validate.Length(max=2000))


class AnswerInput(_Stripped):
    outcome = fields.String(required=True, validate=validate.OneOf([o.value for o in DemandOutcome]))
    comment = fields.String(load_default="", validate=validate.Length(max=2000))
    publish_by = fields.Date(load_default=None, allow_none=True)
    dataset_id = fields.Integer(load_default=None, allow_none=True, **_ID)


class LinkInput(Schema):
    dataset_id = fields.Integer(required=True, **_ID)


class _Query(Schema):
    @pre_load
    def drop_empty(self, data, **kwargs):
        return {k: v for k, v in data.items() if v not in ("", None)} if isinstance(data, dict) else data


class DemandQuery(_Query):
    q = fields.String(load_default="", validate=validate.Length(max=200))
    state = fields.String(load_default=None, validate=validate.OneOf(
        ("submitted", "routed", "planned", "fulfilled", "existing", "refused", "withdrawn")))
    scope = fields.String(load_default="all", validate=validate.OneOf(("all", "mine", "todo")))
    department = fields.String(load_default=None, validate=validate.Length(max=64))
    page = fields.Integer(load_default=1, strict=False, validate=validate.Range(1, 10_000))
    per_page = fields.Integer(load_default=20, strict=False, validate=validate.Range(1, 100))


class ObjectionInput(_Stripped):
    dataset_id = fields.Integer(load_default=None, allow_none=True, **_ID)
    grant_id = fields.Integer(load_default=None, allow_none=True, **_ID)
    item_name = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
    kind = fields.String(required=True, validate=validate.OneOf([k.value for k in ObjectionKind]))
    description = fields.String(required=True, validate=validate.Length(5, 4000,
                                error="异议说明需 {min}–{max} 个字 (5–4000 characters)."))
    other_source = fields.String(load_default="", validate=validate.Length(max=300))


class ObjectionAnswerInput(_Stripped):
    outcome = fields.String(required=True, validate=validate.OneOf([o.value for o in ObjectionOutcome]))
    comment = fields.String(load_default="", validate=validate.Length(max=2000))
    version = fields.String(load_default="", validate=validate.Length(max=40))


class ObjectionQuery(_Query):
    dataset_id = fields.Integer(load_default=None, **_ID)
    state = fields.String(load_default=None, validate=validate.OneOf(("open", "corrected", "explained", "rejected")))
    scope = fields.String(load_default="all", validate=validate.OneOf(("all", "mine", "todo")))
    page = fields.Integer(load_default=1, strict=False, validate=validate.Range(1, 10_000))
    per_page = fields.Integer(load_default=20, strict=False, validate=validate.Range(1, 100))


def _dt(value):
    return value.isoformat() if value is not None else None


def dump_demand(demand, user=None) -> dict:
    from . import permissions as perm

    see_all = user is not None and perm.can_see_purposes(demand, user)
    uid = getattr(user, "id", None)
    out = {
        "id": demand.id, "title": demand.title, "description": demand.description, "purpose": demand.purpose,
        "items": demand.items or [], "frequency": demand.frequency.value,
        "needed_by": _dt(demand.needed_by), "dataset_id": demand.dataset_id,
        # who asked is shown to the poster, operators and the owner; others see the department (or nothing)
        "requester": demand.requester.username if see_all else None,
        "requester_department": demand.requester.department.code if demand.requester.department else None,
        "state": demand.state.value,
        "department": demand.department.code if demand.department else None,
        "suggestions": demand.suggestions or [], "routed_at": _dt(demand.routed_at), "due_at": _dt(demand.due_at),
        "outcome": demand.outcome.value if demand.outcome else None, "answer": demand.answer,
        "publish_by": _dt(demand.publish_by), "answered_at": _dt(demand.answered_at),
        "linked_dataset_id": demand.linked_dataset_id, "closed_at": _dt(demand.closed_at),
        "supporter_count": demand.supporter_count, "created_at": _dt(demand.created_at),
        "supporters": [{"user": s.user.username, "purpose": s.purpose, "at": _dt(s.created_at)}
                       for s in demand.supporters if see_all or s.user_id == uid],
    }
    if user is not None:
        out["can"] = {"route": perm.can_route(demand, user), "answer": perm.can_answer(demand, user),
                      "link": perm.can_link(demand, user), "me_too": perm.can_me_too(demand, user),
                      "withdraw": perm.can_withdraw(demand, user)}
    return out


def dump_objection(obj) -> dict:
    return {
        "id": obj.id, "dataset_id": obj.dataset_id, "dataset_title": obj.dataset.title, "target": obj.target,
        "item_name": obj.item_name, "grant_id": obj.grant_id, "department": obj.department.code,
        "kind": obj.kind.value, "description": obj.description, "other_source": obj.other_source,
        "raised_by": obj.raised_by.username, "state": obj.state.value,
        "outcome": obj.outcome.value if obj.outcome else None, "answer": obj.answer,
        "corrected_version": obj.corrected_version or None, "notified_holders": obj.notified_holders,
        "due_at": _dt(obj.due_at), "answered_at": _dt(obj.answered_at), "created_at": _dt(obj.created_at),
    }
