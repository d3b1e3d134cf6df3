"""Pages: demand list and search, posting form, demand detail with its actions; objections list,
filing form and detail with the owner's answer."""

from __future__ import annotations

import re

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from marshmallow import ValidationError
from sqlalchemy import select

from audit.models import AuditEvent
from catalog.models import Dataset, Department
from catalog.permissions import can_view
from market.auth import login_required, require_roles
from market.auth.models import Role
from market.db import db
from market.errors import MarketError
from market.security import MAX_ID
from orders.models import Grant

from . import objections, services
from . import permissions as perm
from .schemas import (
    AnswerInput,
    DemandInput,
    DemandQuery,
    MeTooInput,
    ObjectionAnswerInput,
    ObjectionInput,
    ObjectionQuery,
    RouteInput,
)
from .state import Frequency, ObjectionKind

bp = Blueprint("demands", __name__)
PER_PAGE = 20
_SPLIT = re.compile(r"[\n,，、;；]+")


def _messages(exc: ValidationError) -> dict:
    return {k: v[0] if isinstance(v, list) else str(v) for k, v in exc.messages.items()}


def _int_arg(name: str) -> int | None:
    value = request.args.get(name, "")
    return int(value) if value.isdigit() and 0 < int(value) <= MAX_ID else None


def _form(keys) -> dict:
    return {k: request.form.get(k, "") for k in keys}


def _none_if_blank(data: dict, *keys) -> dict:
    return {k: (None if k in keys and v == "" else v) for k, v in data.items()}


def _create(schema, data: dict, create, success: str):
    """Validate and create from a form; returns (object, errors): commits and flashes on success."""
    try:
        obj = create(current_user, schema.load(data))
    except ValidationError as exc:
        return None, _messages(exc)
    except MarketError as exc:
        return None, {k: v[0] for k, v in exc.fields.items()} or {"_": exc.message}
    db.session.commit()
    flash(success, "success")
    return obj, {}


def _attempt(action, success: str) -> None:
    """Run a form action: commit and flash success, or flash what was wrong (nothing is changed)."""
    try:
        action()
    except ValidationError as exc:
        for message in _messages(exc).values():
            flash(message, "error")
    except MarketError as exc:
        flash(exc.message, "error")
    else:
        db.session.commit()
        flash(success, "success")


def _timeline(object_type: str, object_id: int) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.object_type == object_type,
                                                            AuditEvent.object_id == str(object_id))
                                   .order_by(AuditEvent.id).limit(200)))


# --- demands ----------------------------------------------------------------------------------------
@bp.get("/demands")
@login_required
def index():
    try:
        args = DemandQuery().load({k: v for k, v in request.args.items() if k in DemandQuery().fields})
    except ValidationError:
        args = DemandQuery().load({})
    args["per_page"] = PER_PAGE
    rows, total = services.search_demands(current_user, **args)
    departments = db.session.scalars(select(Department).order_by(Department.code)).all()
    return render_template("demands/index.html", rows=rows, total=total, args=args, departments=departments,
                           pages=max(1, -(-total // PER_PAGE)))


@bp.route("/demands/new", methods=["GET", "POST"])
@login_required
def new():
    errors: dict = {}
    ref = None
    if request.method == "POST":
        values = _form(("title", "description", "purpose", "items", "frequency", "needed_by", "dataset_id"))
        data = _none_if_blank(dict(values), "needed_by", "dataset_id")
        data["items"] = [i.strip() for i in _SPLIT.split(values["items"]) if i.strip()]
        demand, errors = _create(DemandInput(), data, services.create_demand,
                                 _("需求已发布，平台将在 2 个工作日内分派给数源部门。"))
        if demand is not None:
            return redirect(url_for("demands.detail", demand_id=demand.id))
    else:
        values = {"title": request.args.get("title", "")[:200], "frequency": "once"}
        ref_id = _int_arg("dataset_id")
        ref = db.session.get(Dataset, ref_id) if ref_id else None
        if ref is not None and can_view(ref, current_user):
            values.update(dataset_id=str(ref.id), title=values["title"] or ref.title,
                          items="\n".join(i.name for i in ref.items[:50]))
        else:
            ref = None
    if values.get("dataset_id", "").isdigit() and ref is None:
        ref = db.session.get(Dataset, int(values["dataset_id"]))
    return render_template("demands/new.html", values=values, errors=errors, ref=ref,
                           frequencies=[f.value for f in Frequency]), 422 if errors else 200


@bp.get("/demands/<int:demand_id>")
@login_required
def detail(demand_id: int):
    demand = services.get_demand(demand_id, current_user)
    departments = []
    if perm.can_route(demand, current_user):
        departments = db.session.scalars(select(Department).where(
            Department.id.not_in(demand.declined_department_ids or [-1])).order_by(Department.code)).all()
    own_entries = []
    if perm.can_link(demand, current_user) or perm.can_answer(demand, current_user):
        own_entries = db.session.scalars(select(Dataset).where(
            Dataset.department_id == demand.department_id, Dataset.status != "retired")
            .order_by(Dataset.updated_at.desc()).limit(200)).all()
    return render_template("demands/detail.html", d=demand, perm=perm, departments=departments,
                           own_entries=own_entries, timeline=_timeline("demand", demand.id),
                           see_purposes=perm.can_see_purposes(demand, current_user))


def _act(demand_id: int, action, success: str):
    demand = services.get_demand(demand_id, current_user)
    _attempt(lambda: action(demand), success)
    return redirect(url_for("demands.detail", demand_id=demand_id))


@bp.post("/demands/<int:demand_id>/me-too")
@login_required
def me_too(demand_id: int):
    return _act(demand_id, lambda d: services.me_too(d, current_user, MeTooInput().load(_form(("purpose",)))["purpose"]),
                _("已登记“我也需要”，需求满足时会通知您。"))


@bp.post("/demands/<int:demand_id>/route")
@require_roles(Role.operator)
def route(demand_id: int):
    def do(d):
        values = _form(("department", "comment"))
        values["department"] = request.form.get("department_other") or values["department"]
        data = RouteInput().load(values)
        services.route(d, current_user, data["department"], data["comment"])
    return _act(demand_id, do, _("已分派给数源部门。"))


@bp.post("/demands/<int:demand_id>/answer")
@require_roles(Role.officer)
def answer(demand_id: int):
    def do(d):
        data = AnswerInput().load(_none_if_blank(_form(("outcome", "comment", "publish_by", "dataset_id")),
                                                 "publish_by", "dataset_id"))
        services.answer(d, current_user, **data)
    return _act(demand_id, do, _("已答复。"))


@bp.post("/demands/<int:demand_id>/link")
@require_roles(Role.officer)
def link(demand_id: int):
    def do(d):
        raw = request.form.get("dataset_id", "")
        if not raw.isdigit() or not 0 < int(raw) <= MAX_ID:
            raise MarketError(_("请选择要关联的目录。"))
        services.link_entry(d, current_user, int(raw))
    return _act(demand_id, do, _("已关联目录。"))


@bp.post("/demands/<int:demand_id>/withdraw")
@login_required
def withdraw(demand_id: int):
    return _act(demand_id, lambda d: services.withdraw(d, current_user), _("需求已撤回。"))


# --- objections -------------------------------------------------------------------------------------
@bp.get("/objections")
@login_required
def objection_list():
    try:
        args = ObjectionQuery().load({k: v for k, v in request.args.items() if k in ObjectionQuery().fields})
    except ValidationError:
        args = ObjectionQuery().load({})
    args["per_page"] = PER_PAGE
    rows, total = objections.list_objections(current_user, **args)
    return render_template("demands/objections.html", rows=rows, total=total, args=args,
                           pages=max(1, -(-total // PER_PAGE)))


@bp.route("/objections/new", methods=["GET", "POST"])
@login_required
def objection_new():
    errors: dict = {}
    if request.method == "POST":
        values = _form(("dataset_id", "grant_id", "item_name", "kind", "description", "other_source"))
        obj, errors = _create(ObjectionInput(), _none_if_blank(dict(values), "dataset_id", "grant_id", "item_name"),
                              objections.create_objection, _("异议已提交，数源部门将在 5 个工作日内答复。"))
        if obj is not None:
            return redirect(url_for("demands.objection_detail", objection_id=obj.id))
    else:
        values = {"dataset_id": str(_int_arg("dataset_id") or ""), "grant_id": str(_int_arg("grant_id") or ""),
                  "item_name": request.args.get("item", "")[:200], "kind": "wrong"}
    grant = None
    if values.get("grant_id", "").isdigit():
        grant = db.session.get(Grant, int(values["grant_id"]))
        if grant is None or grant.user_id != current_user.id:
            grant = None
    ds = grant.dataset if grant else (db.session.get(Dataset, int(values["dataset_id"]))
                                      if values.get("dataset_id", "").isdigit() else None)
    if ds is not None and not can_view(ds, current_user):
        ds = None
    status = 422 if errors else 200
    return render_template("demands/objection_new.html", values=values, errors=errors, ds=ds, grant=grant,
                           kinds=[k.value for k in ObjectionKind]), status


@bp.get("/objections/<int:objection_id>")
@login_required
def objection_detail(objection_id: int):
    obj = objections.get_objection(objection_id, current_user)
    return render_template("demands/objection_detail.html", o=obj, timeline=_timeline("objection", obj.id),
                           can_answer=perm.can_answer_objection(obj, current_user))


@bp.post("/objections/<int:objection_id>/answer")
@require_roles(Role.officer)
def objection_answer(objection_id: int):
    obj = objections.get_objection(objection_id, current_user)
    _attempt(lambda: objections.answer_objection(
        obj, current_user, **ObjectionAnswerInput().load(_form(("outcome", "comment", "version")))),
        _("已答复异议。"))
    return redirect(url_for("demands.objection_detail", objection_id=objection_id))
