"""Who is told what when a request moves: one function per event, each calling ``notify.services.notify``
in the caller's transaction (so a rolled-back decision tells nobody). Every message links to the
request page.

| event | told |
|---|---|
| request submitted | the approvers of each line's first step (one message each), the requester (summary) |
| a later step starts | that step's approvers |
| more information asked | the requester |
| answered | the approvers of the step that asked |
| approved / partly approved / granted / rejected (with reason) / withdrawn / expired / revoked | the requester |
| withdrawn while waiting | also the approvers of the step it was waiting on |
| reminder before the due time | the step's approvers |
| escalation after the due time | the platform operators |
| grant about to expire | the grant holder |
"""

from __future__ import annotations

from collections import defaultdict

from flask_babel import gettext as _
from sqlalchemy import select

from market.auth.models import Role, User
from market.db import db
from notify.services import notify

from .labels import label
from .state import StepKind


def request_link(request_id: int) -> str:
    return f"/requests/{request_id}"


def step_approvers(step) -> list[User]:
    """The active users who decide ``step``: the owning department's officers, or the operators."""
    stmt = select(User).where(User.active.is_(True))
    if step.kind == StepKind.owner:
        stmt = stmt.where(User.role == Role.officer, User.department_id == step.department_id)
    else:
        stmt = stmt.where(User.role == Role.operator)
    return list(db.session.scalars(stmt.order_by(User.id)))


def operators() -> list[User]:
    return list(db.session.scalars(select(User).where(User.active.is_(True), User.role == Role.operator)
                                   .order_by(User.id)))


def _who(user) -> str:
    return user.display_name or user.username


def step_kind_label(kind) -> str:
    return label("step", kind) or str(kind)


def _title(line) -> str:
    return line.dataset.title


def _requester(line):
    return line.request.requester


def submitted(request) -> None:
    """Checkout: each approver once (with the lines waiting for them), and the requester a summary."""
    waiting: dict[int, list] = defaultdict(list)
    people: dict[int, User] = {}
    approvers: dict[tuple, list[User]] = {}  # one query per (step kind, department), not per line
    granted = []
    for line in request.lines:
        step = next((s for s in line.steps if s.state == "waiting"), None)
        if step is None:
            if line.state == "granted":
                granted.append(line)
            continue
        key = (step.kind == StepKind.owner, step.department_id if step.kind == StepKind.owner else None)
        if key not in approvers:
            approvers[key] = step_approvers(step)
        for user in approvers[key]:
            people[user.id] = user
            waiting[user.id].append((line, step))
    link = request_link(request.id)
    for uid, items in waiting.items():
        due = min(s.due_at for _ln, s in items)
        notify([people[uid]], "request.submitted",
               _("新的数据申请 #%(id)s 待您审批（%(n)s 项）", id=request.id, n=len(items)),
               _("申请人：%(who)s\n用途：%(p)s\n数据：%(t)s\n请在 %(due)s 前处理。",
                 who=_who(request.requester), p=request.purpose,
                 t="、".join(_title(ln) for ln, _s in items), due=due.strftime("%Y-%m-%d %H:%M")),
               link)
    body = [_("共 %(n)s 项。", n=len(request.lines))]
    if granted:
        body.append(_("已授权：%(t)s", t="、".join(_title(ln) for ln in granted)))
    pending = [ln for ln in request.lines if ln not in granted]
    if pending:
        body.append(_("待审批：%(t)s", t="、".join(_title(ln) for ln in pending)))
    notify([request.requester], "request.submitted", _("您的数据申请 #%(id)s 已提交", id=request.id),
           "\n".join(body), link)


def step_started(line, step) -> None:
    """A later step (e.g. the platform review after the owner approved) now waits for its approvers."""
    notify(step_approvers(step), "request.step_waiting",
           _("数据申请 #%(id)s 的“%(t)s”待您审批", id=line.request_id, t=_title(line)),
           _("前一环节已通过。请在 %(due)s 前处理。", due=step.due_at.strftime("%Y-%m-%d %H:%M")),
           request_link(line.request_id))


def info_requested(line, question: str) -> None:
    notify([_requester(line)], "request.info_requested",
           _("数据申请 #%(id)s 需要您补充材料", id=line.request_id),
           _("“%(t)s”的审批人问：%(q)s", t=_title(line), q=question), request_link(line.request_id))


def answered(line, step, answer: str) -> None:
    notify(step_approvers(step), "request.answered",
           _("数据申请 #%(id)s 已补充材料", id=line.request_id),
           _("“%(t)s”的申请人答复：%(a)s", t=_title(line), a=answer), request_link(line.request_id))


def approved(line, grant) -> None:
    """The last step approved: the line is granted (limited to the approved items when some were refused)."""
    refused = [f for f in line.fields if f not in grant.fields]
    until = grant.expires_at.strftime("%Y-%m-%d")
    if refused:
        notify([_requester(line)], "request.partly_approved",
               _("数据申请 #%(id)s 的“%(t)s”部分获批", id=line.request_id, t=_title(line)),
               _("已授权的信息项：%(ok)s\n未获批的信息项：%(no)s\n授权有效期至 %(d)s。",
                 ok="、".join(grant.fields), no="、".join(refused), d=until), request_link(line.request_id))
    else:
        notify([_requester(line)], "request.granted",
               _("数据申请 #%(id)s 的“%(t)s”已获批并授权", id=line.request_id, t=_title(line)),
               _("授权有效期至 %(d)s。", d=until), request_link(line.request_id))


def rejected(line, reason: str) -> None:
    notify([_requester(line)], "request.rejected",
           _("数据申请 #%(id)s 的“%(t)s”被驳回", id=line.request_id, t=_title(line)),
           _("驳回原因：%(r)s", r=reason), request_link(line.request_id))


def withdrawn(line, step) -> None:
    link = request_link(line.request_id)
    notify([_requester(line)], "request.withdrawn",
           _("您已撤回数据申请 #%(id)s 的“%(t)s”", id=line.request_id, t=_title(line)), "", link)
    if step is not None:
        notify(step_approvers(step), "request.withdrawn",
               _("数据申请 #%(id)s 的“%(t)s”已被申请人撤回", id=line.request_id, t=_title(line)),
               _("无需再审批。"), link)


def expired(line) -> None:
    notify([_requester(line)], "request.expired",
           _("“%(t)s”的授权已到期", t=_title(line)),
           _("如仍需使用，请重新申请。"), request_link(line.request_id))


def revoked(line, reason: str) -> None:
    notify([_requester(line)], "request.revoked",
           _("“%(t)s”的授权已被撤销", t=_title(line)),
           _("撤销原因：%(r)s", r=reason), request_link(line.request_id))


def reminder(step) -> None:
    line = step.line
    notify(step_approvers(step), "request.reminder",
           _("提醒：数据申请 #%(id)s 的“%(t)s”将于 %(due)s 到期", id=line.request_id, t=_title(line),
             due=step.due_at.strftime("%Y-%m-%d %H:%M")),
           _("请尽快审批，逾期将上报平台运营方。"), request_link(line.request_id))


def escalated(step) -> None:
    line = step.line
    dept = line.order.department.name if step.kind == StepKind.owner else _("平台运营方")
    notify(operators(), "request.escalated",
           _("逾期：数据申请 #%(id)s 的“%(t)s”已超过审批时限", id=line.request_id, t=_title(line)),
           _("审批环节：%(k)s（%(d)s）\n应于 %(due)s 前处理。", k=step_kind_label(step.kind), d=dept,
             due=step.due_at.strftime("%Y-%m-%d %H:%M")),
           request_link(line.request_id))


def grant_expiring(grant) -> None:
    line = grant.line
    notify([_requester(line)], "grant.expiring",
           _("“%(t)s”的授权将于 %(d)s 到期", t=_title(line), d=grant.expires_at.strftime("%Y-%m-%d")),
           _("到期后将不能再获取该数据；如仍需使用，请及时重新申请。"), request_link(line.request_id))
