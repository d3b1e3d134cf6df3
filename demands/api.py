"""JSON API: demands (/api/v1/demands), objections (/api/v1/objections), entry quality scores."""

from __future__ import annotations

from flask import Blueprint, jsonify
from flask_login import current_user

from catalog.models import Dataset
from catalog.permissions import can_view
from market.api_utils import load_args, load_json
from market.auth import login_required, require_roles
from market.auth.models import Role
from market.db import db
from market.errors import NotFound

from . import objections, services
from .quality import dataset_quality
from .schemas import (
    AnswerInput,
    DemandInput,
    DemandQuery,
    LinkInput,
    MeTooInput,
    ObjectionAnswerInput,
    ObjectionInput,
    ObjectionQuery,
    RouteInput,
    dump_demand,
    dump_objection,
)

bp = Blueprint("demands_api", __name__, url_prefix="/api/v1")


@bp.get("/demands")
@login_required
def list_demands():
    """Search demands (q over title, description, data items; filters state, scope, department)."""
    args = load_args(DemandQuery())
    rows, total = services.search_demands(current_user, **args)
    return jsonify({"items": [dump_demand(d, current_user) for d in rows], "total": total,
                    "page": args["page"], "per_page": args["per_page"]})


@bp.post("/demands")
@login_required
def create_demand():
    """Post a demand (any signed-in user); the answer carries the suggested departments."""
    demand = services.create_demand(current_user, load_json(DemandInput()))
    db.session.commit()
    return jsonify(dump_demand(demand, current_user)), 201


@bp.get("/demands/<int:demand_id>")
@login_required
def get_demand(demand_id: int):
    return jsonify(dump_demand(services.get_demand(demand_id, current_user), current_user))


@bp.post("/demands/<int:demand_id>/me-too")
@login_required
def me_too(demand_id: int):
    demand = services.get_demand(demand_id, current_user)
    services.me_too(demand, current_user, load_json(MeTooInput())["purpose"])
    db.session.commit()
    return jsonify(dump_demand(demand, current_user)), 201


@bp.post("/demands/<int:demand_id>/route")
@require_roles(Role.operator)
def route(demand_id: int):
    """Operators confirm the owning department (by code)."""
    demand = services.get_demand(demand_id, current_user)
    data = load_json(RouteInput())
    services.route(demand, current_user, data["department"], data["comment"])
    db.session.commit()
    return jsonify(dump_demand(demand, current_user))


@bp.post("/demands/<int:demand_id>/answer")
@require_roles(Role.officer)
def answer(demand_id: int):
    """The owner's answer: will_publish (publish_by) / exists (dataset_id) / not_held / refused (comment)."""
    demand = services.get_demand(demand_id, current_user)
    services.answer(demand, current_user, **load_json(AnswerInput()))
    db.session.commit()
    return jsonify(dump_demand(demand, current_user))


@bp.post("/demands/<int:demand_id>/link")
@require_roles(Role.officer)
def link_entry(demand_id: int):
    """The owner links the entry meeting the demand; a published entry fulfils it at once."""
    demand = services.get_demand(demand_id, current_user)
    services.link_entry(demand, current_user, load_json(LinkInput())["dataset_id"])
    db.session.commit()
    return jsonify(dump_demand(demand, current_user))


@bp.post("/demands/<int:demand_id>/withdraw")
@login_required
def withdraw(demand_id: int):
    demand = services.get_demand(demand_id, current_user)
    services.withdraw(demand, current_user)
    db.session.commit()
    return jsonify(dump_demand(demand, current_user))


@bp.get("/objections")
@login_required
def list_objections():
    args = load_args(ObjectionQuery())
    rows, total = objections.list_objections(current_user, **args)
    return jsonify({"items": [dump_objection(o) for o in rows], "total": total,
                    "page": args["page"], "per_page": args["per_page"]})


@bp.post("/objections")
@login_required
def create_objection():
    """Object to an entry (dataset_id), a data item (+ item_name) or a delivered copy (grant_id)."""
    obj = objections.create_objection(current_user, load_json(ObjectionInput()))
    db.session.commit()
    return jsonify(dump_objection(obj)), 201


@bp.get("/objections/<int:objection_id>")
@login_required
def get_objection(objection_id: int):
    return jsonify(dump_objection(objections.get_objection(objection_id, current_user)))


@bp.post("/objections/<int:objection_id>/answer")
@require_roles(Role.officer)
def answer_objection(objection_id: int):
    """corrected (version) / explained / rejected (comment); a correction tells every holder."""
    obj = objections.get_objection(objection_id, current_user)
    objections.answer_objection(obj, current_user, **load_json(ObjectionAnswerInput()))
    db.session.commit()
    return jsonify(dump_objection(obj))


@bp.get("/datasets/<int:dataset_id>/quality")
def quality(dataset_id: int):
    """The entry's quality score from its objection history, with every input and the formula."""
    ds = db.session.get(Dataset, dataset_id)
    if ds is None or not can_view(ds, current_user):
        raise NotFound(f"No dataset {dataset_id}.")
    return jsonify(dataset_quality(ds.id).to_dict())
