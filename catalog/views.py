"""Shop pages: home, product grid with facets, product page, and the owners' catalog management."""

from __future__ import annotations

import re

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from marshmallow import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from market.api_utils import load_args
from market.auth import require_roles
from market.auth.models import Role
from market.db import db
from market.errors import Forbidden, MarketError, NotFound
from search.base import FACETS

from . import services
from .browse import run_search
from .models import Category, DataItem, Dataset, Department
from .permissions import can_manage, can_view, request_block_reason, visibility
from .schemas import ITEM_TYPES, DatasetInput, DatasetListArgs
from .vocab import DatasetStatus, DeliveryMode, Library, OpenAttribute, ShareAttribute, UpdateFrequency

bp = Blueprint("catalog", __name__)
ITEM_KEY = re.compile(r"^item-(\d{1,3})-(name|type|description|sensitive)$")


def _visible_filter(stmt):
    vis = visibility(current_user)
    stmt = stmt.where(Dataset.status == DatasetStatus.published)
    if vis["open_only"]:
        stmt = stmt.where(Dataset.open_attribute != OpenAttribute.closed)
    return stmt


@bp.get("/")
def home():
    counts = dict(db.session.execute(_visible_filter(
        select(Dataset.category_id, func.count()).group_by(Dataset.category_id))).all())
    categories = db.session.scalars(select(Category).order_by(Category.library, Category.position)).all()
    libraries = {lib: [(c, counts.get(c.id, 0)) for c in categories if c.library == lib] for lib in Library}
    dept_rows = db.session.execute(_visible_filter(
        select(Department, func.count(Dataset.id).label("n")).join(Dataset, Dataset.department_id == Department.id)
        .group_by(Department.id).order_by(func.count(Dataset.id).desc()).limit(24))).all()
    featured = db.session.scalars(_visible_filter(select(Dataset)).order_by(
        Dataset.featured.desc(), Dataset.request_count.desc(), Dataset.id).limit(8)).all()
    newest = db.session.scalars(_visible_filter(select(Dataset)).order_by(
        Dataset.published_at.desc(), Dataset.id.desc()).limit(8)).all()
    total = sum(counts.values())
    return render_template("catalog/home.html", libraries=libraries, departments=dept_rows, featured=featured,
                           newest=newest, total=total)


@bp.get("/datasets")
def browse():
    try:
        args = load_args(DatasetListArgs())
    except MarketError as exc:
        flash(_("筛选条件无效：%(m)s", m=exc.message), "error")
        args = DatasetListArgs().load({})
    res = run_search(args, current_user, str(get_locale() or "zh"))
    pages = max(1, -(-res.page.total // args["per_page"]))
    return render_template("catalog/browse.html", res=res, args=args, facets_order=FACETS, pages=pages,
                           block_reason=lambda d: request_block_reason(d, current_user))


def _detail_options() -> tuple:
    """What the product page shows of an entry besides its own columns, loaded with it: tags and formats
    in the same query (a few rows each), data items and their standards in a second one (not one per item).
    Built on use: the mappers are configured once every model is imported."""
    return (joinedload(Dataset.tag_rows), joinedload(Dataset.format_rows),
            selectinload(Dataset.items).joinedload(DataItem.standard))


def _dataset_or_404(dataset_id: int, options=()) -> Dataset:
    ds = db.session.get(Dataset, dataset_id, options=options)
    if ds is None or not can_view(ds, current_user):
        raise NotFound(_("没有找到该数据目录，或您无权查看。"))
    return ds


@bp.get("/datasets/<int:dataset_id>")
def detail(dataset_id: int):
    ds = _dataset_or_404(dataset_id, _detail_options())
    columns, sample_rows = services.masked_sample(ds)
    user = current_user._get_current_object()
    return render_template("catalog/detail.html", ds=ds, columns=columns, sample_rows=sample_rows,
                           block_reason=request_block_reason(ds, user), can_manage=can_manage(ds, user))


@bp.get("/manage")
@require_roles(Role.officer, Role.operator)
def manage():
    status = request.args.get("status", "")
    stmt = select(Dataset).order_by(Dataset.updated_at.desc(), Dataset.id.desc())
    if not current_user.is_operator:
        stmt = stmt.where(Dataset.department_id == current_user.department_id)
    scope = stmt.order_by(None).subquery()  # per-status counts for the filter tabs, same scope
    status_counts = {str(getattr(s, "value", s)): n for s, n in db.session.execute(
        select(scope.c.status, func.count()).group_by(scope.c.status)).all()}
    if status in {s.value for s in DatasetStatus}:
        stmt = stmt.where(Dataset.status == status)
    page = request.args.get("page", "1")
    page = int(page) if page.isdigit() and 0 < int(page) <= 10_000 else 1
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    rows = db.session.scalars(stmt.limit(50).offset((page - 1) * 50)).all()
    return render_template("catalog/manage.html", rows=rows, status=status, page=page,
                           pages=max(1, -(-total // 50)), total=total, status_counts=status_counts)


def _form_data() -> dict:
    """Turn the entry form into the shape DatasetInput loads (item-N-field rows → items list)."""
    form = request.form
    data = {k: form.get(k, "") for k in ("title", "summary", "category", "department", "tags", "formats",
                                         "update_frequency", "share_attribute", "open_attribute", "level", "price")}
    data["delivery_modes"] = form.getlist("delivery_modes")
    rows: dict[int, dict] = {}
    for key in form:
        m = ITEM_KEY.match(key)
        if m:
            rows.setdefault(int(m.group(1)), {})[m.group(2)] = form.get(key)
    items = []
    for _n, row in sorted(rows.items()):
        if not (row.get("name") or "").strip():
            continue
        items.append({"name": row.get("name", ""), "type": row.get("type") or "string",
                      "description": row.get("description", ""), "sensitive": row.get("sensitive") == "on"})
    data["items"] = items
    if not data["department"]:
        data.pop("department")
    return data


def _form_context(ds: Dataset | None, values: dict | None = None, errors: dict | None = None) -> dict:
    return {
        "ds": ds, "values": values or {}, "errors": errors or {},
        "categories": db.session.scalars(select(Category).order_by(Category.library, Category.position)).all(),
        "departments": db.session.scalars(select(Department).order_by(Department.code)).all()
        if current_user.is_operator else [],
        "item_types": ITEM_TYPES, "frequencies": list(UpdateFrequency), "shares": list(ShareAttribute),
        "opens": list(OpenAttribute), "modes": list(DeliveryMode),
    }


def _flatten(messages: dict) -> dict:
    out = {}
    for key, value in messages.items():
        if isinstance(value, dict):  # nested item errors {index: {field: [...]}}
            for idx, sub in value.items():
                for f, msgs in (sub.items() if isinstance(sub, dict) else [("", sub)]):
                    out[f"items.{idx}.{f}"] = msgs[0] if isinstance(msgs, list) else str(msgs)
                    out.setdefault("items", _("信息项有误，见下方标注"))
        else:
            out[key] = value[0] if isinstance(value, list) else str(value)
    return out


def _values_from(data: dict) -> dict:
    values = dict(data)
    values["items"] = data.get("items", [])
    for key in ("tags", "formats"):
        if isinstance(values.get(key), list):
            values[key] = ", ".join(values[key])
    return values


@bp.route("/datasets/new", methods=["GET", "POST"])
@require_roles(Role.officer, Role.operator)
def create():
    if request.method == "GET":
        return render_template("catalog/form.html", **_form_context(None, {"level": "2", "items": []}))
    data = _form_data()
    try:
        loaded = DatasetInput().load(data)
        ds = services.create_dataset(loaded, actor=current_user)
    except ValidationError as exc:
        return render_template("catalog/form.html", **_form_context(None, _values_from(data), _flatten(exc.messages))), 422
    except MarketError as exc:
        db.session.rollback()
        errors = {k: v[0] for k, v in exc.fields.items()} or {"form": exc.message}
        return render_template("catalog/form.html", **_form_context(None, _values_from(data), errors)), exc.status
    db.session.commit()
    flash(_("已创建草稿目录 %(code)s。", code=ds.code), "success")
    return redirect(url_for("catalog.detail", dataset_id=ds.id))


@bp.route("/datasets/<int:dataset_id>/edit", methods=["GET", "POST"])
@require_roles(Role.officer, Role.operator)
def edit(dataset_id: int):
    ds = _dataset_or_404(dataset_id)
    if not can_manage(ds, current_user):
        raise Forbidden(_("只有本部门数据官或平台运营可以修改该目录。"))
    if request.method == "GET":
        values = {"title": ds.title, "summary": ds.summary, "category": ds.category.code if ds.category else "",
                  "tags": ", ".join(ds.tags), "formats": ", ".join(ds.formats),
                  "update_frequency": ds.update_frequency.value, "share_attribute": ds.share_attribute.value,
                  "open_attribute": ds.open_attribute.value, "level": str(ds.level),
                  "delivery_modes": ds.delivery_modes, "price": ds.price if ds.price is not None else "",
                  "items": [{"name": i.name, "type": i.type, "description": i.description, "sensitive": i.sensitive}
                            for i in ds.items]}
        return render_template("catalog/form.html", **_form_context(ds, values))
    data = _form_data()
    try:
        loaded = DatasetInput().load(data)
        services.update_dataset(ds, loaded, actor=current_user)
    except ValidationError as exc:
        db.session.rollback()
        return render_template("catalog/form.html", **_form_context(ds, _values_from(data), _flatten(exc.messages))), 422
    except MarketError as exc:
        db.session.rollback()
        errors = {k: v[0] for k, v in exc.fields.items()} or {"form": exc.message}
        return render_template("catalog/form.html", **_form_context(ds, _values_from(data), errors)), exc.status
    db.session.commit()
    flash(_("已保存修改。"), "success")
    return redirect(url_for("catalog.detail", dataset_id=ds.id))


@bp.post("/datasets/<int:dataset_id>/publish")
@require_roles(Role.officer, Role.operator)
def publish(dataset_id: int):
    ds = _dataset_or_404(dataset_id)
    try:
        services.publish_dataset(ds, actor=current_user)
    except MarketError as exc:
        if isinstance(exc, Forbidden):
            raise
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("catalog.detail", dataset_id=dataset_id)), 303
    db.session.commit()
    flash(_("目录已发布，已在数据超市上架。"), "success")
    return redirect(url_for("catalog.detail", dataset_id=ds.id))


@bp.post("/datasets/<int:dataset_id>/retire")
@require_roles(Role.officer, Role.operator)
def retire(dataset_id: int):
    ds = _dataset_or_404(dataset_id)
    try:
        services.retire_dataset(ds, actor=current_user, reason=request.form.get("reason", "")[:500])
    except MarketError as exc:
        if isinstance(exc, Forbidden):
            raise
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("catalog.detail", dataset_id=dataset_id)), 303
    db.session.commit()
    flash(_("目录已下架。"), "success")
    return redirect(url_for("catalog.detail", dataset_id=ds.id))


@bp.get("/datasets/<int:dataset_id>/history")
@require_roles(Role.officer, Role.operator)
def history(dataset_id: int):
    ds = _dataset_or_404(dataset_id)
    if not can_manage(ds, current_user):
        raise Forbidden(_("只有本部门数据官或平台运营可以查看修改历史。"))
    # the change rows store category/department ids: name them for the reader
    names = {"category_id": dict(db.session.execute(select(Category.id, Category.name)).all()),
             "department_id": dict(db.session.execute(select(Department.id, Department.name)).all())}
    return render_template("catalog/history.html", ds=ds, names=names)


from . import compare as _compare  # noqa: F401  (registers /compare on this blueprint)
