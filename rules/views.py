"""Rules library pages (/rules): officers and operators read, operators edit; every edit asks why."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from catalog.models import DataItem
from catalog.schemas import ITEM_TYPES
from market.auth import require_roles
from market.auth.models import Role
from market.db import db
from market.errors import Forbidden, NotFound, ValidationFailed
from orders.state import StepKind
from search.models import SearchSynonym

from . import calendar, routing, standards, terms
from .models import RULE_SETS, CalendarDay, DataStandard, GovTerm
from .services import diff, history, last_changes

bp = Blueprint("rules", __name__, url_prefix="/rules")
readers = require_roles(Role.officer, Role.operator)
editors = require_roles(Role.operator)


def _page() -> int:
    raw = request.args.get("page", "1")
    return int(raw) if raw.isdigit() and len(raw) < 6 else 1


def _errors(exc: ValidationFailed) -> dict[str, str]:
    """Field → message for the page; API-style English field notes give way to the (Chinese) message."""
    out = {}
    for key, value in (exc.fields or {}).items():
        text = value[0] if isinstance(value, list) and value else str(value)
        out[key] = exc.message if text.isascii() else text
    return out or {"form": exc.message}


def _fail(exc: ValidationFailed) -> None:
    db.session.rollback()
    flash(_("没有保存：%(m)s", m=exc.message), "error")


def _reason() -> str:
    return request.form.get("reason", "")[:1000]


def _apply(action, message) -> bool:
    """Run ``action()`` (a change that asks for the posted reason), commit and flash ``message`` (or, if it is
    callable, ``message(result)``); on invalid input roll back and flash why. Returns whether it was saved."""
    try:
        result = action()
        db.session.commit()
    except ValidationFailed as exc:
        _fail(exc)
        return False
    flash(message(result) if callable(message) else message, "success")
    return True


def set_labels() -> dict[str, str]:
    return {"routing": _("审批路由规则"), "deadlines": _("审批时限"), "calendar": _("工作日历"),
            "synonyms": _("搜索同义词"), "terms": _("政务术语词典"), "standards": _("数据元标准")}


@bp.app_context_processor
def _labels():
    return {"rule_set_labels": set_labels, "step_label": step_label}


def step_label(kind) -> str:
    return {"compliance": _("合规审查"), "owner": _("数源部门审批"), "platform": _("平台（大数据局）审批")}.get(
        str(kind), str(kind))


@bp.get("")
@readers
def index():
    counts = {
        "routing": len(routing.current_rules()),
        "deadlines": len(calendar.DEFAULT_STEP_DAYS),
        "calendar": db.session.scalar(select(func.count()).select_from(CalendarDay)),
        "synonyms": db.session.scalar(select(func.count()).select_from(SearchSynonym)),
        "terms": db.session.scalar(select(func.count()).select_from(GovTerm)),
        "standards": db.session.scalar(select(func.count()).select_from(DataStandard)),
    }
    return render_template("rules/index.html", counts=counts, latest=last_changes(), sets=RULE_SETS)


# --- routing ---------------------------------------------------------------------------------------------
def _routing_page(rows, errors=None, result=None, draft=None, status=200, reason=""):
    return render_template("rules/routing.html", rows=rows, errors=errors or {}, result=result, draft=draft,
                           shares=routing.SHARES, steps=routing.STEP_ORDER, reason=reason,
                           can_edit=current_user.role == Role.operator,
                           ref=request.values.get("dataset", ""),
                           items=request.values.get("items", "")), status


def _requested(raw: str) -> list[str] | None:
    names = [n.strip() for n in raw.replace("，", ",").replace("、", ",").split(",") if n.strip()]
    return names[:200] or None


@bp.get("/routing")
@readers
def routing_rules():
    result = None
    errors = {}
    if request.args.get("dataset"):
        try:
            ds = routing.find_dataset(request.args["dataset"])
            result = routing.preview(ds, _requested(request.args.get("items", "")[:2000]))
        except ValidationFailed as exc:
            errors = _errors(exc)
    return _routing_page(routing.rows_from_rules(routing.current_rules()), errors, result)


@bp.post("/routing")
@editors
def save_routing():
    rows = routing.rows_from_form(request.form)
    rules, errors = routing.parse_rows(rows)
    reason = request.form.get("reason", "")[:1000]
    if errors:
        flash(_("规则有误，请按提示修改后再保存。"), "error")
        return _routing_page(rows, errors, status=422, reason=reason)
    if request.form.get("action") == "preview":
        try:
            ds = routing.find_dataset(request.form.get("dataset", ""))
            requested = _requested(request.form.get("items", "")[:2000])
            current = routing.preview(ds, requested)
            draft = routing.preview(ds, requested, routing.to_rules(rules))
        except ValidationFailed as exc:
            return _routing_page(rows, _errors(exc), status=422, reason=reason)
        return _routing_page(rows, result=current, draft=draft, reason=reason)
    try:
        routing.save_rules(rules, actor=current_user, reason=reason)
        db.session.commit()
    except ValidationFailed as exc:
        _fail(exc)
        return _routing_page(rows, _errors(exc), status=422, reason=reason)
    flash(_("审批路由规则已保存，下一次提交申请即按新规则路由。"), "success")
    return redirect(url_for("rules.routing_rules"))


# --- deadlines -------------------------------------------------------------------------------------------
@bp.route("/deadlines", methods=["GET", "POST"])
@readers
def deadlines():
    values = calendar.step_deadlines()
    errors = {}
    reason = ""
    if request.method == "POST":
        if current_user.role != Role.operator:
            raise Forbidden(_("只有平台运营人员可以修改规则。"), code="forbidden_role")
        values = {k: request.form.get(k, "")[:10] for k in calendar.DEFAULT_STEP_DAYS}
        reason = request.form.get("reason", "")[:1000]
        try:
            calendar.set_step_deadlines(values, actor=current_user, reason=reason)
            db.session.commit()
            flash(_("审批时限已保存，新开始的审批环节按新时限计算。"), "success")
            return redirect(url_for("rules.deadlines"))
        except ValidationFailed as exc:
            _fail(exc)
            errors = _errors(exc)
    return render_template("rules/deadlines.html", values=values, defaults=calendar.DEFAULT_STEP_DAYS,
                           errors=errors, reason=reason, kinds=[k.value for k in StepKind],
                           can_edit=current_user.role == Role.operator), 422 if errors else 200


# --- calendar --------------------------------------------------------------------------------------------
def _year() -> int:
    raw = request.values.get("year", "")
    return int(raw) if raw.isdigit() and 2000 <= int(raw) <= 2100 else date.today().year


@bp.get("/calendar")
@readers
def calendar_page(errors=None, form=None, status=200):
    year = _year()
    days = calendar.year_days(year)
    years = sorted(set(calendar.calendar_years()) | {year, date.today().year, date.today().year + 1})
    return render_template("rules/calendar.html", year=year, days=days, years=years, errors=errors or {},
                           form=form or {}, text=(form or {}).get("lines") or calendar.year_as_text(year),
                           can_edit=current_user.role == Role.operator), status


@bp.post("/calendar/day")
@editors
def calendar_set_day():
    form = {k: request.form.get(k, "")[:1000] for k in ("day", "kind", "name", "reason")}
    try:
        day = calendar.parse_day(form["day"])
        calendar.set_day(day, form["kind"], form["name"], actor=current_user, reason=form["reason"])
        db.session.commit()
    except ValidationFailed as exc:
        _fail(exc)
        return calendar_page(_errors(exc), form, 422)
    flash(_("已保存 %(d)s。", d=day.isoformat()), "success")
    return redirect(url_for("rules.calendar_page", year=day.year))


@bp.post("/calendar/day/<day>/delete")
@editors
def calendar_delete_day(day: str):
    d = calendar.parse_day(day)
    _apply(lambda: calendar.delete_day(d, actor=current_user, reason=_reason()),
           _("已从日历中删除 %(d)s。", d=d.isoformat()))
    return redirect(url_for("rules.calendar_page", year=d.year))


@bp.post("/calendar/import")
@editors
def calendar_import():
    year = _year()
    form = {"lines": request.form.get("lines", "")[:20000], "reason": request.form.get("reason", "")[:1000]}
    try:
        n = calendar.replace_year(year, form["lines"], actor=current_user, reason=form["reason"])
        db.session.commit()
    except ValidationFailed as exc:
        _fail(exc)
        return calendar_page({"import-" + k: v for k, v in _errors(exc).items()}, form, 422)
    flash(_("%(y)s 年日历已更新，共 %(n)s 天。", y=year, n=n), "success")
    return redirect(url_for("rules.calendar_page", year=year))


# --- synonyms --------------------------------------------------------------------------------------------
@bp.get("/synonyms")
@readers
def synonyms(errors=None, form=None, status=200):
    q = request.args.get("q", "")[:100]
    rows, pages = terms.synonym_page(q, _page())
    return render_template("rules/synonyms.html", rows=rows, q=q, page=_page(), pages=pages,
                           errors=errors or {}, form=form or {},
                           can_edit=current_user.role == Role.operator), status


@bp.post("/synonyms")
@editors
def add_synonym():
    form = {k: request.form.get(k, "")[:1000] for k in ("term", "synonym", "reason")}
    try:
        terms.add_pair(form["term"], form["synonym"], actor=current_user, reason=form["reason"])
        db.session.commit()
    except ValidationFailed as exc:
        _fail(exc)
        return synonyms(_errors(exc), form, 422)
    flash(_("已添加同义词，搜索立即生效。"), "success")
    return redirect(url_for("rules.synonyms"))


@bp.post("/synonyms/<int:pair_id>/delete")
@editors
def delete_synonym(pair_id: int):
    _apply(lambda: terms.remove_pair(pair_id, actor=current_user, reason=_reason()), _("已删除同义词。"))
    return redirect(url_for("rules.synonyms"))


# --- government terms ------------------------------------------------------------------------------------
@bp.get("/terms")
@readers
def term_list():
    q = request.args.get("q", "")[:100]
    rows, pages = terms.term_page(q, _page())
    return render_template("rules/terms.html", rows=rows, q=q, page=_page(), pages=pages,
                           can_edit=current_user.role == Role.operator)


def _term_or_404(term_id: int) -> GovTerm:
    term = db.session.get(GovTerm, term_id)
    if term is None:
        raise NotFound(_("没有编号为 %(id)s 的术语。", id=term_id))
    return term


def _edit_page(obj_id, *, load, to_json, keys, save, done, template, name, defaults=None, **extra):
    """GET: the form for ``load(obj_id)`` (``None`` = new); POST: validate, save with the posted reason, commit
    and return ``done(saved)``; invalid input shows the form again with a message per field (422)."""
    obj = load(obj_id) if obj_id is not None else None
    form = to_json(obj) or dict(defaults or {})
    errors = {}
    if request.method == "POST":
        form = {k: request.form.get(k, "")[:3000] for k in (*keys, "reason")}
        try:
            obj = save(obj, form, actor=current_user, reason=form["reason"])
            db.session.commit()
        except ValidationFailed as exc:
            _fail(exc)
            errors = _errors(exc)
            obj = load(obj_id) if obj_id is not None else None
        else:
            return done(obj)
    return render_template(template, form=form, errors=errors, **{name: obj}, **extra), 422 if errors else 200


def _term_saved(term: GovTerm):
    flash(_("术语“%(t)s”已保存。", t=term.term), "success")
    return redirect(url_for("rules.term_list", q=term.term))


@bp.route("/terms/new", methods=["GET", "POST"])
@bp.route("/terms/<int:term_id>/edit", methods=["GET", "POST"])
@editors
def term_form(term_id: int | None = None):
    return _edit_page(term_id, load=_term_or_404, to_json=terms.term_json, keys=terms.TERM_LIMITS,
                      save=terms.save_term, done=_term_saved, template="rules/term_form.html", name="term")


@bp.post("/terms/<int:term_id>/delete")
@editors
def term_delete(term_id: int):
    term = _term_or_404(term_id)
    _apply(lambda: terms.delete_term(term, actor=current_user, reason=_reason()), _("已删除术语。"))
    return redirect(url_for("rules.term_list"))


# --- data standards --------------------------------------------------------------------------------------
@bp.get("/standards")
@readers
def standard_list():
    q = request.args.get("q", "")[:100]
    rows, pages = standards.standard_page(q, _page())
    counts = dict(db.session.execute(select(DataItem.standard_id, func.count()).where(
        DataItem.standard_id.in_([r.id for r in rows])).group_by(DataItem.standard_id)).all()) if rows else {}
    return render_template("rules/standards.html", rows=rows, q=q, page=_page(), pages=pages, counts=counts,
                           can_edit=current_user.role == Role.operator)


def _standard_or_404(std_id: int) -> DataStandard:
    std = db.session.get(DataStandard, std_id)
    if std is None:
        raise NotFound(_("没有编号为 %(id)s 的数据元。", id=std_id))
    return std


@bp.get("/standards/<int:std_id>")
@readers
def standard_detail(std_id: int):
    std = _standard_or_404(std_id)
    linked, unlinked, datasets = standards.usage(std)
    return render_template("rules/standard.html", std=std, linked=linked, unlinked=unlinked, datasets=datasets,
                           limit=standards.USAGE_LIMIT, can_edit=current_user.role == Role.operator)


def _standard_saved(std: DataStandard):
    flash(_("数据元“%(n)s”已保存。", n=std.name), "success")
    return redirect(url_for("rules.standard_detail", std_id=std.id))


@bp.route("/standards/new", methods=["GET", "POST"])
@bp.route("/standards/<int:std_id>/edit", methods=["GET", "POST"])
@editors
def standard_form(std_id: int | None = None):
    return _edit_page(std_id, load=_standard_or_404, to_json=standards.standard_json,
                      keys=("code", "name", "type", "max_length", "description", "source"),
                      save=standards.save_standard, done=_standard_saved, template="rules/standard_form.html",
                      name="std", defaults={"type": "string"}, item_types=ITEM_TYPES)


@bp.post("/standards/<int:std_id>/link")
@editors
def standard_link(std_id: int):
    std = _standard_or_404(std_id)
    _apply(lambda: standards.link_same_name(std, actor=current_user, reason=_reason()),
           lambda n: _("已为 %(n)s 个同名信息项关联该数据元。", n=n))
    return redirect(url_for("rules.standard_detail", std_id=std_id))


@bp.post("/standards/<int:std_id>/delete")
@editors
def standard_delete(std_id: int):
    std = _standard_or_404(std_id)
    if not _apply(lambda: standards.delete_standard(std, actor=current_user, reason=_reason()),
                  _("已删除数据元。")):
        return redirect(url_for("rules.standard_detail", std_id=std_id))
    return redirect(url_for("rules.standard_list"))


# --- history ---------------------------------------------------------------------------------------------
@bp.get("/<rule_set>/history")
@readers
def rule_history(rule_set: str):
    if rule_set not in RULE_SETS:
        raise NotFound(_("没有这个规则集。"))
    rows, pages = history(rule_set, _page())
    return render_template("rules/history.html", rule_set=rule_set, rows=rows, page=_page(), pages=pages,
                           diffs={r.id: diff(r.before, r.after) for r in rows})
