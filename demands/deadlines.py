"""Due-time reminders and escalation for demands and objections (like approval steps).

Each open demand has the due time of its current stage — routing by an operator (2 working days),
the owner's answer (5 working days), publication (the promised date) — and each open objection the
owner's answer (5 working days). ``run_due(now)`` reminds whoever must act one working day before the
due time and escalates to the platform operators once it has passed. It is safe to run twice: every
demand/objection is reminded once and escalated once per stage (compare-and-set on ``reminded_at`` /
``escalated_at``, which a new stage clears), and every reminder and escalation is audited.
"""

from __future__ import annotations

from typing import NamedTuple

from flask_babel import gettext as _
from sqlalchemy import or_, select, update

from audit import record_event
from market.db import db, utcnow
from notify.services import notify
from orders.deadlines import remind_at

from .models import Demand, Objection
from .services import officers_of, operators
from .state import OPEN_DEMAND_STATES, DemandState, ObjectionState

BATCH = 500


class DueRun(NamedTuple):
    reminded: list[str]  # "demand:<id>" / "objection:<id>"
    escalated: list[str]


def _claim(model, obj_id: int, column: str, now, open_states) -> bool:
    col = getattr(model, column)
    return db.session.execute(update(model).where(model.id == obj_id, col.is_(None), model.state.in_(open_states))
                              .values({column: now}).execution_options(synchronize_session=False)).rowcount == 1


def _who_acts(demand: Demand) -> list:
    return operators() if demand.state == DemandState.submitted else officers_of(demand.department_id)


def run_due(now=None) -> DueRun:
    """Send reminders and escalations that are due at ``now`` (default: the current time)."""
    now = now or utcnow()
    reminded, escalated = [], []
    ops = None

    def escalate_to():
        nonlocal ops
        if ops is None:
            ops = operators()
        return ops

    demands = db.session.scalars(select(Demand).where(
        Demand.state.in_(OPEN_DEMAND_STATES), Demand.due_at.is_not(None),
        or_(Demand.reminded_at.is_(None), Demand.escalated_at.is_(None))).order_by(Demand.due_at).limit(BATCH)).all()
    for d in demands:
        stage = d.state.value
        link = f"/demands/{d.id}"
        if d.due_at <= now and d.escalated_at is None and _claim(Demand, d.id, "escalated_at", now, OPEN_DEMAND_STATES):
            step = {"submitted": _("分派"), "routed": _("答复"), "planned": _("发布")}[stage]
            notify(escalate_to(), "demand.overdue", _("数据需求逾期未办：%(t)s", t=d.title),
                   _("%(s)s环节的期限 %(d)s 已过。", d=d.due_at.strftime("%Y-%m-%d %H:%M"), s=step), link)
            record_event("demand.escalated", "demand", d.id,
                         payload={"stage": stage, "due_at": d.due_at.isoformat(), "to": "operator"})
            escalated.append(f"demand:{d.id}")
        elif (d.due_at > now and remind_at(d.due_at) <= now and d.reminded_at is None
              and _claim(Demand, d.id, "reminded_at", now, OPEN_DEMAND_STATES)):
            notify(_who_acts(d), "demand.reminder", _("数据需求即将到期：%(t)s", t=d.title),
                   _("请在 %(d)s 前办理。", d=d.due_at.strftime("%Y-%m-%d %H:%M")), link)
            record_event("demand.reminded", "demand", d.id,
                         payload={"stage": stage, "due_at": d.due_at.isoformat(), "department": d.department_id})
            reminded.append(f"demand:{d.id}")

    open_ = (ObjectionState.open,)
    objections = db.session.scalars(select(Objection).where(
        Objection.state == ObjectionState.open, Objection.due_at.is_not(None),
        or_(Objection.reminded_at.is_(None), Objection.escalated_at.is_(None)))
        .order_by(Objection.due_at).limit(BATCH)).all()
    for o in objections:
        link = f"/objections/{o.id}"
        if o.due_at <= now and o.escalated_at is None and _claim(Objection, o.id, "escalated_at", now, open_):
            notify(escalate_to(), "objection.overdue", _("数据异议逾期未答复：%(t)s", t=o.dataset.title),
                   _("期限 %(d)s 已过。", d=o.due_at.strftime("%Y-%m-%d %H:%M")), link)
            record_event("objection.escalated", "objection", o.id,
                         payload={"due_at": o.due_at.isoformat(), "to": "operator"})
            escalated.append(f"objection:{o.id}")
        elif (o.due_at > now and remind_at(o.due_at) <= now and o.reminded_at is None
              and _claim(Objection, o.id, "reminded_at", now, open_)):
            notify(officers_of(o.department_id), "objection.reminder",
                   _("数据异议即将到期：%(t)s", t=o.dataset.title),
                   _("请在 %(d)s 前答复。", d=o.due_at.strftime("%Y-%m-%d %H:%M")), link)
            record_event("objection.reminded", "objection", o.id,
                         payload={"due_at": o.due_at.isoformat(), "department": o.department_id})
            reminded.append(f"objection:{o.id}")
    db.session.expire_all()
    return DueRun(reminded, escalated)
