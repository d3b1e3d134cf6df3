"""The routing-rule editor of the rules library: form rows ⇄ rule dicts with a message per field, saving
through ``orders.routing.replace_rules`` (what checkout reads), and previews of how an entry is routed."""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select

from catalog.models import Dataset
from market.db import db, utcnow
from market.errors import ValidationFailed
from orders.deadlines import due_at, working_days_for
from orders.routing import OUTCOMES, Route, Rule, load_rules, replace_rules, route_for, rule_to_dict
from orders.state import StepKind

from .services import clean_reason, record_change

MAX_RULES = 50
ROW_KEY = re.compile(r"^rule-(\d{1,2})-(name|outcome|share_attribute|min_level|sensitive|steps|order|delete)$")
SHARES = ("unconditional", "conditional", "none")
STEP_ORDER = tuple(k.value for k in StepKind)


def current_rules() -> list[dict]:
    return [rule_to_dict(r) for r in load_rules()]


def rows_from_rules(rules: list[dict]) -> list[dict]:
    """Form rows (strings, as the page shows them) for rule dicts."""
    rows = []
    for n, r in enumerate(rules, start=1):
        sens = r.get("sensitive_requested")
        rows.append({"name": r.get("name") or "", "outcome": r.get("outcome") or "approve",
                     "share_attribute": r.get("share_attribute") or "",
                     "min_level": "" if r.get("min_level") is None else str(r["min_level"]),
                     "sensitive": "" if sens is None else ("yes" if sens else "no"),
                     "steps": list(r.get("steps") or []), "order": str(n * 10), "delete": False})
    return rows


def rows_from_form(form) -> list[dict]:
    """Rows as posted (``rule-<i>-<field>``), in the page's order (blank rows for new rules have i ≥ 100)."""
    rows: dict[int, dict] = {}
    for key in form:
        m = ROW_KEY.match(key)
        if not m:
            continue
        i, field = int(m.group(1)), m.group(2)
        row = rows.setdefault(i, {"name": "", "outcome": "", "share_attribute": "", "min_level": "",
                                  "sensitive": "", "steps": [], "order": "", "delete": False, "index": i})
        if field == "steps":
            row["steps"] = [s for s in form.getlist(key) if s in STEP_ORDER]
        elif field == "delete":
            row["delete"] = True
        else:
            row[field] = (form.get(key) or "").strip()[:200]
    return [rows[i] for i in sorted(rows)]


def parse_rows(rows: list[dict]) -> tuple[list[dict], dict[str, str]]:
    """Rule dicts in their new order (rows marked for deletion left out) and per-field messages keyed
    ``rule-<i>-<field>`` (``i`` = the row's index on the page)."""
    errors: dict[str, str] = {}
    kept = []
    for pos, row in enumerate(rows):
        i = row.get("index", pos)
        if row.get("delete"):
            continue
        if i >= 100 and not row["name"] and not row["share_attribute"] and not row["min_level"] \
                and not row["sensitive"] and not row["steps"]:
            continue  # an untouched blank row for a new rule
        where = f"rule-{i}-"
        name = row["name"]
        if not name:
            errors[where + "name"] = _("请填写规则名称（最多 40 个字符）")
        elif len(name) > 40:
            errors[where + "name"] = _("规则名称最多 40 个字符")
        outcome = row["outcome"]
        if outcome not in OUTCOMES:
            errors[where + "outcome"] = _("请选择处理方式：直接授权、审批或不予共享")
        share = row["share_attribute"] or None
        if share is not None and share not in SHARES:
            errors[where + "share_attribute"] = _("共享属性应为无条件、有条件、不予共享或“任意”")
        level = None
        if row["min_level"]:
            if row["min_level"].isdigit() and 1 <= int(row["min_level"]) <= 4:
                level = int(row["min_level"])
            else:
                errors[where + "min_level"] = _("最低分级应为 1–4 级或“任意”")
        sensitive = {"": None, "yes": True, "no": False}.get(row["sensitive"], "bad")
        if sensitive == "bad":
            errors[where + "sensitive"] = _("请选择：任意、含敏感项或不含敏感项")
        steps = [s for s in STEP_ORDER if s in row["steps"]]
        if outcome == "approve" and not steps:
            errors[where + "steps"] = _("审批规则至少需要一个审批环节")
        elif outcome in ("grant", "refuse") and steps:
            errors[where + "steps"] = _("直接授权或不予共享的规则没有审批环节，请取消勾选")
        order = row.get("order") or ""
        try:
            order_n = int(order) if order else (pos + 1) * 10
        except ValueError:
            errors[where + "order"] = _("顺序应为整数")
            order_n = (pos + 1) * 10
        kept.append((order_n, pos, {"name": name, "outcome": outcome, "steps": steps, "share_attribute": share,
                                    "min_level": level, "sensitive_requested": sensitive}))
    if not kept and not errors:
        errors["rules"] = _("至少保留一条规则（没有规则时所有申请都走最严格的审批路径，请明确写出来）")
    if len(kept) > MAX_RULES:
        errors["rules"] = _("最多 %(n)s 条规则", n=MAX_RULES)
    names = [r["name"] for _o, _p, r in kept]
    for _o, pos, r in kept:
        if r["name"] and names.count(r["name"]) > 1:
            i = rows[pos].get("index", pos)
            errors.setdefault(f"rule-{i}-name", _("规则名称“%(n)s”重复，请改成唯一的名称", n=r["name"]))
    return [r for _o, _p, r in sorted(kept, key=lambda x: (x[0], x[1]))], errors


def save_rules(rules: list[dict], *, actor, reason: str) -> list[dict]:
    """Replace the routing rules (the next checkout uses them); versioned with the reason and audited."""
    reason = clean_reason(reason)
    before = current_rules()
    saved = [rule_to_dict(r) for r in replace_rules(rules, actor=actor)]
    if saved != before:
        record_change("routing", "all", "replaced", before, saved, actor=actor, reason=reason)
    return saved


def to_rules(rules: list[dict]) -> tuple[Rule, ...]:
    return tuple(Rule(r["name"], r["outcome"], tuple(StepKind(s) for s in r["steps"]), r["share_attribute"],
                      r["min_level"], r["sensitive_requested"]) for r in rules)


def find_dataset(ref: str) -> Dataset:
    """An entry by its catalog code or number, for previews."""
    ref = (ref or "").strip()[:100]
    if not ref:
        raise ValidationFailed(_("请填写要预览的目录编码或编号。"), fields={"dataset": ["required"]})
    ds = db.session.scalar(select(Dataset).where(Dataset.code == ref))
    if ds is None and ref.isdigit() and len(ref) < 10:
        ds = db.session.get(Dataset, int(ref))
    if ds is None:
        raise ValidationFailed(_("没有编码或编号为“%(r)s”的目录。", r=ref), fields={"dataset": ["not found"]})
    return ds


@dataclass
class Preview:
    dataset: Dataset
    requested: list[str] | None
    route: Route
    due: list[tuple[str, int, object]]  # (step kind, working days, due time if it started now)


def preview(ds: Dataset, requested: list[str] | None, rules=None) -> Preview:
    """How a request for ``requested`` items of ``ds`` would be routed under ``rules`` (default: in force)."""
    if requested is not None:
        known = {i.name for i in ds.items}
        requested = [n for n in requested if n in known] or None
    route = route_for(ds, requested, rules if rules is not None else load_rules())
    now = utcnow()
    due = []
    start = now
    for step in route.steps:
        days = working_days_for(step)
        start = due_at(start, days)
        due.append((str(step), days, start))
    return Preview(ds, requested, route, due)
