"""Compare (对比): two to four catalog entries side by side.

A comparison lives in the URL (``/compare?ids=3,8,21``) so it can be shared; a visitor collects entries
in a small tray kept in the session ("加入对比" on cards and product pages) and opens the tray's comparison.
Only entries the viewer may see are shown (``permissions.can_view``): an id that does not exist and an id
the viewer may not see are dropped alike, so the page never tells them apart.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from market.db import db
from market.errors import BadRequest
from market.security import is_safe_path

from .models import Dataset
from .permissions import can_view, request_block_reason
from .views import bp

MAX_ENTRIES = 4
MIN_ENTRIES = 2
MAX_ID = 2**31 - 1
MAX_IDS_PARAM = 120  # characters of ?ids= accepted (4 ids need far fewer)
SESSION_KEY = "compare_tray"


def parse_ids(raw: str | None) -> tuple[list[int], bool]:
    """``"3, 8,3,21"`` → ``([3, 8, 21], truncated)``: distinct ids in order, at most MAX_ENTRIES.

    Raises BadRequest for anything that is not a comma-separated list of positive integers."""
    raw = (raw or "").strip()
    if not raw:
        return [], False
    if len(raw) > MAX_IDS_PARAM:
        raise BadRequest(_("对比参数过长：ids 最多包含 %(n)s 个目录编号。", n=MAX_ENTRIES), fields={"ids": ["too long"]})
    ids: list[int] = []
    for token in raw.split(","):
        token = token.strip()
        if not token:
            continue
        if not token.isdigit() or not 0 < int(token) <= MAX_ID:
            raise BadRequest(_("对比参数无效：ids 应为以逗号分隔的目录编号，例如 ids=3,8。"),
                             fields={"ids": ["not a list of ids"]})
        if int(token) not in ids:
            ids.append(int(token))
    return ids[:MAX_ENTRIES], len(ids) > MAX_ENTRIES


def visible_entries(ids: list[int], user) -> list[Dataset]:
    """The entries among ``ids`` that ``user`` may see, in the order given."""
    if not ids:
        return []
    rows = db.session.scalars(select(Dataset).where(Dataset.id.in_(ids)).options(
        selectinload(Dataset.items), selectinload(Dataset.department), selectinload(Dataset.category))).all()
    by_id = {d.id: d for d in rows if can_view(d, user)}
    return [by_id[i] for i in ids if i in by_id]


@dataclass
class ItemRow:
    """One data item name across the compared entries: per entry the item (or None when it lacks it)."""

    name: str
    cells: list = field(default_factory=list)

    @property
    def shared_by_all(self) -> bool:
        return all(c is not None for c in self.cells)

    @property
    def sensitive(self) -> bool:
        return any(c is not None and c.sensitive for c in self.cells)


def align_items(entries: list[Dataset]) -> list[ItemRow]:
    """Data items aligned by name (trimmed), in order of first appearance; items all entries share first."""
    rows: dict[str, ItemRow] = {}
    for col, ds in enumerate(entries):
        for item in ds.items:
            key = (item.name or "").strip()
            row = rows.setdefault(key, ItemRow(key, [None] * len(entries)))
            if row.cells[col] is None:
                row.cells[col] = item
    ordered = list(rows.values())
    return [r for r in ordered if r.shared_by_all] + [r for r in ordered if not r.shared_by_all]


def _quality(entries: list[Dataset]) -> list | None:
    """Quality scores from the demands package when it is enabled (its template global), else None."""
    fn = current_app.jinja_env.globals.get("demand_quality")
    return [fn(ds) for ds in entries] if fn else None


def tray_ids() -> list[int]:
    raw = session.get(SESSION_KEY) or []
    return [i for i in raw if isinstance(i, int)][:MAX_ENTRIES]


def _ids_param(ids: list[int]) -> str:
    return ",".join(str(i) for i in ids)


def _back(default: str) -> str:
    """Same-site relative targets only (no //host, no backslash tricks browsers read as //)."""
    target = request.form.get("next") or ""
    if len(target) <= 2000 and is_safe_path(target):
        return target
    return default


@bp.get("/compare")
def compare():
    raw = request.args.get("ids")
    from_tray = raw is None
    ids, truncated = (tray_ids(), False) if from_tray else parse_ids(raw)
    entries = visible_entries(ids, current_user)
    if from_tray and len(entries) != len(ids):  # the tray outlived a visibility change: forget the rest
        session[SESSION_KEY] = [d.id for d in entries]
    hidden = len(ids) - len(entries)
    tray = visible_entries(tray_ids(), current_user) if not from_tray else entries
    return render_template(
        "catalog/compare.html", entries=entries, items=align_items(entries), quality=_quality(entries),
        reasons=[request_block_reason(d, current_user) for d in entries], hidden=hidden, truncated=truncated,
        tray=tray, from_tray=from_tray, share_ids=_ids_param([d.id for d in entries]),
        max_entries=MAX_ENTRIES, min_entries=MIN_ENTRIES, ids_param=_ids_param([d.id for d in entries]),
        without=lambda ds_id: _ids_param([d.id for d in entries if d.id != ds_id]),
    )


@bp.post("/compare/add")
def compare_add():
    dataset_id = request.form.get("dataset_id", "")
    ds = db.session.get(Dataset, int(dataset_id)) if dataset_id.isdigit() and 0 < int(dataset_id) <= MAX_ID else None
    if ds is None or not can_view(ds, current_user):
        flash(_("没有找到该数据目录，或您无权查看。"), "error")
        return redirect(_back(url_for("catalog.compare"))), 303
    ids = tray_ids()
    if ds.id in ids:
        flash(_("“%(t)s”已在对比栏中（%(n)s/%(max)s）。", t=ds.title, n=len(ids), max=MAX_ENTRIES), "info")
    elif len(ids) >= MAX_ENTRIES:
        flash(_("对比栏最多放 %(max)s 个目录，请先在对比页移出一个。", max=MAX_ENTRIES), "error")
    else:
        ids.append(ds.id)
        session[SESSION_KEY] = ids
        flash(_("已将“%(t)s”加入对比栏（%(n)s/%(max)s）。", t=ds.title, n=len(ids), max=MAX_ENTRIES), "success")
    return redirect(_back(url_for("catalog.compare"))), 303


@bp.post("/compare/remove")
def compare_remove():
    dataset_id = request.form.get("dataset_id", "")
    ids = tray_ids()
    if dataset_id.isdigit() and int(dataset_id) in ids:
        ids.remove(int(dataset_id))
        session[SESSION_KEY] = ids
        flash(_("已移出对比栏。"), "success")
    return redirect(_back(url_for("catalog.compare"))), 303


@bp.post("/compare/clear")
def compare_clear():
    session.pop(SESSION_KEY, None)
    flash(_("已清空对比栏。"), "success")
    return redirect(_back(url_for("catalog.compare"))), 303
