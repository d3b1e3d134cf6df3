"""JSON API for notifications: list and mark read."""

from __future__ import annotations

from flask import Blueprint, jsonify
from flask_login import current_user
from marshmallow import Schema, fields, validate

from market.api_utils import load_args, load_json
from market.auth import login_required
from market.db import db

from .services import list_notifications, mark_read, unread_count

bp = Blueprint("notify_api", __name__, url_prefix="/api/v1")


class ListArgs(Schema):
    unread = fields.Boolean(load_default=False)
    page = fields.Integer(load_default=1, validate=validate.Range(1, 10_000))
    per_page = fields.Integer(load_default=30, validate=validate.Range(1, 100))


class ReadInput(Schema):
    ids = fields.List(fields.Integer(validate=validate.Range(1, 2**63 - 1)), validate=validate.Length(max=500),
                      load_default=None, metadata={"description": "omit to mark every message read"})


def dump_notification(n) -> dict:
    return {"id": n.id, "kind": n.kind, "subject": n.subject, "body": n.body, "link": n.link,
            "created_at": n.created_at.isoformat() + "Z", "read": n.read_at is not None}


@bp.get("/notifications")
@login_required
def list_():
    """The caller's notifications, newest first, with the unread count."""
    args = load_args(ListArgs())
    rows, total = list_notifications(current_user, unread_only=args["unread"], page=args["page"],
                                     per_page=args["per_page"])
    return jsonify({"items": [dump_notification(n) for n in rows], "total": total, "page": args["page"],
                    "per_page": args["per_page"], "unread": unread_count(current_user)})


@bp.post("/notifications/read")
@login_required
def read():
    """Mark the given notifications (or all) read; returns how many changed and the unread count left."""
    body = load_json(ReadInput())
    changed = mark_read(current_user, body["ids"])
    db.session.commit()
    return jsonify({"changed": changed, "unread": unread_count(current_user)})
