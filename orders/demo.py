"""The demo city's request history: a handful of access requests in every interesting state, so the approver
inbox, the overdue list and the operator overview have something to show after ``make run``.

- 民政局 asks three owners at once: one entry granted at checkout, one waiting for its owner, one the owner
  approved that now waits for the platform operator;
- 教育局 is asked for more information by the owner;
- 公积金中心's request is past its due time and escalated to the operators;
- 梁溪区数据局's request was rejected with a reason.
Everything goes through the real services, so the audit log and the notifications are real too.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from catalog.models import Dataset
from market.auth.models import Role, User
from market.db import db, utcnow

from . import decisions, services
from .permissions import current_step
from .reminders import run_reminders
from .routing import load_rules, route_for


def _user(username: str):
    return db.session.scalar(select(User).where(User.username == username))


def _officer(department_id: int):
    return db.session.scalar(select(User).where(User.role == Role.officer, User.department_id == department_id)
                             .order_by(User.id))


def _pick(ids, outcome: str, taken: set[int], *, with_officer: bool = True, exclude_dept=None):
    """The first published entry (by id) whose route is ``outcome`` and whose owner has a demo officer."""
    rules = load_rules()
    rows = db.session.scalars(select(Dataset).where(Dataset.id.in_(ids), Dataset.status == "published",
                                                    Dataset.share_attribute != "none").order_by(Dataset.id))
    for ds in rows:
        if ds.id in taken or ds.department_id == exclude_dept:
            continue
        if route_for(ds, None, rules).kind != outcome:
            continue
        if with_officer and _officer(ds.department_id) is None:
            continue
        taken.add(ds.id)
        return ds
    return None


def _checkout(user, datasets, purpose: str, legal_basis: str, days: int = 180):
    for ds in datasets:
        services.add_to_cart(user, ds.id)
    req, _created = services.submit_access_request(user, purpose=purpose, legal_basis=legal_basis,
                                                   period_days=days)
    return req


def seed_demo_extra(result) -> str:
    ids = list(result.dataset_ids)
    people = {n: _user(n) for n in ("mzj_requester", "jyj_requester", "gjj_requester", "lxq_requester", "operator")}
    if not ids or any(u is None for u in people.values()):
        return "Seeded 0 demo access requests (demo accounts missing)"
    taken: set[int] = set()
    made = []

    mzj = people["mzj_requester"]
    first = [ds for ds in (_pick(ids, "granted", taken, with_officer=False, exclude_dept=mzj.department_id),
                           _pick(ids, "owner", taken, exclude_dept=mzj.department_id),
                           _pick(ids, "owner_platform", taken, exclude_dept=mzj.department_id)) if ds]
    if first:
        req = _checkout(mzj, first, "最低生活保障对象家庭经济状况核对，按季度复核在册对象。",
                        "《社会救助暂行办法》第十一条")
        made.append(req)
        for line in req.lines:
            step = current_step(line)
            if step is not None and len(line.steps) > 1 and step.kind == "owner":
                decisions.decide_line(line, approver=_officer(step.department_id), decision="approve",
                                      comment="同意，请按最小必要原则使用。")

    jyj = people["jyj_requester"]
    ds = _pick(ids, "owner", taken, exclude_dept=jyj.department_id)
    if ds:
        req = _checkout(jyj, [ds], "义务教育阶段入学资格审核，核验适龄儿童户籍与居住信息。", "《义务教育法》第十二条", 365)
        made.append(req)
        line = req.lines[0]
        decisions.decide_line(line, approver=_officer(ds.department_id), decision="ask",
                              comment="请说明需要的数据范围（全市还是本学区）和每年的核验次数。")

    gjj = people["gjj_requester"]
    ds = _pick(ids, "owner", taken, exclude_dept=gjj.department_id)
    if ds:
        req = _checkout(gjj, [ds], "住房公积金贷款审批中核验借款人缴存与婚姻状况。", "《住房公积金管理条例》第二十六条")
        made.append(req)
        # the owner has not answered for over a week: past the due time, then escalated by the reminder job
        step = req.lines[0].steps[0]
        step.started_at, step.due_at = utcnow() - timedelta(days=9), utcnow() - timedelta(days=2)
        db.session.flush()
        run_reminders()

    lxq = people["lxq_requester"]
    ds = _pick(ids, "owner", taken, exclude_dept=lxq.department_id)
    if ds:
        req = _checkout(lxq, [ds], "区级数据汇聚。", "", 90)
        made.append(req)
        decisions.decide_line(req.lines[0], approver=_officer(ds.department_id), decision="reject",
                              comment="用途过于笼统，无法判断最小必要范围；请说明具体业务场景后重新申请。")
    db.session.flush()
    return f"Seeded {len(made)} demo access requests ({sum(len(r.lines) for r in made)} lines)"
