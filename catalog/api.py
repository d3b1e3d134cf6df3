"""JSON API for the catalog: /api/v1/datasets, /api/v1/departments."""

from __future__ import annotations

from flask import Blueprint, jsonify, request
from flask_babel import get_locale
from flask_login import current_user
from sqlalchemy import select

from market.api_utils import load_args, load_json
from market.auth import require_roles
from market.auth.models import Role
from market.db import db
from market.errors import Forbidden, NotFound

from . import services
from .browse import run_search
from .models import Dataset, Department
from .permissions import can_manage, can_view
from .schemas import DatasetInput, DatasetListArgs, DatasetOut, DatasetPatch, DatasetSummaryOut, DepartmentOut

bp = Blueprint("catalog_api", __name__, url_prefix="/api/v1")


def _dataset_or_404(dataset_id: int) -> Dataset:
    ds = db.session.get(Dataset, dataset_id)
    if ds is None or not can_view(ds, current_user):
        raise NotFound(f"No dataset {dataset_id} (or you may not see it).")
    return ds


@bp.get("/datasets")
def list_datasets():
    """Search and filter the catalog; facets count what each filter value would give."""
    args = load_args(DatasetListArgs())
    res = run_search(args, current_user, str(get_locale() or "zh"))
    items = DatasetSummaryOut(many=True).dump(res.datasets)
    highlights = {h.id: h.highlights for h in res.page.hits}
    for item in items:
        item["highlights"] = highlights.get(item["id"], {})
    facets = {k: [{kk: f[kk] for kk in ("value", "label", "count")} for f in v] for k, v in res.facets.items()}
    body = {"items": items, "total": res.page.total, "page": args["page"], "per_page": args["per_page"],
            "facets": facets, "did_you_mean": res.page.did_you_mean, "backend": res.page.backend}
    if res.page.notice:
        body["notice"] = res.page.notice
    return jsonify(body)


@bp.get("/datasets/<int:dataset_id>")
def get_dataset(dataset_id: int):
    return jsonify(DatasetOut().dump(_dataset_or_404(dataset_id)))


@bp.post("/datasets")
@require_roles(Role.officer, Role.operator)
def create_dataset():
    """Create a draft entry in the caller's department (operators may name one)."""
    data = load_json(DatasetInput())
    ds = services.create_dataset(data, actor=current_user)
    db.session.commit()
    return jsonify(DatasetOut().dump(ds)), 201


@bp.patch("/datasets/<int:dataset_id>")
@require_roles(Role.officer, Role.operator)
def update_dataset(dataset_id: int):
    ds = _manageable_or_404(dataset_id)
    data = load_json(DatasetPatch())
    services.update_dataset(ds, data, actor=current_user)
    db.session.commit()
    return jsonify(DatasetOut().dump(ds))


@bp.post("/datasets/<int:dataset_id>/publish")
@require_roles(Role.officer, Role.operator)
def publish_dataset(dataset_id: int):
    ds = _manageable_or_404(dataset_id)
    services.publish_dataset(ds, actor=current_user)
    db.session.commit()
    return jsonify(DatasetOut().dump(ds))


@bp.post("/datasets/<int:dataset_id>/retire")
@require_roles(Role.officer, Role.operator)
def retire_dataset(dataset_id: int):
    ds = _manageable_or_404(dataset_id)
    reason = (request.get_json(silent=True) or {}).get("reason", "") if request.is_json else ""
    services.retire_dataset(ds, actor=current_user, reason=str(reason)[:500])
    db.session.commit()
    return jsonify(DatasetOut().dump(ds))


@bp.get("/datasets/<int:dataset_id>/history")
@require_roles(Role.officer, Role.operator)
def dataset_history(dataset_id: int):
    ds = _manageable_or_404(dataset_id)
    return jsonify({"items": [{"id": c.id, "at": c.at.isoformat(), "action": c.action,
                               "actor": c.actor.username if c.actor else None, "changes": c.changes}
                              for c in ds.changes]})


def _manageable_or_404(dataset_id: int) -> Dataset:
    ds = _dataset_or_404(dataset_id)
    if not can_manage(ds, current_user):
        raise Forbidden("Only the owning department's data officer or an operator may change this entry.")
    return ds


@bp.get("/departments")
def list_departments():
    rows = db.session.scalars(select(Department).order_by(Department.code))
    return jsonify({"items": DepartmentOut(many=True).dump(rows)})
