"""Pages and forms of data trading: prices on the product page, the buyer's product choice, pay / cancel,
refunds, receipts and the ledger (per buyer, per department, platform-wide; CSV too)."""

from __future__ import annotations

import csv
import io

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from catalog.models import Dataset, Department
from catalog.permissions import can_view
from market.auth import login_required, require_roles
from market.auth.models import Role
from market.db import db
from market.errors import Forbidden, MarketError, NotFound
from market.security import MAX_ID
from orders import services as order_services

from . import services
from .models import LedgerEntry, Payment, Product

bp = Blueprint("trading", __name__, url_prefix="/trading")
LEDGER_PAGE = 50


def _back(default: str) -> str:
    target = request.form.get("next") or ""
    return target if target.startswith("/") and not target.startswith("//") else default


def _dataset(dataset_id: int) -> Dataset:
    ds = db.session.get(Dataset, dataset_id)
    if ds is None or not can_view(ds, current_user):
        raise NotFound(_("没有找到编号为 %(id)s 的数据目录，或您无权查看。", id=dataset_id))
    return ds


def _payment(payment_id: int) -> Payment:
    p = db.session.get(Payment, payment_id)
    if p is None or not (p.buyer_id == current_user.id or services.can_refund(p, current_user)):
        raise NotFound(_("没有找到该笔款项，或您无权查看。"))
    return p


def _run(action, success: str, default: str):
    """Run a service call, commit, flash; a MarketError is shown to the user and rolled back."""
    try:
        action()
    except MarketError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(_back(default))
    db.session.commit()
    if success:
        flash(success, "success")
    return redirect(_back(default))


def _product_page(ds) -> str:
    return url_for("catalog.detail", dataset_id=ds.id)


@bp.post("/datasets/<int:dataset_id>/products")
@login_required
def add_product(dataset_id: int):
    ds = _dataset(dataset_id)
    f = request.form
    return _run(lambda: services.add_product(ds, actor=current_user, kind=f.get("kind", ""), amount=f.get("amount", ""),
                                             period_days=f.get("period_days"), calls=f.get("calls")),
                _("已添加价格。"), _product_page(ds))


@bp.post("/products/<int:product_id>/withdraw")
@login_required
def withdraw_product(product_id: int):
    product = db.session.get(Product, product_id)
    if product is None or not can_view(product.dataset, current_user):
        raise NotFound(_("没有找到该价格。"))
    return _run(lambda: services.withdraw_product(product, actor=current_user), _("已停售该价格。"),
                _product_page(product.dataset))


@bp.post("/<any(datasets, departments):target>/<int:target_id>/block")
@require_roles(Role.operator)
def block(target: str, target_id: int):
    obj = _dataset(target_id) if target == "datasets" else db.session.get(Department, target_id)
    if obj is None:
        raise NotFound(_("没有找到该部门。"))
    kw = {"dataset": obj} if target == "datasets" else {"department": obj}
    if request.form.get("action") == "unblock":
        return _run(lambda: services.clear_block(actor=current_user, **kw), _("已恢复数据交易。"), "/")
    return _run(lambda: services.set_block(actor=current_user, reason=request.form.get("reason", ""), **kw),
                _("已停用数据交易。"), "/")


@bp.post("/datasets/<int:dataset_id>/buy")
@require_roles(Role.requester, Role.officer)
def buy(dataset_id: int):
    """Put the entry in the cart with the chosen product (or change the product of a cart line)."""
    ds = _dataset(dataset_id)
    product_id = request.form.get("product_id", "")
    if not product_id.isdigit() or int(product_id) > MAX_ID:
        flash(_("请选择要购买的价格。"), "error")
        return redirect(_back(_product_page(ds)))

    def action():
        cart = order_services.get_cart(current_user)
        if cart is None or not any(i.dataset_id == ds.id for i in cart.items):
            order_services.add_to_cart(current_user, ds.id)
        services.choose_product(current_user, ds, int(product_id))

    return _run(action, _("已加入数据篮；付款在审批通过后进行。"), url_for("orders.cart"))


@bp.post("/payments/<int:payment_id>/pay")
@login_required
def pay(payment_id: int):
    payment = _payment(payment_id)
    back = f"/requests/{payment.request_id}"
    try:
        services.pay(payment, user=current_user, payment_method=request.form.get("payment_method", ""))
    except MarketError as exc:
        db.session.rollback()
        if exc.code == "payment_expired":
            services.expire_payment(db.session.get(Payment, payment_id))
            db.session.commit()
        flash(exc.message, "error")
        return redirect(back)
    db.session.commit()
    if payment.status == "failed":
        flash(payment.message, "error")
    elif payment.status == "succeeded":
        flash(_("付款成功，已授权。"), "success")
    else:
        flash(_("付款处理中，结果确认后会通知您。"), "info")
    return redirect(back)


@bp.post("/payments/<int:payment_id>/cancel")
@login_required
def cancel(payment_id: int):
    payment = _payment(payment_id)
    return _run(lambda: services.cancel_payment(payment, user=current_user), _("已取消，该明细已撤回，未扣款。"),
                f"/requests/{payment.request_id}")


@bp.post("/payments/<int:payment_id>/refund")
@login_required
def refund(payment_id: int):
    payment = _payment(payment_id)
    return _run(lambda: services.refund(payment, actor=current_user, amount=request.form.get("amount", ""),
                                        reason=request.form.get("reason", "")),
                _("已退款。"), url_for("trading.receipt", payment_id=payment.id))


@bp.get("/payments/<int:payment_id>/receipt")
@login_required
def receipt(payment_id: int):
    payment = _payment(payment_id)
    if not payment.entries:
        raise NotFound(_("该笔款项尚未支付，没有收据。"))
    return render_template("trading/receipt.html", p=payment, can_refund=services.can_refund(payment, current_user),
                           net=sum(e.amount_fen for e in payment.entries))


def _ledger_scope():
    """Which ledger the user may read: an operator everything (or one department), an officer their
    department's revenue, everyone their own purchases (?mine=1 for officers/operators too)."""
    stmt = select(LedgerEntry)
    dept = request.args.get("department", "")
    if request.args.get("mine") or current_user.role not in (Role.officer, Role.operator):
        return stmt.where(LedgerEntry.buyer_id == current_user.id), "buyer", None
    if current_user.role == Role.officer:
        if dept and dept != str(current_user.department_id):
            raise Forbidden(_("只能查看本部门的收入。"))
        return stmt.where(LedgerEntry.department_id == current_user.department_id), "department", \
            current_user.department
    if dept.isdigit() and int(dept) <= MAX_ID:
        department = db.session.get(Department, int(dept))
        if department is None:
            raise NotFound(_("没有找到该部门。"))
        return stmt.where(LedgerEntry.department_id == department.id), "department", department
    return stmt, "platform", None


@bp.get("/ledger")
@login_required
def ledger():
    stmt, scope, department = _ledger_scope()
    page = request.args.get("page", "1")
    page = int(page) if page.isdigit() and 0 < int(page) <= 10000 else 1
    sub = stmt.subquery()
    charged, refunded, count = db.session.execute(select(
        func.coalesce(func.sum(sub.c.amount_fen).filter(sub.c.kind == "charge"), 0),
        func.coalesce(func.sum(sub.c.amount_fen).filter(sub.c.kind == "refund"), 0),
        func.count())).one()
    entries = db.session.scalars(stmt.order_by(LedgerEntry.id.desc())
                                 .limit(LEDGER_PAGE).offset((page - 1) * LEDGER_PAGE)).all()
    by_department = []
    if scope == "platform":
        by_department = db.session.execute(
            select(Department, func.sum(LedgerEntry.amount_fen), func.count())
            .join(Department, Department.id == LedgerEntry.department_id)
            .group_by(Department.id).order_by(func.sum(LedgerEntry.amount_fen).desc()).limit(200)).all()
    payments = {p.id: p for p in db.session.scalars(select(Payment).where(
        Payment.id.in_({e.payment_id for e in entries})))} if entries else {}
    return render_template("trading/ledger.html", entries=entries, payments=payments, scope=scope,
                           department=department, charged=charged, refunded=refunded, net=charged + refunded,
                           count=count, page=page, pages=max(1, -(-count // LEDGER_PAGE)),
                           by_department=by_department, args=request.args)


@bp.get("/ledger.csv")
@login_required
def ledger_csv():
    stmt, _scope, _department = _ledger_scope()
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["entry", "at", "kind", "amount_yuan", "currency", "payment", "request", "line", "buyer_id",
                     "department_id", "provider", "provider_ref", "note"])
    for e in db.session.scalars(stmt.order_by(LedgerEntry.id).limit(100_000)):
        writer.writerow([e.id, e.at.isoformat(timespec="seconds"), e.kind, f"{e.amount_fen / 100:.2f}",
                         e.currency.upper(), e.payment_id, e.request_id, e.line_id, e.buyer_id, e.department_id,
                         e.provider, e.provider_ref, e.note])
    return Response("\ufeff" + out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=ledger.csv"})


@bp.get("/payments/<int:payment_id>/receipt.csv")
@login_required
def receipt_csv(payment_id: int):
    payment = _payment(payment_id)
    if not payment.entries:
        abort(404)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["receipt", "at", "kind", "amount_yuan", "currency", "dataset", "product", "ref"])
    for e in payment.entries:
        writer.writerow([f"R{payment.id:08d}", e.at.isoformat(timespec="seconds"), e.kind, f"{e.amount_fen / 100:.2f}",
                         e.currency.upper(), payment.dataset.title, services.product_label(payment), e.provider_ref])
    return Response("\ufeff" + out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f"attachment; filename=receipt-{payment.id}.csv"})
