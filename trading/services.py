"""Data trading services: products and prices, operator blocks, the payment gate of the orders package,
paying, settling from the provider's view, refunds, expiry, and the ledger. Pages, the API, the CLI,
the webhook and the tests call these.

Rule of the module: money is only ever recorded from a PaymentIntent read back from the provider
(``apply_intent``), and a grant is only ever issued there, after a successful charge of the frozen amount.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from audit import record_event
from market.auth.models import Role, User
from market.db import db, utcnow
from market.errors import Conflict, Forbidden, ValidationFailed
from notify.services import notify
from orders.decisions import grant_paid_line, release_unpaid_line, revoke_grant
from orders.state import LineState

from .models import (
    OPEN_PAYMENT_STATES,
    PAID_STATES,
    LedgerEntry,
    Payment,
    PaymentStatus,
    Product,
    ProductKind,
    TradeChoice,
)
from .products import (  # noqa: F401 (callers import these from services too)
    MAX_AMOUNT_FEN,
    MAX_PRODUCTS_PER_ENTRY,
    SUBSCRIPTION_PERIODS,
    add_product,
    block_for,
    can_price,
    clear_block,
    kind_label,
    parse_yuan,
    product_label,
    products_of,
    set_block,
    status_label,
    sync_display_price,
    trading_open,
    withdraw_product,
    yuan,
)
from .providers import Intent, ProviderError, get_provider

PAYMENT_WINDOW = timedelta(hours=72)
PAYMENT_METHOD_RE = re.compile(r"^pm_[A-Za-z0-9_]{1,80}$")
# test-mode payment methods offered on the pay form when the API key is a test key
TEST_PAYMENT_METHODS = (("pm_card_visa", _l("测试卡 Visa 4242（支付成功）")),
                        ("pm_card_chargeCustomerFail", _l("测试卡 0341（发卡行拒付）")))


class PaymentFailed(Conflict):
    code = "payment_failed"


# ---- the buyer's choice and the payment gate -------------------------------------------------------------

def choose_product(user, dataset, product_id: int) -> TradeChoice:
    product = db.session.get(Product, product_id)
    if product is None or product.dataset_id != dataset.id or not product.active:
        raise ValidationFailed(_("该价格已停售，请重新选择。"), fields={"product_id": ["not on sale"]})
    choice = db.session.scalar(select(TradeChoice).where(TradeChoice.user_id == user.id,
                                                         TradeChoice.dataset_id == dataset.id))
    if choice is None:
        choice = TradeChoice(user_id=user.id, dataset_id=dataset.id, product_id=product.id)
        db.session.add(choice)
    else:
        choice.product_id, choice.at = product.id, utcnow()
    db.session.flush()
    return choice


def product_for(user_id: int, dataset) -> Product | None:
    """The product the buyer picked, if still on sale, else the cheapest one on sale."""
    products = products_of(dataset)
    choice = db.session.scalar(select(TradeChoice.product_id).where(TradeChoice.user_id == user_id,
                                                                    TradeChoice.dataset_id == dataset.id))
    return next((p for p in products if p.id == choice), products[0] if products else None)


def officers_of(department_id: int) -> list[User]:
    return list(db.session.scalars(select(User).where(User.active.is_(True), User.role == Role.officer,
                                                      User.department_id == department_id).order_by(User.id)))


def _link(payment: Payment) -> str:
    return f"/requests/{payment.request_id}"


def payment_gate(line, actor) -> bool:
    """orders' payment gate: a line of a priced entry on sale waits for payment instead of being granted.

    The amount is frozen here (the price when the line was approved); the buyer sees it before paying."""
    dataset = line.dataset
    if not trading_open(dataset):
        return False
    buyer_id = line.request.requester_id
    product = product_for(buyer_id, dataset)
    if product is None:
        return False
    payment = Payment(line_id=line.id, request_id=line.request_id, buyer_id=buyer_id,
                      department_id=dataset.department_id, dataset_id=dataset.id, product_id=product.id,
                      kind=product.kind, period_days=product.period_days, calls=product.calls,
                      amount_fen=product.amount_fen, currency="cny", provider=get_provider().name,
                      status=PaymentStatus.due, expires_at=utcnow() + PAYMENT_WINDOW)
    db.session.add(payment)
    db.session.execute(TradeChoice.__table__.delete().where(TradeChoice.user_id == buyer_id,
                                                            TradeChoice.dataset_id == dataset.id))
    db.session.flush()
    record_event("payment.due", "payment", payment.id, actor=actor,
                 payload={"line": line.id, "product": product.id, "amount_fen": payment.amount_fen,
                          "expires_at": payment.expires_at.isoformat()})
    notify([line.request.requester], "payment.due",
           _("数据申请 #%(id)s 的“%(t)s”已获批，请在 %(d)s 前付款 %(a)s", id=line.request_id, t=dataset.title,
             d=payment.expires_at.strftime("%Y-%m-%d %H:%M"), a=yuan(payment.amount_fen)),
           _("付款成功后立即授权；逾期未付，该明细将自动关闭。"), _link(payment))
    return True


def payment_for_line(line_id: int) -> Payment | None:
    return db.session.scalar(select(Payment).where(Payment.line_id == line_id))


# ---- paying and settling -----------------------------------------------------------------------------------

def test_mode() -> bool:
    return current_app.config["MARKET"].stripe_api_key.startswith("sk_test_")


def pay(payment: Payment, *, user, payment_method: str) -> Payment:
    """The buyer pays a due (or declined) payment; the result is read back from the provider."""
    if user is None or payment.buyer_id != user.id:
        raise Forbidden(_("只有申请人本人可以支付。"))
    provider = get_provider()
    if provider is None:
        raise Conflict(_("在线支付尚未开通（未配置 MARKET_STRIPE_API_KEY），请联系平台运营。"), code="payments_disabled")
    if payment.status not in OPEN_PAYMENT_STATES or payment.line.state != LineState.payment_pending:
        raise Conflict(_("该笔款项当前为“%(s)s”，无需支付。", s=status_label(payment.status)), code="not_payable")
    if payment.expires_at <= utcnow():
        expire_payment(payment)
        raise Conflict(_("付款期限已过，该明细已关闭；如仍需要，请重新申请。"), code="payment_expired")
    payment_method = (payment_method or "").strip()
    if not PAYMENT_METHOD_RE.match(payment_method):
        raise ValidationFailed(_("请选择支付方式。"), fields={"payment_method": ["a payment method id (pm_…)"]})
    attempt = payment.attempts + 1
    claimed = db.session.execute(
        update(Payment).where(Payment.id == payment.id, Payment.attempts == payment.attempts,
                              Payment.status.in_(OPEN_PAYMENT_STATES))
        .values(attempts=attempt).execution_options(synchronize_session=False)).rowcount
    if not claimed:
        raise Conflict(_("这笔款项正在处理中，请刷新页面查看结果。"), code="payment_in_progress")
    payment.attempts = attempt
    metadata = {"market_payment": str(payment.id), "line": str(payment.line_id), "request": str(payment.request_id)}
    try:
        intent = provider.pay(amount=payment.amount_fen, currency=payment.currency, payment_method=payment_method,
                              metadata=metadata, idempotency_key=f"market-payment-{payment.id}-attempt-{attempt}")
    except ProviderError as exc:
        raise Conflict(_("支付服务暂时不可用，未扣款，请稍后重试（%(e)s）。", e=str(exc)[:200]),
                       code="provider_unavailable") from exc
    payment.intent_id = intent.id
    payment.status = PaymentStatus.due  # a retry after a decline: this attempt decides (audited just below)
    db.session.flush()
    record_event("payment.attempted", "payment", payment.id, actor=user,
                 payload={"intent": intent.id, "attempt": attempt, "status": intent.status})
    apply_intent(payment, intent, actor=user)
    return payment


def _decline_message(raw: str) -> str:
    return _("支付未成功：%(r)s 未扣款，也未授权。请换一张卡或联系发卡行后重试。", r=raw or _("发卡行拒绝了这笔交易。"))


def _ledger(payment: Payment, kind: str, amount: int, ref: str, note: str, actor) -> LedgerEntry | None:
    """Append a ledger entry once per provider reference (charge: PaymentIntent id; refund: refund id)."""
    if db.session.scalar(select(LedgerEntry.id).where(LedgerEntry.provider_ref == ref)):
        return None
    entry = LedgerEntry(payment_id=payment.id, request_id=payment.request_id, line_id=payment.line_id,
                        buyer_id=payment.buyer_id, department_id=payment.department_id, kind=kind,
                        amount_fen=amount if kind == "charge" else -amount, currency=payment.currency,
                        provider=payment.provider, provider_ref=ref, note=note)
    try:
        with db.session.begin_nested():
            db.session.add(entry)
            db.session.flush()
    except IntegrityError:  # a concurrent delivery of the same news recorded it first
        return None
    record_event(f"ledger.{kind}", "payment", payment.id, actor=actor,
                 payload={"entry": entry.id, "amount_fen": entry.amount_fen, "currency": entry.currency,
                          "ref": ref, "buyer": payment.buyer_id, "department": payment.department_id, "note": note})
    return entry


def _refunded_total(payment: Payment) -> int:
    return -(db.session.scalar(select(func.coalesce(func.sum(LedgerEntry.amount_fen), 0)).where(
        LedgerEntry.payment_id == payment.id, LedgerEntry.kind == "refund")) or 0)


def _set_status(payment: Payment, status: PaymentStatus, actor, **payload) -> None:
    if payment.status != status:
        frm = payment.status
        payment.status = status
        db.session.flush()
        record_event(f"payment.{status}", "payment", payment.id, actor=actor,
                     payload={"from": str(frm), "to": str(status), **payload})


def apply_intent(payment: Payment, intent: Intent, *, actor=None) -> str:
    """Bring our records in line with the provider's view of one attempt. Safe to repeat, in any order:
    charges and refunds are appended once each (by provider id), and the grant follows the money."""
    if intent.metadata.get("market_payment") not in (None, str(payment.id)):
        return "foreign"
    if intent.status == "failed":
        if intent.id == payment.intent_id and payment.status == PaymentStatus.due:
            payment.message = _decline_message(intent.failure_message)
            _set_status(payment, PaymentStatus.failed, actor, intent=intent.id, reason=intent.failure_message)
            notify([payment.buyer], "payment.failed", _("付款未成功：%(t)s", t=payment.dataset.title),
                   payment.message, _link(payment), email=False)
        return "failed"
    if intent.status != "succeeded":
        return intent.status
    if intent.amount != payment.amount_fen or intent.currency != payment.currency:
        record_event("payment.mismatch", "payment", payment.id, actor=actor,
                     payload={"intent": intent.id, "amount": intent.amount, "currency": intent.currency,
                              "expected": payment.amount_fen})
        return "mismatch"
    outcome = "unchanged"
    if _ledger(payment, "charge", intent.amount, intent.id, "", actor) is not None:
        outcome = "charged"
        if payment.status in PAID_STATES and payment.intent_id != intent.id:
            # a second successful attempt for a line already paid: give the money back
            provider = get_provider()
            refund = provider.refund(intent.id, None, idempotency_key=f"market-duplicate-{intent.id}")
            _ledger(payment, "refund", refund.amount, refund.id, "duplicate charge", actor)
            return "duplicate_refunded"
        payment.intent_id, payment.paid_at, payment.message = intent.id, utcnow(), ""
        line = payment.line
        if line.state == LineState.payment_pending:
            _set_status(payment, PaymentStatus.succeeded, actor, intent=intent.id)
            days = payment.period_days if payment.kind == ProductKind.subscription else None
            if days:
                days = min(days, line.request.period_days)
            grant = grant_paid_line(line, actor=actor, payment_ref=intent.id, days=days)
            _paid_notices(payment, grant)
        else:  # the line was closed meanwhile (expired or cancelled): no grant, the money goes back
            _set_status(payment, PaymentStatus.succeeded, actor, intent=intent.id, line_state=str(line.state))
            refund = get_provider().refund(intent.id, None, idempotency_key=f"market-closed-{intent.id}")
            intent = replace(intent, refunds=intent.refunds + (refund,))
    for refund in intent.refunds:
        if refund.status == "succeeded" and _ledger(payment, "refund", refund.amount, refund.id, "", actor):
            outcome = "refunded"
    refunded = _refunded_total(payment)
    if refunded != payment.refunded_fen:
        payment.refunded_fen = refunded
        if refunded >= payment.amount_fen:
            _set_status(payment, PaymentStatus.refunded, actor, refunded_fen=refunded)
            line = payment.line
            if line.state == LineState.granted and line.grant is not None:
                revoke_grant(line.grant, actor=actor, reason=_("款项已全额退款（%(a)s）", a=yuan(refunded)))
            notify([payment.buyer], "payment.refunded", _("已全额退款：%(t)s", t=payment.dataset.title),
                   _("%(a)s 已原路退回，该数据的授权已撤销。", a=yuan(refunded)), _link(payment))
        else:
            _set_status(payment, PaymentStatus.partially_refunded, actor, refunded_fen=refunded)
            notify([payment.buyer], "payment.partially_refunded", _("部分退款：%(t)s", t=payment.dataset.title),
                   _("%(a)s 已原路退回，授权保持有效。", a=yuan(refunded)), _link(payment))
    db.session.flush()
    return outcome


def _paid_notices(payment: Payment, grant) -> None:
    until = grant.expires_at.strftime("%Y-%m-%d")
    notify([payment.buyer], "payment.succeeded",
           _("付款成功，“%(t)s”已授权", t=payment.dataset.title),
           _("已支付 %(a)s，授权有效期至 %(d)s。收据可在申请详情页下载。", a=yuan(payment.amount_fen), d=until),
           _link(payment))
    notify(officers_of(payment.department_id), "payment.received",
           _("收到付款 %(a)s：%(t)s", a=yuan(payment.amount_fen), t=payment.dataset.title), "",
           f"/trading/ledger?department={payment.department_id}", email=False)


def find_payment(intent: Intent) -> Payment | None:
    """Our payment for a provider attempt: by the current attempt id, else by the id in its metadata."""
    payment = db.session.scalar(select(Payment).where(Payment.intent_id == intent.id))
    if payment is None and str(intent.metadata.get("market_payment", "")).isdigit():
        payment = db.session.get(Payment, int(intent.metadata["market_payment"]))
    return payment


def sync_payment(payment: Payment, *, actor=None) -> str:
    """Read the current attempt back from the provider and apply it (used by webhooks and `reconcile --fix`)."""
    if not payment.intent_id:
        return "no_attempt"
    return apply_intent(payment, get_provider().retrieve(payment.intent_id), actor=actor)


# ---- refunds, cancellation, expiry -------------------------------------------------------------------------

def can_refund(payment: Payment, user) -> bool:
    return bool(user and getattr(user, "is_authenticated", False)
                and (user.is_operator or user.is_officer_of(payment.department_id)))


def refund(payment: Payment, *, actor, amount: str = "", reason: str) -> Payment:
    """Refund all (grant revoked) or part (grant kept) of a paid payment."""
    if not can_refund(payment, actor):
        raise Forbidden(_("只有平台运营或数源部门数据官可以退款。"))
    reason = (reason or "").strip()
    if not reason or len(reason) > 500:
        raise ValidationFailed(_("请填写退款原因（不超过 500 字）。"), fields={"reason": ["required, ≤ 500 characters"]})
    if payment.status not in (PaymentStatus.succeeded, PaymentStatus.partially_refunded):
        raise Conflict(_("该笔款项为“%(s)s”，不能退款。", s=status_label(payment.status)), code="not_refundable")
    left = payment.amount_fen - payment.refunded_fen
    fen = parse_yuan(amount) if (amount or "").strip() else left
    if fen > left:
        raise ValidationFailed(_("退款金额超过可退金额 %(a)s。", a=yuan(left)), fields={"amount": [f"at most {left} fen"]})
    provider = get_provider()
    if provider is None:
        raise Conflict(_("在线支付尚未开通，不能退款。"), code="payments_disabled")
    record_event("payment.refund_requested", "payment", payment.id, actor=actor,
                 payload={"amount_fen": fen, "reason": reason})
    try:
        provider.refund(payment.intent_id, None if fen == left and not payment.refunded_fen else fen,
                        idempotency_key=f"market-refund-{payment.id}-{payment.refunded_fen}-{fen}")
        intent = provider.retrieve(payment.intent_id)
    except ProviderError as exc:
        raise Conflict(_("支付服务退款失败：%(e)s", e=str(exc)[:200]), code="provider_unavailable") from exc
    apply_intent(payment, intent, actor=actor)
    return payment


def _close(payment: Payment, status: PaymentStatus, to: LineState, actor, reason: str) -> str:
    """Close an unpaid payment, first cancelling its attempt at the provider (it may have succeeded)."""
    provider = get_provider()
    if payment.intent_id and provider is not None:
        intent = provider.cancel(payment.intent_id)
        if intent.status == "succeeded":
            return apply_intent(payment, intent, actor=actor)
    _set_status(payment, status, actor, reason=reason)
    if payment.line.state == LineState.payment_pending:
        release_unpaid_line(payment.line, actor=actor, to=to, reason=reason)
    return str(status)


def cancel_payment(payment: Payment, *, user) -> Payment:
    """The buyer no longer wants a paid line: it is withdrawn, nothing is charged."""
    if user is None or payment.buyer_id != user.id:
        raise Forbidden(_("只有申请人本人可以取消。"))
    if payment.status not in OPEN_PAYMENT_STATES:
        raise Conflict(_("该笔款项为“%(s)s”，不能取消。", s=status_label(payment.status)), code="not_cancellable")
    _close(payment, PaymentStatus.canceled, LineState.withdrawn, user, "cancelled by the buyer")
    return payment


def expire_payment(payment: Payment) -> str:
    outcome = _close(payment, PaymentStatus.expired, LineState.expired, None, "payment window passed")
    if outcome == PaymentStatus.expired:
        notify([payment.buyer], "payment.expired", _("付款超时，“%(t)s”的申请明细已关闭", t=payment.dataset.title),
               _("如仍需要该数据，请重新加入数据篮申请。"), _link(payment))
    return outcome


def expire_payments(now=None) -> int:
    """Close every unpaid payment past its window (periodic job ``trading.expire``); return how many."""
    now = now or utcnow()
    due = db.session.scalars(select(Payment).where(Payment.status.in_(OPEN_PAYMENT_STATES),
                                                   Payment.expires_at <= now).order_by(Payment.id).limit(500)).all()
    for payment in due:
        expire_payment(payment)
    return len(due)


def api_call_allowance(grant) -> int | None:
    """Calls bought for a grant (api_calls bundles), None when the grant is not a bundle."""
    return db.session.scalar(select(Payment.calls).where(Payment.line_id == grant.line_id,
                                                         Payment.kind == ProductKind.api_calls,
                                                         Payment.status.in_(PAID_STATES)))
