"""Who may receive which columns of an entry, by which delivery mode, and how a copy is prepared:
only granted items, sensitive items masked unless granted, level 4 never in bulk, and every row handed
out under a grant — download, records API page, authorised query answer — passed through the watermark
hook (``watermark.mark_rows``, via :func:`hand_out`) when that package is present."""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from flask_babel import gettext as _

from catalog.models import Dataset
from catalog.permissions import can_manage, can_view
from catalog.vocab import DatasetStatus, OpenAttribute
from market.db import db, utcnow
from market.errors import Forbidden, NotFound

SENSITIVE_MASK = "*"


@dataclass(frozen=True)
class Delivery:
    """What one caller receives of one entry."""

    dataset: Dataset
    columns: list[str]  # delivered items, in the entry's order
    masked: frozenset[str]  # delivered items whose values are masked
    grant_id: int | None = None
    basis: str = "grant"  # grant, open, owner


def mask_value(value):
    """Keep a hint of the shape, hide the content: 32021319900101123X → 3202**********123X, 张伟 → 张*."""
    if value is None or value == "":
        return value
    text = str(value)
    if len(text) <= 2:
        return text[0] + SENSITIVE_MASK
    if len(text) <= 6:
        return text[0] + SENSITIVE_MASK * (len(text) - 2) + text[-1]
    keep = max(1, len(text) // 4)
    return text[:keep] + SENSITIVE_MASK * (len(text) - 2 * keep) + text[-keep:]


def apply_mask(rows: Iterable[dict], masked: frozenset[str]) -> Iterator[dict]:
    if not masked:
        yield from rows
        return
    for row in rows:
        yield {k: (mask_value(v) if k in masked else v) for k, v in row.items()}


def watermark(grant_id: int | None, dataset_id: int, columns: list[str], rows: Iterable[dict]) -> Iterable[dict]:
    """Pass a copy made under a grant through ``watermark.mark_rows`` when the package is installed."""
    if grant_id is None or importlib.util.find_spec("watermark") is None:
        return rows
    mark_rows = getattr(importlib.import_module("watermark"), "mark_rows", None)
    return rows if mark_rows is None else mark_rows(grant_id, dataset_id, list(columns), rows)


def dataset_or_404(dataset_id: int, user) -> Dataset:
    dataset = db.session.get(Dataset, dataset_id)
    if dataset is None or not can_view(dataset, user):
        raise NotFound(_("没有找到编号为 %(id)s 的数据目录，或您无权查看。", id=dataset_id))
    return dataset


def _ordered(dataset: Dataset, names: Iterable[str]) -> list[str]:
    wanted = set(names)
    return [i.name for i in dataset.items if i.name in wanted]


def _sensitive(dataset: Dataset) -> set[str]:
    return {i.name for i in dataset.items if i.sensitive}


def grant_problem(grant) -> str | None:
    """Why a grant cannot be used right now (expired, revoked, ended), or None."""
    state = str(grant.line.state)
    if state == "revoked":
        return _("该授权已被撤销，不能再获取数据。如仍需使用，请重新申请。")
    if state == "expired" or grant.expires_at <= utcnow():
        return _("该授权已于 %(d)s 到期，不能再获取数据。请在“我的授权”中申请续期。",
                 d=grant.expires_at.strftime("%Y-%m-%d"))
    if state != "granted":
        return _("该授权当前状态为“%(s)s”，不能获取数据。", s=state)
    return None


def for_grant(grant, user, mode: str) -> Delivery:
    """The delivery a grant allows its holder by ``mode`` (download, api, query); 403/404 with the reason."""
    if grant is None or user is None or grant.user_id != getattr(user, "id", None):
        raise NotFound(_("没有找到该授权，或它不属于您。"))
    problem = grant_problem(grant)
    if problem:
        raise Forbidden(problem, code="grant_inactive")
    dataset = grant.dataset
    if mode not in (grant.delivery_modes or []):
        raise Forbidden(_("该授权不包含“%(m)s”交付方式（可用：%(ok)s）。", m=mode,
                          ok="、".join(grant.delivery_modes or []) or "—"), code="mode_not_granted")
    if mode in ("download", "api") and dataset.level >= 4:
        raise Forbidden(_("四级数据不提供批量下载或整表接口，只能通过授权查询获取匹配记录。"), code="level4_no_bulk")
    if dataset.status != DatasetStatus.published:
        raise Forbidden(_("该数据目录已下架，暂停交付。"), code="dataset_retired")
    # only granted items are delivered, so sensitive items among them appear in the clear
    return Delivery(dataset, _ordered(dataset, grant.fields), frozenset(), grant.id, "grant")


def active_grant(user, dataset_id: int, mode: str | None = None):
    """The caller's newest usable grant for an entry (with delivery ``mode`` if given), or None."""
    from sqlalchemy import select

    from orders.models import Grant, RequestLine

    if user is None or not getattr(user, "is_authenticated", False):
        return None
    grants = db.session.scalars(
        select(Grant).join(RequestLine).where(Grant.user_id == user.id, Grant.dataset_id == dataset_id,
                                              RequestLine.state == "granted", Grant.expires_at > utcnow())
        .order_by(Grant.id.desc()))
    return next((g for g in grants if mode is None or mode in (g.delivery_modes or [])), None)


def for_entry(dataset: Dataset, user, mode: str) -> Delivery:
    """The delivery of an entry without naming a grant: owners and operators get all items; anyone gets
    open entries (sensitive items masked); otherwise the caller's active grant with that mode."""
    if mode in ("download", "api") and dataset.level >= 4:
        raise Forbidden(_("四级数据不提供批量下载或整表接口，只能通过授权查询获取匹配记录。"), code="level4_no_bulk")
    names = [i.name for i in dataset.items]
    if can_manage(dataset, user):
        return Delivery(dataset, names, frozenset(), None, "owner")
    grant = active_grant(user, dataset.id, mode)
    if grant is not None:
        return for_grant(grant, user, mode)
    if dataset.status == DatasetStatus.published and dataset.open_attribute == OpenAttribute.open:
        return Delivery(dataset, names, frozenset(_sensitive(dataset)), None, "open")
    raise Forbidden(_("该数据不是无条件开放数据，需要有效授权才能获取；请将其加入数据篮提交申请。"),
                    code="grant_required")


def hand_out(delivery: Delivery, rows: Iterable[dict]) -> Iterable[dict]:
    """Stored rows as ``delivery`` hands them out, whatever the path (file, records page, query answer):
    masked where required, and watermarked under a grant (never for owner or open copies).

    Each row must carry every column of ``delivery.columns`` — the same row a download of that grant
    holds — so a row gets the same marks in an API page or a query answer as in the file; callers
    that deliver fewer columns (``fields=``) pick them out of the result afterwards."""
    return watermark(delivery.grant_id, delivery.dataset.id, delivery.columns, apply_mask(rows, delivery.masked))


def delivered_rows(delivery: Delivery) -> Iterable[dict]:
    """The rows of a copy: granted columns only, masked where required, watermarked under a grant."""
    from .store import iter_rows

    return hand_out(delivery, iter_rows(delivery.dataset.id, delivery.columns))
