"""Catalog operations. Views, the JSON API, the CLI, the importer and the demo seed all call these."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from blinker import signal
from flask_babel import gettext as _
from sqlalchemy import func, select

from market.db import db
from market.errors import Conflict, Forbidden, ValidationFailed

from .models import Category, DataItem, Dataset, DatasetChange, DatasetTag, Department
from .permissions import can_create_in, can_manage
from .vocab import DatasetStatus

# Sent inside the publishing transaction after an entry is published (``sender`` is the Dataset,
# ``actor=`` the user); receivers (e.g. demands closing fulfilled demands) act in the same transaction.
dataset_published = signal("catalog.dataset-published")

TRACKED = ("title", "summary", "category_id", "department_id", "update_frequency", "share_attribute",
           "open_attribute", "level", "delivery_modes", "price", "tags", "formats", "items")
MASK = "****"


def _jsonable(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    if hasattr(value, "value"):
        return value.value
    return value


def _snapshot(ds: Dataset) -> dict:
    snap = {k: _jsonable(getattr(ds, k)) for k in TRACKED if k != "items"}
    snap["items"] = [[i.name, i.type, i.sensitive] for i in ds.items]
    return snap


def record_change(ds: Dataset, action: str, *, actor=None, changes: dict | None = None) -> DatasetChange:
    """Append one row to the entry's change history."""
    if ds.id is None:
        db.session.flush()
    row = DatasetChange(dataset_id=ds.id, actor_id=getattr(actor, "id", None), action=action, changes=changes or {})
    db.session.add(row)
    return row


def _resolve(model, code: str | None, field: str) -> object | None:
    if code is None:
        return None
    obj = db.session.scalar(select(model).where(model.code == code))
    if obj is None:
        raise ValidationFailed(f"{field}: unknown code '{code}'", fields={field: [f"unknown code '{code}'"]})
    return obj


def next_code(department: Department) -> str:
    """The next free catalog code of a department: <DEPT>-<5 digits>."""
    prefix = f"{department.code}-"
    count = db.session.scalar(select(func.count()).select_from(Dataset).where(Dataset.code.like(prefix + "%")))
    n = (count or 0) + 1
    while db.session.scalar(select(Dataset.id).where(Dataset.code == f"{prefix}{n:05d}")):
        n += 1
    return f"{prefix}{n:05d}"


def _apply(ds: Dataset, data: dict) -> None:
    simple = ("title", "summary", "update_frequency", "share_attribute", "open_attribute", "level", "price")
    for key in simple:
        if key in data:
            setattr(ds, key, data[key])
    if "delivery_modes" in data:
        ds.delivery_modes = [m.value for m in data["delivery_modes"]]
    if "category" in data:
        ds.category = _resolve(Category, data["category"], "category")
        ds.category_id = ds.category.id if ds.category else None  # the change history compares ids before flush
    if "tags" in data:
        ds.tags = data["tags"]
    if "formats" in data:
        ds.formats = data["formats"]
    if "items" in data:
        # reuse rows by name: a fresh row with a kept name would be inserted before the old one is
        # deleted and break the (dataset_id, name) unique constraint
        existing = {i.name: i for i in ds.items}
        rows = []
        for n, item in enumerate(data["items"]):
            row = existing.pop(item["name"], None) or DataItem()
            for key, value in {"position": n, **item}.items():
                setattr(row, key, value)
            rows.append(row)
        ds.items = rows


def check_invariants(ds: Dataset) -> None:
    """Rules that hold for the entry as a whole, whichever fields an edit touched."""
    errors = {}
    if ds.level == 4 and "download" in (ds.delivery_modes or []):
        errors["delivery_modes"] = [_("四级（高度敏感）数据不能批量下载，只能授权查询或接口调用")]
    if ds.share_attribute == "none" and ds.open_attribute != "closed":
        errors["open_attribute"] = [_("不予共享的数据不能对社会开放")]
    if errors:
        raise ValidationFailed("; ".join(v[0] for v in errors.values()), fields=errors)


def create_dataset(data: dict, *, actor) -> Dataset:
    """Create a draft entry in the actor's department (operators name the department)."""
    if actor.is_operator and data.get("department"):
        department = _resolve(Department, data["department"], "department")
    else:
        department = actor.department
    if department is None or not can_create_in(department.id, actor):
        raise Forbidden(_("只有本部门数据官或平台运营可以创建目录。"))
    ds = Dataset(code=next_code(department), status=DatasetStatus.draft, department_id=department.id)
    with db.session.no_autoflush:
        _apply(ds, data)
    check_invariants(ds)
    db.session.add(ds)
    db.session.flush()
    record_change(ds, "created", actor=actor, changes={"after": _snapshot(ds)})
    return ds


def update_dataset(ds: Dataset, data: dict, *, actor) -> Dataset:
    """Apply an edit and record which fields changed (old → new)."""
    if not can_manage(ds, actor):
        raise Forbidden(_("只有本部门数据官或平台运营可以修改该目录。"))
    if ds.status == DatasetStatus.retired:
        raise Conflict(_("已下架的目录不能修改。"), code="retired")
    data = {k: v for k, v in data.items() if k != "department"}
    before = _snapshot(ds)
    with db.session.no_autoflush:
        _apply(ds, data)
    check_invariants(ds)
    after = _snapshot(ds)
    diff = {k: [before[k], after[k]] for k in after if before[k] != after[k]}
    if diff:
        db.session.flush()
        record_change(ds, "updated", actor=actor, changes=diff)
    return ds


def publish_dataset(ds: Dataset, *, actor) -> Dataset:
    """draft → published (retired entries can be published again)."""
    if not can_manage(ds, actor):
        raise Forbidden(_("只有本部门数据官或平台运营可以发布该目录。"))
    if ds.status == DatasetStatus.published:
        raise Conflict(_("该目录已经发布。"), code="already_published")
    missing = [f for f in ("summary",) if not getattr(ds, f)]
    if not ds.items:
        missing.append("items")
    if missing:
        raise ValidationFailed(_("发布前请补全：%(f)s", f=", ".join(missing)),
                               fields={f: [_("发布前必填")] for f in missing})
    old = ds.status.value
    ds.status = DatasetStatus.published
    ds.published_at = ds.published_at or date.today()
    record_change(ds, "published", actor=actor, changes={"status": [old, "published"]})
    dataset_published.send(ds, actor=actor)
    return ds


def retire_dataset(ds: Dataset, *, actor, reason: str = "") -> Dataset:
    """published → retired: hidden from the shop, kept for history."""
    if not can_manage(ds, actor):
        raise Forbidden(_("只有本部门数据官或平台运营可以下架该目录。"))
    if ds.status != DatasetStatus.published:
        raise Conflict(_("只有已发布的目录可以下架。"), code="not_published")
    ds.status = DatasetStatus.retired
    record_change(ds, "retired", actor=actor, changes={"status": ["published", "retired"], "reason": reason})
    return ds


def masked_sample(ds: Dataset) -> tuple[list[str], list[list[str]]]:
    """Sample preview rows with every sensitive data item's values masked."""
    names = [i.name for i in ds.items]
    sensitive = {i.name for i in ds.items if i.sensitive}
    rows = []
    for row in (ds.sample or [])[:10]:
        rows.append([MASK if n in sensitive and row.get(n) not in (None, "") else str(row.get(n, "")) for n in names])
    return names, rows


def related_datasets(ds: Dataset, *, limit: int = 6, open_only: bool = False) -> list[Dataset]:
    """Published entries sharing the category or a tag, most requested first."""
    stmt = select(Dataset).where(Dataset.id != ds.id, Dataset.status == DatasetStatus.published)
    if open_only:
        stmt = stmt.where(Dataset.open_attribute != "closed")
    tags = ds.tags
    conds = []
    if ds.category_id:
        conds.append(Dataset.category_id == ds.category_id)
    if tags:
        conds.append(Dataset.id.in_(select(DatasetTag.dataset_id).where(DatasetTag.name.in_(tags))))
    if not conds:
        conds.append(Dataset.department_id == ds.department_id)
    from sqlalchemy import or_

    stmt = stmt.where(or_(*conds)).order_by(Dataset.request_count.desc(), Dataset.id).limit(limit)
    return list(db.session.scalars(stmt))
