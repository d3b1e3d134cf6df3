"""The demand lifecycle: post → (platform suggests departments) → operator routes → owner answers →
fulfilled when a linked entry is published. Every state change is a compare-and-set UPDATE (two people
acting at once produce one change; the loser gets 409), is written to the audit log, and tells the
parties through ``notify``. Nothing here commits: the caller does."""

from __future__ import annotations

from datetime import date, datetime, time

from flask_babel import gettext as _
from sqlalchemy import func, or_, select, update

from audit import record_event
from catalog.models import Dataset, Department
from catalog.permissions import can_view
from catalog.vocab import DatasetStatus
from market.auth.models import Role, User
from market.db import db, utcnow
from market.errors import Conflict, Forbidden, NotFound, ValidationFailed
from notify.services import notify
from orders.deadlines import due_at

from . import permissions as perm
from .models import Demand, DemandSupport
from .state import (
    ANSWER_WORKING_DAYS,
    OPEN_DEMAND_STATES,
    ROUTE_WORKING_DAYS,
    DemandOutcome,
    DemandState,
)
from .suggest import suggest_departments

MAX_PER_PAGE = 100
MAX_TERMS = 8


# --- helpers ----------------------------------------------------------------------------------------
def operators() -> list[User]:
    return list(db.session.scalars(select(User).where(User.role == Role.operator, User.active.is_(True))
                                   .order_by(User.id).limit(200)))


def officers_of(department_id: int | None) -> list[User]:
    if department_id is None:
        return []
    return list(db.session.scalars(select(User).where(User.role == Role.officer, User.active.is_(True),
                                                      User.department_id == department_id)
                                   .order_by(User.id).limit(200)))


def interested(demand: Demand) -> list[User]:
    """The requester and every "me too" user."""
    return [demand.requester, *(s.user for s in demand.supporters)]


def link(demand: Demand) -> str:
    return f"/demands/{demand.id}"


def _move(demand: Demand, to: DemandState, *, actor, from_states, action: str | None = None,
          payload: dict | None = None, **values) -> None:
    """Compare-and-set ``demand`` from one of ``from_states`` to ``to`` (plus column ``values``); audited."""
    done = db.session.execute(
        update(Demand).where(Demand.id == demand.id, Demand.state.in_(list(from_states)))
        .values(state=to, updated_at=utcnow(), **values).execution_options(synchronize_session=False)).rowcount
    if done != 1:
        db.session.refresh(demand)
        raise Conflict(_("该需求已被他人处理（当前状态：%(s)s），请刷新后重试。", s=demand.state.value),
                       code="demand_state_changed")
    old = demand.state
    db.session.refresh(demand)
    record_event(action or f"demand.{to.value}", "demand", demand.id, actor=actor,
                 payload={"from": old.value, "to": to.value, **(payload or {})})


def _stage_due(working_days: int, now: datetime | None = None) -> dict:
    """Column values that start a new stage: its due time and fresh reminder/escalation marks."""
    return {"due_at": due_at(now or utcnow(), working_days), "reminded_at": None, "escalated_at": None}


def _end_of(day: date) -> datetime:
    return datetime.combine(day, time(23, 59, 59))


def _published_entry(dataset_id: int, user, field: str = "dataset_id") -> Dataset:
    ds = db.session.get(Dataset, dataset_id)
    if ds is None or not can_view(ds, user):
        raise ValidationFailed(_("没有找到编号为 %(id)s 的目录。", id=dataset_id),
                               fields={field: [_("目录不存在或无权查看")]})
    return ds


# --- posting and searching --------------------------------------------------------------------------
def create_demand(user, data: dict) -> Demand:
    """Post a demand; the platform's department suggestions are stored with it; operators are told."""
    if not perm.can_post(user):
        raise Forbidden(_("请先登录再发布数据需求。"))
    ref = None
    if data.get("dataset_id"):
        ref = _published_entry(data["dataset_id"], user)
    items = list(dict.fromkeys(i for i in data.get("items", []) if i))
    now = utcnow()
    demand = Demand(created_at=now, title=data["title"], description=data.get("description", ""), purpose=data["purpose"],
                    items=items, frequency=data.get("frequency") or "once", needed_by=data.get("needed_by"),
                    dataset_id=ref.id if ref else None, requester_id=user.id, state=DemandState.submitted,
                    **_stage_due(ROUTE_WORKING_DAYS, now))
    demand.items_text = " ".join(items)[:2000]
    demand.suggestions = suggest_departments(demand.title, items, demand.description)
    db.session.add(demand)
    db.session.flush()
    record_event("demand.submitted", "demand", demand.id, actor=user,
                 payload={"title": demand.title, "items": items, "suggested": [s["code"] for s in demand.suggestions]})
    notify(operators(), "demand.submitted", _("新的数据需求待分派：%(t)s", t=demand.title),
           _("请在 %(d)s 前确认数源部门。", d=demand.due_at.strftime("%Y-%m-%d")), link(demand))
    return demand


def _like(term: str) -> str:
    return "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def search_demands(user, *, q: str = "", state: str | None = None, scope: str = "all",
                   department: str | None = None, page: int = 1, per_page: int = 20) -> tuple[list[Demand], int]:
    """Demands matching every word of ``q`` (substring of title, description or data items), newest
    first. ``scope``: ``all``; ``mine`` (posted or "me too"); ``todo`` (operators: waiting for routing;
    officers: routed to or planned by their department)."""
    per_page = max(1, min(per_page, MAX_PER_PAGE))
    stmt = select(Demand)
    for term in [t for t in q.split() if t][:MAX_TERMS]:
        pattern = _like(term[:100])
        stmt = stmt.where(or_(Demand.title.ilike(pattern, escape="\\"),
                              Demand.description.ilike(pattern, escape="\\"),
                              Demand.items_text.ilike(pattern, escape="\\")))
    if state:
        stmt = stmt.where(Demand.state == state)
    if department:
        stmt = stmt.where(Demand.department_id.in_(select(Department.id).where(Department.code == department)))
    if scope == "mine":
        stmt = stmt.where(or_(Demand.requester_id == user.id, Demand.id.in_(
            select(DemandSupport.demand_id).where(DemandSupport.user_id == user.id))))
    elif scope == "todo":
        if user.is_operator:
            stmt = stmt.where(Demand.state == DemandState.submitted)
        elif user.role == Role.officer:
            stmt = stmt.where(Demand.department_id == user.department_id,
                              Demand.state.in_((DemandState.routed, DemandState.planned)))
        else:
            stmt = stmt.where(Demand.id.is_(None))
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = db.session.scalars(stmt.order_by(Demand.created_at.desc(), Demand.id.desc())
                              .limit(per_page).offset((max(page, 1) - 1) * per_page)).all()
    return list(rows), total


def get_demand(demand_id: int, user) -> Demand:
    demand = db.session.get(Demand, demand_id)
    if demand is None or not perm.can_post(user):
        raise NotFound(_("没有找到该数据需求。"))
    return demand


# --- me too, withdraw -------------------------------------------------------------------------------
def me_too(demand: Demand, user, purpose: str) -> DemandSupport:
    if demand.requester_id == getattr(user, "id", None):
        raise Conflict(_("这是您自己发布的需求，无需再点“我也需要”。"), code="own_demand")
    if perm.is_owner_officer(demand, user):
        raise Conflict(_("您所在部门负责答复该需求，不能附议。"), code="owner_department")
    if perm.has_supported(demand, user):
        raise Conflict(_("您已经表示过“我也需要”。"), code="already_supported")
    if demand.state not in OPEN_DEMAND_STATES:
        raise Conflict(_("该需求已结束，不能再附议。"), code="demand_closed")
    support = DemandSupport(demand_id=demand.id, user_id=user.id, purpose=purpose)
    db.session.add(support)
    db.session.flush()
    db.session.execute(update(Demand).where(Demand.id == demand.id)
                       .values(supporter_count=Demand.supporter_count + 1)
                       .execution_options(synchronize_session=False))
    db.session.refresh(demand)
    record_event("demand.me_too", "demand", demand.id, actor=user, payload={"supporters": demand.supporter_count})
    notify([demand.requester], "demand.me_too", _("又有人需要您发布的数据：%(t)s", t=demand.title),
           _("已有 %(n)s 人表示“我也需要”。", n=demand.supporter_count), link(demand), email=False)
    return support


def withdraw(demand: Demand, user) -> Demand:
    if not perm.can_withdraw(demand, user):
        raise Forbidden(_("只有发布人可以撤回未结束的需求。"))
    _move(demand, DemandState.withdrawn, actor=user, from_states=OPEN_DEMAND_STATES, closed_at=utcnow(),
          due_at=None)
    notify(officers_of(demand.department_id) + [s.user for s in demand.supporters], "demand.withdrawn",
           _("数据需求已撤回：%(t)s", t=demand.title), "", link(demand))
    return demand


# --- routing (operators) ----------------------------------------------------------------------------
def route(demand: Demand, user, department_code: str, comment: str = "") -> Demand:
    if not perm.can_route(demand, user):
        if not getattr(user, "is_operator", False):
            raise Forbidden(_("只有平台运营（大数据管理局）可以分派需求。"))
        raise Conflict(_("该需求已答复，不能再分派。"), code="demand_state_changed")
    dept = db.session.scalar(select(Department).where(Department.code == department_code))
    if dept is None:
        raise ValidationFailed(_("没有代码为 %(c)s 的部门。", c=department_code),
                               fields={"department": [_("部门不存在")]})
    if dept.id in (demand.declined_department_ids or []):
        raise ValidationFailed(_("%(d)s 已答复“非本部门数据”，请选择其他部门。", d=dept.name),
                               fields={"department": [_("该部门已答复非本部门数据")]})
    now = utcnow()
    _move(demand, DemandState.routed, actor=user, from_states=(DemandState.submitted, DemandState.routed),
          payload={"department": dept.code, "comment": comment,
                   "suggested": dept.code in [s["code"] for s in demand.suggestions or []]},
          department_id=dept.id, routed_by_id=user.id, routed_at=now, **_stage_due(ANSWER_WORKING_DAYS, now))
    notify(officers_of(dept.id), "demand.routed", _("请答复数据需求：%(t)s", t=demand.title),
           _("请在 %(d)s 前答复（计划发布 / 已有目录 / 非本部门数据 / 不予提供）。",
             d=demand.due_at.strftime("%Y-%m-%d")) + (f"\n{comment}" if comment else ""), link(demand))
    notify(interested(demand), "demand.routed", _("您的数据需求已分派给%(d)s", d=dept.name), "", link(demand),
           email=False)
    return demand


# --- the owner's answer -----------------------------------------------------------------------------
def answer(demand: Demand, user, *, outcome: str, comment: str = "", publish_by: date | None = None,
           dataset_id: int | None = None) -> Demand:
    """The owning department's officer answers with one of the standard outcomes."""
    if not perm.is_owner_officer(demand, user):
        raise Forbidden(_("只有需求分派到的数源部门数据官可以答复。"))
    if demand.state != DemandState.routed:
        raise Conflict(_("该需求当前不等待答复。"), code="demand_state_changed")
    outcome = DemandOutcome(outcome)
    common = {"answered_by_id": user.id, "answered_at": utcnow(), "answer": comment, "outcome": outcome}
    if outcome == DemandOutcome.will_publish:
        if publish_by is None:
            raise ValidationFailed(_("请填写计划发布日期。"), fields={"publish_by": [_("必填")]})
        if publish_by < utcnow().date():
            raise ValidationFailed(_("计划发布日期不能早于今天。"), fields={"publish_by": [_("不能早于今天")]})
        entry = _own_entry(demand, user, dataset_id) if dataset_id else None
        _move(demand, DemandState.planned, actor=user, from_states=(DemandState.routed,),
              payload={"outcome": outcome.value, "publish_by": publish_by.isoformat(),
                       "dataset": entry.id if entry else None},
              publish_by=publish_by, linked_dataset_id=entry.id if entry else None,
              due_at=_end_of(publish_by), reminded_at=None, escalated_at=None, **common)
        notify(interested(demand), "demand.answered",
               _("数源部门计划于 %(d)s 前发布：%(t)s", d=publish_by.isoformat(), t=demand.title), comment, link(demand))
        if entry is not None and entry.status == DatasetStatus.published:
            fulfil(demand, entry, actor=user)
    elif outcome == DemandOutcome.exists:
        if not dataset_id:
            raise ValidationFailed(_("请填写已有目录的编号。"), fields={"dataset_id": [_("必填")]})
        entry = _published_entry(dataset_id, user)
        if entry.status != DatasetStatus.published:
            raise ValidationFailed(_("所指目录尚未发布。"), fields={"dataset_id": [_("目录未发布")]})
        _move(demand, DemandState.existing, actor=user, from_states=(DemandState.routed,),
              payload={"outcome": outcome.value, "dataset": entry.id}, linked_dataset_id=entry.id,
              closed_at=utcnow(), due_at=None, **common)
        notify(interested(demand), "demand.answered", _("您需要的数据已有目录：%(t)s", t=entry.title),
               comment, f"/datasets/{entry.id}")
    elif outcome == DemandOutcome.not_held:
        if not comment:
            raise ValidationFailed(_("请说明原因，最好指出可能持有该数据的部门。"), fields={"comment": [_("必填")]})
        declined = [*(demand.declined_department_ids or []), demand.department_id]
        _move(demand, DemandState.submitted, actor=user, from_states=(DemandState.routed,),
              action="demand.rerouting", payload={"outcome": outcome.value, "department": demand.department.code},
              department_id=None, declined_department_ids=declined, **common, **_stage_due(ROUTE_WORKING_DAYS))
        demand.suggestions = suggest_departments(demand.title, demand.items or [], demand.description,
                                                 exclude=declined)
        notify(operators(), "demand.rerouting", _("需重新分派的数据需求：%(t)s", t=demand.title), comment, link(demand))
        notify(interested(demand), "demand.rerouting", _("您的数据需求正在重新分派：%(t)s", t=demand.title),
               comment, link(demand), email=False)
    else:
        if not comment:
            raise ValidationFailed(_("不予提供时必须说明理由。"), fields={"comment": [_("必填")]})
        _move(demand, DemandState.refused, actor=user, from_states=(DemandState.routed,),
              payload={"outcome": outcome.value}, closed_at=utcnow(), due_at=None, **common)
        notify(interested(demand), "demand.refused", _("数据需求未获满足：%(t)s", t=demand.title), comment,
               link(demand))
    return demand


def _own_entry(demand: Demand, user, dataset_id: int) -> Dataset:
    ds = db.session.get(Dataset, dataset_id)
    if ds is None or ds.department_id != demand.department_id:
        raise ValidationFailed(_("只能关联本部门的目录。"), fields={"dataset_id": [_("不是本部门的目录")]})
    if ds.status == DatasetStatus.retired:
        raise ValidationFailed(_("该目录已下架。"), fields={"dataset_id": [_("目录已下架")]})
    return ds


def link_entry(demand: Demand, user, dataset_id: int) -> Demand:
    """The owner links the entry that meets the demand; a published one fulfils it at once, a draft when
    it is published."""
    if not perm.can_link(demand, user):
        raise Forbidden(_("只有需求分派到的数源部门数据官可以关联目录。"))
    entry = _own_entry(demand, user, dataset_id)
    if entry.status == DatasetStatus.published:
        return fulfil(demand, entry, actor=user)
    if demand.state != DemandState.planned:
        raise Conflict(_("请先答复“计划发布”并填写日期，再关联草稿目录。"), code="answer_first")
    db.session.execute(update(Demand).where(Demand.id == demand.id).values(linked_dataset_id=entry.id)
                       .execution_options(synchronize_session=False))
    db.session.refresh(demand)
    record_event("demand.linked", "demand", demand.id, actor=user, payload={"dataset": entry.id})
    return demand


def fulfil(demand: Demand, entry: Dataset, *, actor=None) -> Demand:
    """The linked entry is published: close the demand and tell the requester and every "me too" user."""
    _move(demand, DemandState.fulfilled, actor=actor, from_states=(DemandState.routed, DemandState.planned),
          payload={"dataset": entry.id}, linked_dataset_id=entry.id, closed_at=utcnow(), due_at=None)
    notify(interested(demand), "demand.fulfilled", _("您需要的数据已发布：%(t)s", t=entry.title),
           _("数据需求“%(d)s”已由新目录满足。", d=demand.title), f"/datasets/{entry.id}")
    return demand


def on_dataset_published(dataset: Dataset, actor=None) -> list[Demand]:
    """Catalog hook: publishing an entry fulfils every open demand linked to it."""
    waiting = db.session.scalars(select(Demand).where(
        Demand.linked_dataset_id == dataset.id,
        Demand.state.in_((DemandState.routed, DemandState.planned)))).all()
    return [fulfil(d, dataset, actor=actor) for d in waiting]
