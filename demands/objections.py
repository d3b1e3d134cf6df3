"""Quality objections (数据异议): filed against an entry, one of its data items, or a delivered copy
(a grant); routed to the owning department's officers with a deadline; answered with corrected in
version N / explained / rejected. A correction is announced to everyone who holds the data (every
active grant of the entry). Nothing here commits: the caller does."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select, update

from audit import record_event
from catalog.models import Dataset
from catalog.permissions import can_view
from market.auth.models import User
from market.db import db, utcnow
from market.errors import Conflict, Forbidden, NotFound, ValidationFailed
from notify.services import notify
from orders.deadlines import due_at
from orders.models import Grant, RequestLine
from orders.state import LineState

from . import permissions as perm
from .models import Objection
from .services import officers_of
from .state import OBJECTION_WORKING_DAYS, ObjectionKind, ObjectionOutcome, ObjectionState

MAX_PER_PAGE = 100


def link(obj: Objection) -> str:
    return f"/objections/{obj.id}"


def create_objection(user, data: dict) -> Objection:
    """File an objection; the owning department's officers are told and have ``OBJECTION_WORKING_DAYS``."""
    if not perm.can_post(user):
        raise Forbidden(_("请先登录再提出数据异议。"))
    grant = None
    if data.get("grant_id"):
        grant = db.session.get(Grant, data["grant_id"])
        if grant is None or grant.user_id != user.id:
            raise ValidationFailed(_("只能对自己收到的数据副本提出异议。"),
                                   fields={"grant_id": [_("不是您的授权")]})
        dataset = grant.dataset
    else:
        dataset = db.session.get(Dataset, data.get("dataset_id") or 0)
        if dataset is None or not can_view(dataset, user):
            raise ValidationFailed(_("请选择要提出异议的目录。"), fields={"dataset_id": [_("目录不存在或无权查看")]})
    item = (data.get("item_name") or "").strip() or None
    if item is not None and item not in {i.name for i in dataset.items}:
        raise ValidationFailed(_("目录“%(t)s”没有信息项“%(i)s”。", t=dataset.title, i=item),
                               fields={"item_name": [_("信息项不存在")]})
    kind = ObjectionKind(data["kind"])
    if kind == ObjectionKind.inconsistent and not data.get("other_source"):
        raise ValidationFailed(_("请说明与哪个来源不一致。"), fields={"other_source": [_("“与其他来源不一致”时必填")]})
    now = utcnow()
    obj = Objection(dataset_id=dataset.id, item_name=item, grant_id=grant.id if grant else None,
                    department_id=dataset.department_id, kind=kind, description=data["description"],
                    other_source=data.get("other_source", ""), raised_by_id=user.id,
                    state=ObjectionState.open, created_at=now, due_at=due_at(now, OBJECTION_WORKING_DAYS))
    db.session.add(obj)
    db.session.flush()
    record_event("objection.opened", "objection", obj.id, actor=user,
                 payload={"dataset": dataset.id, "item": item, "grant": obj.grant_id, "kind": kind.value,
                          "department": dataset.department.code})
    notify(officers_of(dataset.department_id), "objection.opened",
           _("数据异议待处理：%(t)s", t=dataset.title),
           _("请在 %(d)s 前答复。", d=obj.due_at.strftime("%Y-%m-%d")) + "\n" + obj.description, link(obj))
    return obj


def get_objection(objection_id: int, user) -> Objection:
    obj = db.session.get(Objection, objection_id)
    if obj is None or not perm.can_view_objection(obj, user):
        raise NotFound(_("没有找到该异议，或您无权查看。"))
    return obj


def list_objections(user, *, dataset_id: int | None = None, state: str | None = None, scope: str = "all",
                    page: int = 1, per_page: int = 20) -> tuple[list[Objection], int]:
    """Objections the user may see: operators all, officers their department's and their own, others their own.
    ``scope="todo"``: open objections the user must answer."""
    from sqlalchemy import func, or_

    per_page = max(1, min(per_page, MAX_PER_PAGE))
    stmt = select(Objection)
    if not user.is_operator:
        visible = [Objection.raised_by_id == user.id]
        if user.role == "officer":
            visible.append(Objection.department_id == user.department_id)
        stmt = stmt.where(or_(*visible))
    if scope == "todo":
        stmt = stmt.where(Objection.state == ObjectionState.open)
        if not user.is_operator:
            stmt = stmt.where(Objection.department_id == (user.department_id if user.role == "officer" else -1))
    elif scope == "mine":
        stmt = stmt.where(Objection.raised_by_id == user.id)
    if dataset_id:
        stmt = stmt.where(Objection.dataset_id == dataset_id)
    if state:
        stmt = stmt.where(Objection.state == state)
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = db.session.scalars(stmt.order_by(Objection.created_at.desc(), Objection.id.desc())
                              .limit(per_page).offset((max(page, 1) - 1) * per_page)).all()
    return list(rows), total


def holders(dataset_id: int) -> list[User]:
    """Everyone who holds the entry's data now: users with a grant whose line is still granted."""
    return list(db.session.scalars(
        select(User).join(Grant, Grant.user_id == User.id).join(RequestLine, RequestLine.id == Grant.line_id)
        .where(Grant.dataset_id == dataset_id, RequestLine.state == LineState.granted)
        .distinct().order_by(User.id).limit(5000)))


def answer_objection(obj: Objection, user, *, outcome: str, comment: str = "", version: str = "") -> Objection:
    """Corrected in version N (holders are told) / explained / rejected with a reason."""
    if not user.is_officer_of(obj.department_id):
        raise Forbidden(_("只有数源部门数据官可以答复异议。"))
    outcome = ObjectionOutcome(outcome)
    version = (version or "").strip()
    if outcome == ObjectionOutcome.corrected and not version:
        raise ValidationFailed(_("请填写已更正的版本号。"), fields={"version": [_("“已更正”时必填")]})
    if outcome != ObjectionOutcome.corrected and not comment:
        raise ValidationFailed(_("请说明理由。"), fields={"comment": [_("“已解释”或“驳回”时必填")]})
    to = ObjectionState(outcome.value)
    done = db.session.execute(
        update(Objection).where(Objection.id == obj.id, Objection.state == ObjectionState.open)
        .values(state=to, outcome=outcome, answer=comment, corrected_version=version,
                answered_by_id=user.id, answered_at=utcnow())
        .execution_options(synchronize_session=False)).rowcount
    if done != 1:
        raise Conflict(_("该异议已答复。"), code="objection_answered")
    db.session.refresh(obj)
    told = []
    if outcome == ObjectionOutcome.corrected:
        told = [u for u in holders(obj.dataset_id) if u.id != obj.raised_by_id]
        notify(told, "objection.corrected",
               _("您持有的数据已更正：%(t)s（版本 %(v)s）", t=obj.dataset.title, v=version),
               _("更正原因：%(d)s", d=obj.description) + (f"\n{comment}" if comment else ""),
               f"/datasets/{obj.dataset_id}")
        obj.notified_holders = len(told)
    record_event(f"objection.{to.value}", "objection", obj.id, actor=user,
                 payload={"outcome": outcome.value, "version": version, "notified": len(told)})
    labels = {ObjectionOutcome.corrected: _("已更正"), ObjectionOutcome.explained: _("已解释"),
              ObjectionOutcome.rejected: _("已驳回")}
    notify([obj.raised_by], f"objection.{to.value}",
           _("您的数据异议%(o)s：%(t)s", o=labels[outcome], t=obj.dataset.title), comment, link(obj))
    return obj
