"""marshmallow schemas of the reviews API: inputs bounded, outputs with explicit fields."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from .models import DIMENSIONS, MAX_REASON, MAX_REPLY, MAX_TEXT
from .services import reviewer_name

_SCORE = validate.Range(1, 5)


class ReviewInput(Schema):
    overall = fields.Integer(required=True, validate=_SCORE, metadata={"description": "1–5 stars"})
    quality = fields.Integer(load_default=None, allow_none=True, validate=_SCORE)
    completeness = fields.Integer(load_default=None, allow_none=True, validate=_SCORE)
    timeliness = fields.Integer(load_default=None, allow_none=True, validate=_SCORE)
    usability = fields.Integer(load_default=None, allow_none=True, validate=_SCORE)
    service = fields.Integer(load_default=None, allow_none=True, validate=_SCORE)
    text = fields.String(load_default="", validate=validate.Length(max=MAX_TEXT))


class ReplyInput(Schema):
    text = fields.String(required=True, validate=validate.Length(min=1, max=MAX_REPLY))


class ReasonInput(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=MAX_REASON))


class OptionalReasonInput(Schema):
    reason = fields.String(load_default="", validate=validate.Length(max=MAX_REASON))


class ListArgs(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(1, 10_000))
    per_page = fields.Integer(load_default=20, validate=validate.Range(1, 100))


class ImprovementArgs(Schema):
    department = fields.String(load_default=None, validate=validate.Length(max=64),
                               metadata={"description": "department code (operators); officers get their own"})
    limit = fields.Integer(load_default=50, validate=validate.Range(1, 200))


def dump_review(review, *, moderator: bool = False) -> dict:
    out = {
        "id": review.id, "dataset_id": review.dataset_id,
        "author": reviewer_name(review),
        "department": review.department.name if review.department else None,
        "overall": review.overall, "scores": {d: getattr(review, d) for d in DIMENSIONS},
        "text": review.text, "hidden": review.hidden,
        "created_at": review.created_at.isoformat() + "Z", "updated_at": review.updated_at.isoformat() + "Z",
        "reply": None,
    }
    if review.reply is not None:
        out["reply"] = {"text": review.reply.text, "at": review.reply.updated_at.isoformat() + "Z",
                        "author": review.reply.author.display_name if review.reply.author else None}
    if moderator:
        out["hidden_reason"] = review.hidden_reason
        out["open_reports"] = sum(1 for r in review.reports if r.resolved_at is None)
    return out
