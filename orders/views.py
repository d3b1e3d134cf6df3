"""Pages: cart (数据篮), checkout, my requests with a timeline, request detail, approver inbox."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from marshmallow import ValidationError
from sqlalchemy import select

from market.auth import login_required, require_roles
from market.auth.models import Role
from market.db import db, utcnow
from market.errors import Forbidden, MarketError, NotFound
from market.security import MAX_ID, is_safe_path

from . import decisions, queries, services
from .models import AccessRequest, RequestLine
from .permissions import can_answer, can_decide, can_see_line, can_view_request, can_withdraw, current_step
from .schemas import CheckoutInput
from .state import LineState, aggregate_state

bp = Blueprint("orders", __name__)
shopper_required = require_roles(Role.requester, Role.officer, Role.public)  # public: conditional-open only
approver_required = require_roles(Role.officer, Role.operator)


def _back(default: str) -> str:
    target = request.form.get("next") or ""
    return target if is_safe_path(target) else default


@bp.get("/cart")
@shopper_required
def cart():
    c = services.get_cart(current_user)
    return render_template("orders/cart.html", cart=c, lines=services.describe_cart(c, current_user))


@bp.post("/cart/items")
@shopper_required
def add_item():
    """Add to the cart from the product page, the grid or the cart (to change the chosen items)."""
    dataset_id = request.form.get("dataset_id", "")
    fields = request.form.getlist("fields") if request.form.get("choose_fields") else None
    if not dataset_id.isdigit() or int(dataset_id) > MAX_ID:
        flash(_("请选择要加入数据篮的数据。"), "error")
        return redirect(_back(url_for("orders.cart")))
    cart = services.get_cart(current_user)
    existed = cart is not None and any(i.dataset_id == int(dataset_id) for i in cart.items)
    try:
        services.add_to_cart(current_user, int(dataset_id), fields)
    except MarketError as exc:
        flash(exc.message, "error")
        return redirect(_back(url_for("orders.cart")))
    db.session.commit()
    flash(_("已更新数据篮。") if existed else _("已加入数据篮。"), "success")
    return redirect(_back(url_for("orders.cart")))


@bp.post("/cart/items/<int:dataset_id>/remove")
@shopper_required
def remove_item(dataset_id: int):
    services.remove_from_cart(current_user, dataset_id)
    db.session.commit()
    flash(_("已从数据篮移除。"), "success")
    return redirect(url_for("orders.cart"))


@bp.route("/checkout", methods=["GET", "POST"])
@shopper_required
def checkout():
    c = services.get_cart(current_user)
    lines = services.describe_cart(c, current_user)
    values, errors = {"period_days": "90"}, {}
    if request.method == "POST":
        values = {k: request.form.get(k, "") for k in ("purpose", "legal_basis", "period_days", "cart_version")}
        try:
            data = CheckoutInput().load(values)
        except ValidationError as exc:
            errors = {k: v[0] if isinstance(v, list) else str(v) for k, v in exc.messages.items()}
        else:
            try:
                req, created = services.submit_access_request(current_user, **data)
            except MarketError as exc:
                errors = {"_": exc.message}
            else:
                db.session.commit()
                flash(_("申请已提交。") if created else _("该申请已提交过，未重复提交。"), "success")
                return redirect(url_for("orders.request_detail", request_id=req.id))
    status = 422 if errors else 200
    return render_template("orders/checkout.html", cart=c, lines=lines, values=values, errors=errors), status


@bp.get("/requests")
@login_required
def my_requests():
    rows = queries.requests_of(current_user)
    return render_template("orders/requests.html", rows=rows, aggregate=lambda r: aggregate_state(
        [ln.state for ln in r.lines]))


def _request_or_404(request_id: int) -> AccessRequest:
    req = db.session.get(AccessRequest, request_id)
    if req is None or not can_view_request(req, current_user):
        raise NotFound(_("没有找到该申请，或您无权查看。"))
    return req


def _line_or_404(request_id: int, line_id: int) -> RequestLine:
    req = _request_or_404(request_id)
    line = next((ln for ln in req.lines if ln.id == line_id and can_see_line(ln, current_user)), None)
    if line is None:
        raise NotFound(_("该申请没有这条明细。"))
    return line


@bp.get("/requests/<int:request_id>")
@login_required
def request_detail(request_id: int):
    req = _request_or_404(request_id)
    lines = [ln for ln in req.lines if can_see_line(ln, current_user)]
    return render_template("orders/detail.html", req=req, lines=lines,
                           state=aggregate_state([ln.state for ln in req.lines]),
                           timeline=queries.request_timeline(req, lines), current_step=current_step,
                           can_decide=lambda ln: can_decide(ln, current_user),
                           can_answer=lambda ln: can_answer(ln, current_user),
                           can_withdraw=lambda ln: can_withdraw(ln, current_user))


@bp.post("/requests/<int:request_id>/lines/<int:line_id>/decision")
@approver_required
def decide(request_id: int, line_id: int):
    line = _line_or_404(request_id, line_id)
    fields = request.form.getlist("fields") if request.form.get("choose_fields") else None
    try:
        decisions.decide_line(line, approver=current_user, decision=request.form.get("decision", ""),
                              comment=request.form.get("comment", "")[:2000], fields=fields)
    except MarketError as exc:
        flash(exc.message, "error")
    else:
        db.session.commit()
        flash(_("已记录您的审批意见。"), "success")
    return redirect(_back(url_for("orders.request_detail", request_id=request_id)))


@bp.post("/requests/<int:request_id>/lines/<int:line_id>/answer")
@login_required
def answer(request_id: int, line_id: int):
    line = _line_or_404(request_id, line_id)
    try:
        decisions.answer_line(line, requester=current_user, comment=request.form.get("comment", "")[:2000])
    except Forbidden:
        raise  # not the requester: a 403 page, not a flash on a page they cannot act on
    except MarketError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        db.session.commit()
        flash(_("补充说明已提交，等待继续审批。"), "success")
    return redirect(url_for("orders.request_detail", request_id=request_id))


@bp.post("/requests/<int:request_id>/lines/<int:line_id>/withdraw")
@login_required
def withdraw(request_id: int, line_id: int):
    line = _line_or_404(request_id, line_id)
    try:
        decisions.withdraw_line(line, requester=current_user)
    except Forbidden:
        raise  # not the requester: a 403 page, not a flash on a page they cannot act on
    except MarketError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        db.session.commit()
        flash(_("已撤回。"), "success")
    return redirect(url_for("orders.request_detail", request_id=request_id))


def _int_arg(name: str) -> int | None:
    raw = request.args.get(name, "")
    return int(raw) if raw.isdigit() and 0 < int(raw) <= MAX_ID else None


def _departments():
    from catalog.models import Department

    return db.session.scalars(select(Department).order_by(Department.code).limit(1000)).all()


@bp.get("/approvals")
@approver_required
def inbox():
    kind = request.args.get("kind") if request.args.get("kind") in ("owner", "platform", "compliance") else None
    overdue = request.args.get("overdue") == "1"
    department_id = _int_arg("department")
    lines = queries.approvals_for(current_user, kind=kind, overdue=overdue, department_id=department_id)
    return render_template("orders/inbox.html", lines=lines, kind=kind, overdue=overdue, current_step=current_step,
                           department_id=department_id, departments=_departments(), now=utcnow())


@bp.get("/approvals/overdue")
@approver_required
def overdue():
    """Steps past their due time: an officer's own department's, every one for operators."""
    now = utcnow()
    return render_template("orders/overdue.html", steps=queries.overdue_steps(now, user=current_user),
                           due_soon=queries.due_soon_steps(now, user=current_user), now=now)


OVERVIEW_PER_PAGE = 50


@bp.get("/approvals/overview")
@require_roles(Role.operator)
def overview():
    """The operator overview: every request with filters, counts per state, deadlines and escalations."""
    from datetime import date

    errors = {}
    dates = {}
    for key in ("from", "to"):
        raw = request.args.get(key, "").strip()
        try:
            dates[key] = date.fromisoformat(raw) if raw else None
        except ValueError:
            dates[key] = None
            errors[key] = _("日期格式应为 年-月-日，例如 2026-03-01。")
    state = request.args.get("state") if request.args.get("state") in {s.value for s in LineState} else None
    f = queries.OverviewFilter(state=state, department_id=_int_arg("department"), date_from=dates["from"],
                               date_to=dates["to"])
    page = min(_int_arg("page") or 1, 10_000)
    rows, total = queries.overview_requests(f, page=page, per_page=OVERVIEW_PER_PAGE)
    now = utcnow()
    return render_template("orders/overview.html", f=f, rows=rows, total=total, page=page,
                           pages=max(1, -(-total // OVERVIEW_PER_PAGE)), counts=queries.line_state_counts(f),
                           line_states=[s.value for s in LineState], departments=_departments(), errors=errors,
                           args={k: request.args.get(k, "") for k in ("state", "department", "from", "to")},
                           keep={k: request.args[k] for k in ("department", "from", "to") if request.args.get(k)},
                           overdue=queries.overdue_steps(now, limit=20),
                           overdue_total=queries.count_overdue(now),
                           due_soon=queries.due_soon_steps(now, limit=20), escalated=queries.escalated_steps(20),
                           aggregate=lambda r: aggregate_state([ln.state for ln in r.lines]), now=now)


@bp.post("/approvals/batch")
@approver_required
def inbox_batch():
    ids = [int(i) for i in request.form.getlist("line_ids") if i.isdigit() and int(i) <= MAX_ID][:200]
    if not ids:
        flash(_("请先勾选要处理的申请。"), "error")
        return redirect(url_for("orders.inbox"))
    lines = list(db.session.scalars(select(RequestLine).where(RequestLine.id.in_(ids))))
    try:
        results = decisions.decide_batch(lines, approver=current_user, decision=request.form.get("decision", ""),
                                         comment=request.form.get("comment", "")[:2000])
    except MarketError as exc:
        flash(exc.message, "error")
        return redirect(url_for("orders.inbox"))
    db.session.commit()
    done = [r for r in results if r.ok]
    flash(_("已处理 %(n)s 条。", n=len(done)), "success")
    for r in results:
        if not r.ok:
            flash(_("明细 %(id)s 未处理：%(m)s", id=r.line_id, m=r.error), "error")
    return redirect(url_for("orders.inbox"))
