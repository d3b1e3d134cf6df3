"""Versioning shared by every rule set: a change is a ``RuleChange`` row (before/after JSON, who, why) plus an
entry in the audit hash chain, both in the caller's transaction."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import func, select

from audit import record_event
from market.db import db
from market.errors import ValidationFailed

from .models import RULE_SETS, RuleChange

REASON_MIN, REASON_MAX = 4, 500
HISTORY_PAGE = 20


def clean_reason(reason: str | None) -> str:
    """The mandatory reason of a change (4–500 characters) or ValidationFailed naming the field."""
    value = " ".join((reason or "").split())
    if len(value) < REASON_MIN:
        raise ValidationFailed(_("请填写修改原因（至少 4 个字），说明为什么修改这条规则。"),
                               fields={"reason": [f"required, {REASON_MIN}–{REASON_MAX} characters"]})
    if len(value) > REASON_MAX:
        raise ValidationFailed(_("修改原因最多 %(n)s 个字。", n=REASON_MAX),
                               fields={"reason": [f"at most {REASON_MAX} characters"]})
    return value


def record_change(rule_set: str, key: str, action: str, before, after, *, actor, reason: str) -> RuleChange:
    """Log one change of ``rule_set`` (versioned history + audit chain); the caller commits."""
    if rule_set not in RULE_SETS:
        raise ValueError(f"unknown rule set {rule_set!r}")
    reason = clean_reason(reason)
    change = RuleChange(rule_set=rule_set, object_key=str(key)[:200], action=action, before=before, after=after,
                        reason=reason, actor_id=getattr(actor, "id", None))
    db.session.add(change)
    db.session.flush()
    record_event(f"rules.{rule_set}.{action}", "rule_set", rule_set, actor=actor,
                 payload={"change_id": change.id, "key": change.object_key, "before": before, "after": after,
                          "reason": reason})
    return change


def history(rule_set: str, page: int = 1, per_page: int = HISTORY_PAGE) -> tuple[list[RuleChange], int]:
    """One page of a rule set's changes, newest first, and the number of pages."""
    total = db.session.scalar(select(func.count()).select_from(RuleChange).where(RuleChange.rule_set == rule_set))
    pages = max(1, -(-(total or 0) // per_page))
    page = min(max(1, page), pages)
    rows = db.session.scalars(select(RuleChange).where(RuleChange.rule_set == rule_set)
                              .order_by(RuleChange.id.desc()).offset((page - 1) * per_page).limit(per_page)).all()
    return list(rows), pages


def last_changes() -> dict[str, RuleChange]:
    """The latest change of each rule set (for the library's overview)."""
    latest = select(RuleChange.rule_set, func.max(RuleChange.id).label("id")).group_by(RuleChange.rule_set).subquery()
    rows = db.session.scalars(select(RuleChange).join(latest, RuleChange.id == latest.c.id)).all()
    return {r.rule_set: r for r in rows}


def _flatten(value, prefix: str, out: dict) -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            _flatten(v, f"{prefix}.{k}" if prefix else str(k), out)
    elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        for n, v in enumerate(value, start=1):
            _flatten(v, f"{prefix}[{n}]" if prefix else f"[{n}]", out)
    else:
        out[prefix or "value"] = value


def diff(before, after) -> list[tuple[str, object, object]]:
    """Changed leaves between two JSON values: ``[(path, old, new)]`` in a stable order (``rules[2].outcome``)."""
    old: dict = {}
    new: dict = {}
    if before is not None:
        _flatten(before, "", old)
    if after is not None:
        _flatten(after, "", new)
    keys = list(dict.fromkeys([*old, *new]))
    missing = object()
    rows = []
    for k in keys:
        a, b = old.get(k, missing), new.get(k, missing)
        if a != b:
            rows.append((k, None if a is missing else a, None if b is missing else b))
    return rows


def like_pattern(q: str) -> str:
    """A ``%q%`` pattern with LIKE wildcards escaped (use with ``escape='\\\\'``)."""
    q = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{q}%"


def paged(stmt, page: int, per_page: int) -> tuple[list, int]:
    """One page of ``stmt``'s rows and the page count (page clamped into range)."""
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    return list(db.session.scalars(stmt.offset((page - 1) * per_page).limit(per_page))), pages


def save_versioned(model, row, values: dict, *, rule_set: str, unique: str, to_json, actor, reason: str,
                   taken: str):
    """Create (``row`` None) or update a rule row from validated ``values``; refuse a second row with the same
    ``unique`` value (``taken`` is the message, formatted with ``value`` and ``other``); log the change."""
    clash = db.session.scalar(select(model).where(getattr(model, unique) == values[unique]))
    if clash is not None and clash is not row:
        raise ValidationFailed(taken.format(value=values[unique], other=clash),
                               fields={unique: [taken.format(value=values[unique], other=clash)]})
    before = to_json(row)
    if row is None:
        row = model(**values)
        db.session.add(row)
    else:
        for k, v in values.items():
            setattr(row, k, v)
    db.session.flush()
    after = to_json(row)
    if before != after:
        record_change(rule_set, values[unique], "created" if before is None else "updated", before, after,
                      actor=actor, reason=reason)
    return row
