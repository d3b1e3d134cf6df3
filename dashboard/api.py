"""``GET /api/v1/dashboard``: the dashboard as JSON, or one of its tables as CSV."""

from __future__ import annotations

import re

from flask import Blueprint, Response, jsonify
from flask_login import current_user

from market.api_utils import load_args
from market.auth import require_roles
from market.auth.models import Role
from market.errors import NotFound

from .schemas import DashboardArgs
from .scope import resolve_scope
from .services import build_dashboard
from .tables import table_rows, to_csv

bp = Blueprint("dashboard_api", __name__, url_prefix="/api/v1")
dashboard_roles = require_roles(Role.officer, Role.operator)


def csv_response(data: dict, table: str) -> Response:
    if table_rows(data, table) is None:
        raise NotFound(f"The table '{table}' is not available: the package that feeds it is not installed.",
                       code="table_unavailable", fields={"table": ["not available"]})
    scope = data["scope"]
    dept = re.sub(r"[^A-Za-z0-9_.-]+", "_", scope["department"]["code"]) if scope["department"] else "city"
    name = f"dashboard-{table}-{dept}-{scope['from']}-{scope['to']}.csv"
    # a byte-order mark so spreadsheet programs read the Chinese text as UTF-8
    return Response("\ufeff" + to_csv(data, table), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.get("/dashboard")
@dashboard_roles
def dashboard():
    """Dashboard figures for a period; officers get their own department, operators the city or a department."""
    args = load_args(DashboardArgs())
    scope = resolve_scope(current_user, start=args["start"], end=args["end"], department=args["department"])
    data = build_dashboard(scope)
    if args["format"] == "csv":
        return csv_response(data, args["table"])
    return jsonify(data)
