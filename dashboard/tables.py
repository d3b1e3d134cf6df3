"""The dashboard's tables: each one a view of the dashboard dict, so the CSV export is the JSON.

``TABLES[name]`` gives the table's title, its columns (JSON keys, used as the CSV header) and a function
returning its rows from the dashboard dict; None when the section is absent (its package not installed).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

SHARE_COLUMNS = ("rate", "fulfilled", "decided", "rejected", "withdrawn", "open", "lines")
ENTRY_COLUMNS = ("dataset_id", "code", "title", "department")


@dataclass(frozen=True)
class Table:
    title: object
    columns: tuple[str, ...]
    rows: Callable[[dict], list[dict] | None]


KIND_ORDER = ("compliance", "owner", "platform", "all")  # JSON objects may arrive with their keys sorted


def _per_kind(section: str) -> Callable[[dict], list[dict]]:
    return lambda d: [{"step_kind": kind, **d[section][kind]} for kind in KIND_ORDER if kind in d[section]]


def _nested(*path: str) -> Callable[[dict], list[dict] | None]:
    def get(d: dict):
        for key in path:
            if d is None:
                return None
            d = d.get(key)
        return d

    return get


def _single(section: str) -> Callable[[dict], list[dict] | None]:
    return lambda d: None if d.get(section) is None else [d[section]]


TABLES: dict[str, Table] = {
    "share_rate_by_department": Table(_l("按需共享率（按部门）"), ("department_id", "department", *SHARE_COLUMNS),
                                      _nested("on_demand_share_rate", "by_department")),
    "share_rate_by_month": Table(_l("按需共享率（按月）"), ("month", *SHARE_COLUMNS),
                                 _nested("on_demand_share_rate", "by_month")),
    "approval_time": Table(_l("审批用时（小时）"), ("step_kind", "count", "median", "p90"),
                           _per_kind("approval_time_hours")),
    "deadline_breaches": Table(_l("超期情况"), ("step_kind", "decided_on_time", "decided_late", "open_overdue",
                                                "open_in_time", "total"), _per_kind("deadline_breaches")),
    "top_requested": Table(_l("申请最多的数据"), (*ENTRY_COLUMNS, "requests", "granted"), _nested("top_requested")),
    "top_downloaded": Table(_l("下载最多的数据"), (*ENTRY_COLUMNS, "downloads", "rows"), _nested("top_downloaded")),
    "best_rated": Table(_l("评价最高的数据"), (*ENTRY_COLUMNS, "rating_avg", "rating_count", "bayesian_avg"),
                        _nested("best_rated")),
    "catalog_coverage": Table(_l("目录覆盖（按分类）"), ("library", "category_code", "category", "entries", "departments",
                                                     "shareable", "open", "requested", "requested_share"),
                              _nested("catalog_coverage", "categories")),
    "catalog_libraries": Table(_l("目录覆盖（按库）"), ("library", "categories", "entries", "shareable", "open",
                                                    "requested"), _nested("catalog_coverage", "libraries")),
    "department_league": Table(_l("部门排行榜"), ("rank", "department_id", "department", "entries", "lines_decided",
                                                "fulfilled", "share_rate", "owner_hours_mean", "deadline_breaches",
                                                "rating_avg", "rating_count"), _nested("department_league")),
    "demand_fulfilment": Table(_l("需求满足情况"), ("posted", "met", "open", "refused", "rate", "median_days",
                                                   "p90_days"), _single("demand_fulfilment_rate")),
    "demand_states": Table(_l("需求状态分布"), ("state", "demands"), _nested("demand_fulfilment_rate", "by_state")),
    "objection_resolution": Table(_l("异议处理用时"), ("answered", "median_hours", "p90_hours", "on_time_rate", "open",
                                                    "overdue_open"), _single("objection_resolution_time_hours")),
    "objection_outcomes": Table(_l("异议处理结果"), ("outcome", "objections"),
                                _nested("objection_resolution_time_hours", "by_outcome")),
    "improvement_list": Table(_l("改进清单"), ("dataset_id", "title", "rating_avg", "rating_count", "bayesian_avg",
                                             "low_reviews", "priority", "issues_summary", "advice"),
                              _nested("improvement_list")),
}

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value  # keep spreadsheet programs from running an entry title as a formula
    return str(value)


def table_rows(data: dict, name: str) -> list[dict] | None:
    return TABLES[name].rows(data)


def to_csv(data: dict, name: str) -> str:
    """The table as CSV text: a header of JSON keys, then one line per row (numbers as in the JSON)."""
    table = TABLES[name]
    rows = table.rows(data) or []
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(table.columns)
    for row in rows:
        writer.writerow([_cell(row.get(c)) for c in table.columns])
    return out.getvalue()
