"""JSON API: recommendations for an entry and for the caller, and the scenario bundles."""

from __future__ import annotations

from flask import Blueprint, jsonify
from flask_babel import gettext as _
from flask_login import current_user
from marshmallow import Schema, fields, validate

from catalog.models import Dataset
from catalog.permissions import can_view
from market.api_utils import load_args
from market.auth import login_required
from market.db import db
from market.errors import NotFound

from . import bundles as bundle_services
from . import services

bp = Blueprint("recs_api", __name__, url_prefix="/api/v1")


class RecArgs(Schema):
    limit = fields.Integer(load_default=10, validate=validate.Range(1, services.MAX_K))


@bp.get("/datasets/<int:dataset_id>/recommendations")
def for_dataset(dataset_id: int):
    """Entries related to this one, each with a reason; filtered to what the caller may request and lacks."""
    ds = db.session.get(Dataset, dataset_id) if dataset_id < 2**63 else None
    if ds is None or not can_view(ds, current_user):
        raise NotFound(_("没有找到该数据目录，或您无权查看。"))
    args = load_args(RecArgs())
    recs = services.for_dataset(ds, current_user, k=args["limit"])
    return jsonify({"dataset_id": ds.id, "items": [services.dump_recommendation(r) for r in recs]})


@bp.get("/recommendations")
@login_required
def for_me():
    """The caller's personal recommendations ("for you"), each with a reason."""
    args = load_args(RecArgs())
    recs = services.for_user(current_user, k=args["limit"])
    return jsonify({"items": [services.dump_recommendation(r) for r in recs]})


@bp.get("/bundles")
def list_bundles():
    """Active scenario bundles with the entries the caller may see."""
    rows = bundle_services.list_bundles()
    return jsonify({"items": [bundle_services.dump_bundle(b, visible=lambda d: can_view(d, current_user))
                              for b in rows]})
