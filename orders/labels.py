"""Display labels of the request workflow (states, step kinds, routing outcomes, audit events), translated
lazily: a page that shows a hundred states looks up a hundred labels, not a hundred whole tables.
Templates reach them through ``orders_label(table, value)`` (see ``templates/orders/_macros.html``)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

STATE = {
    "submitted": _l("已提交"), "waiting": _l("审批中"), "info_requested": _l("待补充材料"), "approved": _l("已批准"),
    "payment_pending": _l("待付款"),
    "rejected": _l("已驳回"), "withdrawn": _l("已撤回"), "granted": _l("已授权"), "expired": _l("已过期"),
    "revoked": _l("已撤销"), "pending": _l("未开始"), "cancelled": _l("已取消"), "in_review": _l("审批中"),
    "partly_approved": _l("部分批准"), "closed": _l("已结束"),
}
STEP = {"owner": _l("数源部门审批"), "platform": _l("大数据管理局审批"), "compliance": _l("合规审查")}
OUTCOME = {"granted": _l("提交后立即授权"), "owner": _l("需数源部门审批"),
           "owner_platform": _l("需数源部门及大数据管理局审批"), "refused": _l("不能申请")}
EVENT = {
    "access_request.submitted": _l("提交申请"), "request_line.waiting": _l("进入审批"),
    "request_line.info_requested": _l("要求补充材料"), "request_line.approved": _l("审批通过"),
    "request_line.rejected": _l("驳回"), "request_line.withdrawn": _l("撤回"), "request_line.granted": _l("授权"),
    "request_line.payment_pending": _l("待付款"),
    "request_line.expired": _l("授权到期"), "request_line.revoked": _l("撤销授权"),
    "approval_step.waiting": _l("等待审批"), "approval_step.approved": _l("审批同意"),
    "approval_step.rejected": _l("审批驳回"), "approval_step.info_requested": _l("要求补充材料"),
    "approval_step.cancelled": _l("审批步骤取消"), "approval_step.reminded": _l("到期提醒"),
    "approval_step.escalated": _l("逾期上报平台运营方"),
}
TABLES = {"state": STATE, "step": STEP, "outcome": OUTCOME, "event": EVENT}


def label(table: str, value) -> str | None:
    """The translated label of ``value`` (an enum or its string) in ``table``; None when it has none."""
    text = TABLES[table].get(getattr(value, "value", value))
    return None if text is None else str(text)
