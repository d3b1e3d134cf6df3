"""Data standards (数据元): standard element name, code, type and description that data items reference."""

from __future__ import annotations

import re

from flask_babel import gettext as _
from sqlalchemy import func, or_, select, update

from catalog.models import DataItem, Dataset
from catalog.schemas import ITEM_TYPES
from market.db import db
from market.errors import ValidationFailed

from .models import DataStandard
from .services import like_pattern, paged, record_change, save_versioned

CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,39}$")
PER_PAGE = 50
USAGE_LIMIT = 50


def standard_json(s: DataStandard | None):
    if s is None:
        return None
    return {"code": s.code, "name": s.name, "type": s.type, "max_length": s.max_length,
            "description": s.description, "source": s.source}


def clean_standard(data) -> dict:
    errors: dict[str, list[str]] = {}
    code = (data.get("code") or "").strip()
    name = " ".join((data.get("name") or "").split())
    typ = (data.get("type") or "string").strip()
    raw_len = (data.get("max_length") or "").strip() if isinstance(data.get("max_length"), str) \
        else data.get("max_length")
    description = (data.get("description") or "").strip()
    source = " ".join((data.get("source") or "").split())
    if not CODE.match(code):
        errors["code"] = [_("编码为 1–40 位字母、数字或 . _ / -，例如 DE0001 或 GB/T-7408")]
    if not name:
        errors["name"] = [_("请填写标准名称")]
    elif len(name) > 100:
        errors["name"] = [_("标准名称最多 100 个字")]
    if typ not in ITEM_TYPES:
        errors["type"] = [_("请选择数据类型：%(t)s", t="、".join(ITEM_TYPES))]
    max_length = None
    if raw_len not in (None, ""):
        try:
            max_length = int(raw_len)
            if not 1 <= max_length <= 100000:
                raise ValueError
        except (TypeError, ValueError):
            errors["max_length"] = [_("最大长度应为 1–100000 的整数，或留空")]
    if len(description) > 2000:
        errors["description"] = [_("说明最多 2000 个字")]
    if len(source) > 200:
        errors["source"] = [_("依据最多 200 个字")]
    if errors:
        raise ValidationFailed(_("数据元有误：%(e)s", e="；".join(v[0] for v in errors.values())), fields=errors)
    return {"code": code, "name": name, "type": typ, "max_length": max_length, "description": description,
            "source": source}


def save_standard(std: DataStandard | None, data, *, actor, reason: str) -> DataStandard:
    return save_versioned(DataStandard, std, clean_standard(data), rule_set="standards", unique="code",
                          to_json=standard_json, actor=actor, reason=reason,
                          taken=_("编码“%(v)s”已被数据元“%(o)s”使用。", v="{value}", o="{other.name}"))


def delete_standard(std: DataStandard, *, actor, reason: str) -> int:
    """Delete a standard; data items that referenced it keep their own name and type. Returns how many."""
    n = db.session.execute(update(DataItem).where(DataItem.standard_id == std.id).values(standard_id=None)
                           .execution_options(synchronize_session=False)).rowcount
    record_change("standards", std.code, "deleted", {**standard_json(std), "items": n}, None,
                  actor=actor, reason=reason)
    db.session.delete(std)
    db.session.flush()
    return n


def link_same_name(std: DataStandard, *, actor, reason: str) -> int:
    """Reference ``std`` from every data item named exactly like it that references no standard yet."""
    n = db.session.execute(update(DataItem).where(DataItem.name == std.name, DataItem.standard_id.is_(None))
                           .values(standard_id=std.id).execution_options(synchronize_session=False)).rowcount
    if n:
        record_change("standards", std.code, "linked", None, {"name": std.name, "items": n},
                      actor=actor, reason=reason)
    return n


def usage(std: DataStandard) -> tuple[int, int, list[Dataset]]:
    """(items referencing it, same-name items not yet linked, up to USAGE_LIMIT entries using it)."""
    linked = db.session.scalar(select(func.count()).select_from(DataItem).where(DataItem.standard_id == std.id))
    unlinked = db.session.scalar(select(func.count()).select_from(DataItem).where(
        DataItem.name == std.name, DataItem.standard_id.is_(None)))
    datasets = db.session.scalars(select(Dataset).where(Dataset.id.in_(
        select(DataItem.dataset_id).where(DataItem.standard_id == std.id))).order_by(Dataset.title)
        .limit(USAGE_LIMIT)).all()
    return linked or 0, unlinked or 0, list(datasets)


def standard_page(q: str = "", page: int = 1) -> tuple[list[DataStandard], int]:
    stmt = select(DataStandard).order_by(DataStandard.code)
    if q:
        pat = like_pattern(q.strip()[:100])
        stmt = stmt.where(or_(DataStandard.code.ilike(pat, escape="\\"), DataStandard.name.ilike(pat, escape="\\")))
    return paged(stmt, page, PER_PAGE)
