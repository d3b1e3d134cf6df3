"""Time rules: the working-day calendar (public holidays 休 and make-up working days 班) and the working days
each approval step kind is given. ``orders.deadlines`` asks ``is_working_day`` and ``step_working_days``.

Both tables are small; they are read once per request (or CLI run) and kept on ``flask.g``, and every change
made here drops that copy, so a change applies to the very next due time in every process.
"""

from __future__ import annotations

import re
from datetime import date

from flask import g, has_app_context
from flask_babel import gettext as _
from sqlalchemy import delete, extract, select

from market.db import db
from market.errors import ValidationFailed

from .models import CalendarDay, StepDeadline
from .services import record_change

DEFAULT_STEP_DAYS = {"compliance": 2, "owner": 5, "platform": 5}
STEP_DAYS_RANGE = (1, 60)
KIND_WORDS = {"休": "holiday", "holiday": "holiday", "假": "holiday", "班": "workday", "workday": "workday"}
MAX_IMPORT_LINES = 120
_LINE = re.compile(r"^(\d{4}-\d{2}-\d{2})\s+(\S+)\s*(.*)$")


def invalidate() -> None:
    if has_app_context():
        g.pop("_rules_calendar", None)
        g.pop("_rules_step_days", None)


def _overrides() -> dict[date, bool]:
    if not has_app_context():
        return {}
    cached = g.get("_rules_calendar")
    if cached is None:
        cached = {d: kind == "workday" for d, kind in db.session.execute(select(CalendarDay.day, CalendarDay.kind))}
        g._rules_calendar = cached
    return cached


def is_working_day(day: date) -> bool:
    """Monday–Friday unless the calendar says otherwise (holiday → no, make-up working day → yes)."""
    override = _overrides().get(day)
    return day.weekday() < 5 if override is None else override


def step_working_days(kind: str, default: int | None = None) -> int:
    """Working days an approver has for a step of ``kind`` (the library's setting, else the default)."""
    kind = str(getattr(kind, "value", kind))
    fallback = default if default is not None else DEFAULT_STEP_DAYS.get(kind, 5)
    if not has_app_context():
        return fallback
    cached = g.get("_rules_step_days")
    if cached is None:
        cached = dict(db.session.execute(select(StepDeadline.step_kind, StepDeadline.working_days)).all())
        g._rules_step_days = cached
    return cached.get(kind, fallback)


def step_deadlines() -> dict[str, int]:
    return {k: step_working_days(k, v) for k, v in DEFAULT_STEP_DAYS.items()}


def set_step_deadlines(values: dict, *, actor, reason: str) -> dict[str, int]:
    """Set the working days per step kind (1–60 each); unchanged values are not logged."""
    errors: dict[str, list[str]] = {}
    clean: dict[str, int] = {}
    lo, hi = STEP_DAYS_RANGE
    for kind in DEFAULT_STEP_DAYS:
        raw = values.get(kind)
        try:
            n = int(str(raw).strip())
        except (TypeError, ValueError):
            errors[kind] = [_("请填写 %(lo)s–%(hi)s 之间的整数（工作日）", lo=lo, hi=hi)]
            continue
        if not lo <= n <= hi:
            errors[kind] = [_("请填写 %(lo)s–%(hi)s 之间的整数（工作日）", lo=lo, hi=hi)]
            continue
        clean[kind] = n
    if errors:
        raise ValidationFailed(_("审批时限有误：%(e)s", e="；".join(f"{k}: {v[0]}" for k, v in errors.items())),
                               fields=errors)
    before = step_deadlines()
    if before == clean:
        return before
    for kind, n in clean.items():
        row = db.session.get(StepDeadline, kind)
        if row is None:
            db.session.add(StepDeadline(step_kind=kind, working_days=n))
        else:
            row.working_days = n
    db.session.flush()
    record_change("deadlines", "all", "updated", before, clean, actor=actor, reason=reason)
    invalidate()
    return clean


def _day_json(row: CalendarDay | None):
    return None if row is None else {"day": row.day.isoformat(), "kind": row.kind, "name": row.name}


def parse_day(raw: str, field: str = "day") -> date:
    try:
        return date.fromisoformat((raw or "").strip())
    except ValueError:
        raise ValidationFailed(_("日期格式应为 YYYY-MM-DD，例如 2026-10-01。"),
                               fields={field: ["date YYYY-MM-DD"]}) from None


def _check_day(day: date, kind: str, name: str, errors: dict, where: str = "") -> None:
    if kind not in ("holiday", "workday"):
        errors[f"{where}kind"] = [_("类型应为“休”（节假日）或“班”（调休上班）")]
    elif kind == "workday" and day.weekday() < 5:
        errors[f"{where}kind"] = [_("%(d)s 本来就是工作日（周一至周五），调休上班只用于周末", d=day.isoformat())]
    if len(name) > 100:
        errors[f"{where}name"] = [_("名称最多 100 个字")]
    if not 2000 <= day.year <= 2100:
        errors[f"{where}day"] = [_("年份应在 2000–2100 之间")]


def set_day(day: date, kind: str, name: str, *, actor, reason: str) -> CalendarDay:
    """Mark ``day`` as a holiday or a make-up working day (created or changed); logged with the reason."""
    name = " ".join((name or "").split())
    errors: dict[str, list[str]] = {}
    _check_day(day, kind, name, errors)
    if errors:
        raise ValidationFailed(next(iter(errors.values()))[0], fields=errors)
    row = db.session.get(CalendarDay, day)
    before = _day_json(row)
    if row is None:
        row = CalendarDay(day=day, kind=kind, name=name)
        db.session.add(row)
    else:
        row.kind, row.name = kind, name
    db.session.flush()
    after = _day_json(row)
    if before != after:
        record_change("calendar", day.isoformat(), "created" if before is None else "updated", before, after,
                      actor=actor, reason=reason)
    invalidate()
    return row


def delete_day(day: date, *, actor, reason: str) -> None:
    row = db.session.get(CalendarDay, day)
    if row is None:
        raise ValidationFailed(_("%(d)s 不在日历中。", d=day.isoformat()), fields={"day": ["not in the calendar"]})
    record_change("calendar", day.isoformat(), "deleted", _day_json(row), None, actor=actor, reason=reason)
    db.session.delete(row)
    db.session.flush()
    invalidate()


def parse_lines(text: str, year: int) -> list[tuple[date, str, str]]:
    """Lines ``2026-10-01 休 国庆节`` (or ``班``); per-line errors as fields ``line N``."""
    lines = [ln.strip() for ln in (text or "").splitlines() if ln.strip() and not ln.strip().startswith("#")]
    if len(lines) > MAX_IMPORT_LINES:
        raise ValidationFailed(_("一次最多 %(n)s 行。", n=MAX_IMPORT_LINES), fields={"lines": [f"at most {MAX_IMPORT_LINES}"]})
    errors: dict[str, list[str]] = {}
    out: dict[date, tuple[date, str, str]] = {}
    for n, line in enumerate(lines, start=1):
        m = _LINE.match(line)
        where = _("第 %(n)s 行", n=n)
        if not m:
            errors[where] = [_("“%(l)s”：格式应为“日期 休/班 名称”，例如 2026-10-01 休 国庆节", l=line[:40])]
            continue
        try:
            day = date.fromisoformat(m.group(1))
        except ValueError:
            errors[where] = [_("“%(d)s” 不是有效日期", d=m.group(1))]
            continue
        kind = KIND_WORDS.get(m.group(2).lower())
        name = " ".join(m.group(3).split())
        if day.year != year:
            errors[where] = [_("%(d)s 不属于 %(y)s 年", d=day.isoformat(), y=year)]
            continue
        problems: dict[str, list[str]] = {}
        _check_day(day, kind or "?", name, problems)
        if problems:
            errors[where] = next(iter(problems.values()))
            continue
        if day in out:
            errors[where] = [_("%(d)s 重复出现", d=day.isoformat())]
            continue
        out[day] = (day, kind, name)
    if errors:
        first = next(iter(errors.items()))
        raise ValidationFailed(_("%(w)s：%(m)s", w=first[0], m=first[1][0]), fields=errors)
    return sorted(out.values())


def replace_year(year: int, text: str, *, actor, reason: str) -> int:
    """Replace the whole calendar of ``year`` with the parsed lines; logged as one change. Returns the count."""
    if not 2000 <= year <= 2100:
        raise ValidationFailed(_("年份应在 2000–2100 之间。"), fields={"year": ["2000–2100"]})
    days = parse_lines(text, year)
    before = [_day_json(r) for r in year_days(year)]
    after = [{"day": d.isoformat(), "kind": k, "name": n} for d, k, n in days]
    if before == after:
        return len(days)
    db.session.execute(delete(CalendarDay).where(extract("year", CalendarDay.day) == year))
    db.session.add_all(CalendarDay(day=d, kind=k, name=n) for d, k, n in days)
    db.session.flush()
    record_change("calendar", str(year), "replaced", before, after, actor=actor, reason=reason)
    invalidate()
    return len(days)


def year_days(year: int) -> list[CalendarDay]:
    return list(db.session.scalars(select(CalendarDay).where(extract("year", CalendarDay.day) == year)
                                   .order_by(CalendarDay.day)))


def calendar_years() -> list[int]:
    years = {d.year for d in db.session.scalars(select(CalendarDay.day))}
    return sorted(years)


def year_as_text(year: int) -> str:
    word = {"holiday": "休", "workday": "班"}
    return "\n".join(f"{r.day.isoformat()} {word[r.kind]} {r.name}".rstrip() for r in year_days(year))
