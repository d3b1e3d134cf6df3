"""Scenario bundles: operators curate them; pages offer them where an entry or the cart belongs to one."""

from __future__ import annotations

from collections import Counter

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from audit import record_event
from catalog.models import Dataset
from market.db import db
from market.errors import Conflict, Forbidden, NotFound, ValidationFailed

from .cache import bundle_membership
from .models import MAX_BUNDLE_ITEMS, Bundle, BundleItem

MAX_NAME = 100
MAX_DESCRIPTION = 1000


def get_bundle(bundle_id: int) -> Bundle:
    bundle = db.session.get(Bundle, bundle_id) if bundle_id < 2**63 else None
    if bundle is None:
        raise NotFound(_("没有找到编号为 %(id)s 的场景套餐。", id=bundle_id))
    return bundle


def list_bundles(*, include_inactive: bool = False) -> list[Bundle]:
    stmt = select(Bundle).order_by(Bundle.position, Bundle.id)
    if not include_inactive:
        stmt = stmt.where(Bundle.active.is_(True))
    return list(db.session.scalars(stmt))


def _resolve_codes(codes: list[str]) -> list[Dataset]:
    codes = [c.strip() for c in codes if c and c.strip()]
    codes = list(dict.fromkeys(codes))
    if len(codes) < 2:
        raise ValidationFailed(_("场景套餐至少包含 2 个数据目录。"), fields={"datasets": ["at least 2 entry codes"]})
    if len(codes) > MAX_BUNDLE_ITEMS:
        raise ValidationFailed(_("场景套餐最多包含 %(n)s 个数据目录。", n=MAX_BUNDLE_ITEMS),
                               fields={"datasets": [f"at most {MAX_BUNDLE_ITEMS}"]})
    found = {d.code: d for d in db.session.scalars(select(Dataset).where(Dataset.code.in_(codes)))}
    unknown = [c for c in codes if c not in found]
    if unknown:
        raise ValidationFailed(_("没有这些目录编码：%(c)s", c="、".join(unknown)),
                               fields={"datasets": [f"unknown code: {c}" for c in unknown]})
    return [found[c] for c in codes]


def save_bundle(bundle: Bundle | None, *, user, name: str, description: str, codes: list[str],
                active: bool = True) -> Bundle:
    """Create (bundle None) or replace a bundle from entry codes, in order."""
    if not user.is_operator:
        raise Forbidden(_("只有平台运营可以维护场景套餐。"), code="not_operator")
    name = (name or "").strip()
    if not name or len(name) > MAX_NAME:
        raise ValidationFailed(_("请填写套餐名称（最多 %(n)s 字）。", n=MAX_NAME), fields={"name": ["1–100 characters"]})
    description = (description or "").strip()
    if len(description) > MAX_DESCRIPTION:
        raise ValidationFailed(_("说明最多 %(n)s 字。", n=MAX_DESCRIPTION), fields={"description": ["too long"]})
    datasets = _resolve_codes(codes)
    clash = db.session.scalar(select(Bundle.id).where(Bundle.name == name))
    if clash is not None and (bundle is None or clash != bundle.id):
        raise Conflict(_("已有同名的场景套餐“%(n)s”。", n=name), code="bundle_exists", fields={"name": ["taken"]})
    created = bundle is None
    if created:
        position = (db.session.scalar(select(func.max(Bundle.position))) or 0) + 1
        bundle = Bundle(position=position)
        db.session.add(bundle)
    bundle.name, bundle.description, bundle.active, bundle.updated_by_id = name, description, active, user.id
    bundle.items.clear()
    db.session.flush()
    bundle.items.extend(BundleItem(dataset_id=d.id, position=n) for n, d in enumerate(datasets))
    db.session.flush()
    record_event("bundle.created" if created else "bundle.updated", "bundle", bundle.id, actor=user,
                 payload={"name": name, "datasets": [d.id for d in datasets], "active": active})
    return bundle


def delete_bundle(bundle: Bundle, *, user) -> None:
    if not user.is_operator:
        raise Forbidden(_("只有平台运营可以维护场景套餐。"), code="not_operator")
    record_event("bundle.deleted", "bundle", bundle.id, actor=user, payload={"name": bundle.name})
    db.session.delete(bundle)
    db.session.flush()


def bundles_with(dataset_ids: list[int], limit: int = 3) -> list[Bundle]:
    """Active bundles containing any of these entries, the ones sharing most first."""
    if not dataset_ids:
        return []
    members = bundle_membership()  # no query for the many entries in no bundle
    shared = Counter(b for ds_id in set(dataset_ids) for b in members.get(ds_id, ()))
    rows = sorted(shared.items(), key=lambda r: (-r[1], r[0]))[:limit]
    if not rows:
        return []
    # the panels show each item's entry title and department: not its tags and formats
    items = selectinload(Bundle.items).joinedload(BundleItem.dataset)
    by_id = {b.id: b for b in db.session.scalars(
        select(Bundle).where(Bundle.id.in_([r[0] for r in rows]), Bundle.active.is_(True))
        .options(items.lazyload(Dataset.tag_rows), items.lazyload(Dataset.format_rows)))}
    return [by_id[r[0]] for r in rows if r[0] in by_id]


def dump_bundle(bundle: Bundle, *, visible=lambda ds: True) -> dict:
    return {"id": bundle.id, "name": bundle.name, "description": bundle.description, "active": bundle.active,
            "datasets": [{"id": i.dataset.id, "code": i.dataset.code, "title": i.dataset.title}
                         for i in bundle.items if visible(i.dataset)]}
