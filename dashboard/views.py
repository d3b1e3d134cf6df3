"""The dashboard page (数据看板): figures rendered on the server, charts drawn by static/dashboard.js
from ``GET /api/v1/dashboard`` with the same query."""

from __future__ import annotations

from flask import Blueprint, flash, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from catalog.models import Department
from market.api_utils import load_args
from market.auth.models import Role
from market.db import db
from market.errors import ValidationFailed

from .api import csv_response, dashboard_roles
from .schemas import DashboardArgs
from .scope import resolve_scope
from .services import build_dashboard
from .tables import TABLES, table_rows

bp = Blueprint("dashboard", __name__)


@bp.get("/dashboard")
@dashboard_roles
def index():
    try:
        args = load_args(DashboardArgs())
    except ValidationFailed as exc:  # a bad date in the form: say so and show the default period
        flash(exc.message, "error")
        args = load_args(DashboardArgs(), args={})
    scope = resolve_scope(current_user, start=args["start"], end=args["end"], department=args["department"])
    data = build_dashboard(scope)
    if args["format"] == "csv":
        return csv_response(data, args["table"])
    query = {"from": scope.start.isoformat(), "to": scope.end.isoformat()}
    if scope.department is not None and current_user.role == Role.operator:
        query["department"] = scope.department.code
    departments = (db.session.execute(select(Department.code, Department.name).order_by(Department.name)).all()
                   if current_user.role == Role.operator else [])
    exports = {name: url_for("dashboard.index", format="csv", table=name, **query)
               for name in TABLES if table_rows(data, name) is not None}
    return render_template("dashboard/index.html", d=data, scope=scope, departments=departments, exports=exports,
                           api_url=url_for("dashboard_api.dashboard", **query),
                           is_operator=current_user.role == Role.operator, chart_labels=chart_labels())


def chart_labels() -> dict:
    """Series and axis names for static/dashboard.js, in the reader's language."""
    return {
        "rate": _("按需共享率"), "fulfilled": _("已满足"), "decided": _("已办结"), "median": _("中位数"),
        "p90": "P90", "hours": _("小时"), "on_time": _("按期办结"), "late": _("超期办结"),
        "overdue": _("超期未办"), "open_in_time": _("未到期"), "entries": _("目录"), "requested": _("被申请过"),
        "uncategorised": _("未分类"), "demands": _("需求"), "objections": _("异议"),
        "states": {"submitted": _("待分派"), "routed": _("待答复"), "planned": _("计划发布"), "fulfilled": _("已发布满足"),
                   "existing": _("已有目录满足"), "refused": _("已拒绝")},
        "outcomes": {"corrected": _("已更正"), "explained": _("已说明"), "rejected": _("不予采纳")},
        "kinds": {"compliance": _("合规审查"), "owner": _("数源部门审批"), "platform": _("大数据管理局审批")},
    }
