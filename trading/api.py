"""HTTP API of data trading: the payment provider's webhook (signature-verified, idempotent, order-tolerant)."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request
from flask_login import current_user
from marshmallow import Schema, fields, validate
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from catalog.models import Dataset
from catalog.permissions import can_view
from market.api_utils import load_json
from market.auth import login_required
from market.db import db
from market.errors import BadRequest, Conflict, NotFound

from . import services
from .models import Payment, Product, WebhookEvent
from .providers import ProviderError, SignatureError, get_provider

bp = Blueprint("trading_api", __name__, url_prefix="/api/v1")
MAX_WEBHOOK_BYTES = 256 * 1024
MAX_LISTED = 200


class PayInput(Schema):
    payment_method = fields.String(required=True, validate=validate.Length(min=4, max=83))


class RefundInput(Schema):
    amount = fields.String(load_default="", validate=validate.Length(max=14))  # yuan; "" = all refundable
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))


def dump_product(p: Product) -> dict:
    return {"id": p.id, "kind": str(p.kind), "label": services.product_label(p), "amount_fen": p.amount_fen,
            "amount": services.yuan(p.amount_fen), "currency": "CNY", "period_days": p.period_days, "calls": p.calls}


def dump_payment(p: Payment) -> dict:
    return {"id": p.id, "request_id": p.request_id, "line_id": p.line_id, "dataset_id": p.dataset_id,
            "kind": str(p.kind), "label": services.product_label(p), "amount_fen": p.amount_fen,
            "amount": services.yuan(p.amount_fen), "currency": p.currency.upper(), "status": str(p.status),
            "status_label": services.status_label(p.status), "message": p.message, "refunded_fen": p.refunded_fen,
            "attempts": p.attempts, "provider": p.provider, "provider_ref": p.intent_id,
            "expires_at": p.expires_at.isoformat(), "paid_at": p.paid_at.isoformat() if p.paid_at else None,
            "ledger": [{"kind": e.kind, "amount_fen": e.amount_fen, "ref": e.provider_ref, "at": e.at.isoformat()}
                       for e in p.entries]}


def _payment_or_404(payment_id: int) -> Payment:
    p = db.session.get(Payment, payment_id)
    if p is None or not (p.buyer_id == current_user.id or services.can_refund(p, current_user)):
        raise NotFound("No such payment, or you may not see it.")
    return p


@bp.get("/datasets/<int:dataset_id>/products")
def dataset_products(dataset_id: int):
    """The prices on sale for an entry (empty when unpriced); on_sale says whether it can be bought now."""
    ds = db.session.get(Dataset, dataset_id)
    if ds is None or not can_view(ds, current_user):
        raise NotFound(f"No catalog entry {dataset_id}, or you may not see it.")
    return jsonify({"items": [dump_product(p) for p in services.products_of(ds)],
                    "on_sale": services.trading_open(ds)})


@bp.get("/payments")
@login_required
def my_payments():
    """The caller's payments, newest first: status, amount, message of a decline, ledger entries."""
    rows = db.session.scalars(select(Payment).where(Payment.buyer_id == current_user.id)
                              .order_by(Payment.id.desc()).limit(MAX_LISTED))
    return jsonify({"items": [dump_payment(p) for p in rows]})


@bp.get("/payments/<int:payment_id>")
@login_required
def get_payment(payment_id: int):
    return jsonify(dump_payment(_payment_or_404(payment_id)))


@bp.post("/payments/<int:payment_id>/pay")
@login_required
def pay(payment_id: int):
    """Pay a due or declined payment with a payment method id; 200 with the outcome (a decline is status
    'failed' with a message, not an error)."""
    payment = _payment_or_404(payment_id)
    data = load_json(PayInput())
    services.pay(payment, user=current_user, payment_method=data["payment_method"])
    db.session.commit()
    return jsonify(dump_payment(payment))


@bp.post("/payments/<int:payment_id>/cancel")
@login_required
def cancel(payment_id: int):
    payment = _payment_or_404(payment_id)
    services.cancel_payment(payment, user=current_user)
    db.session.commit()
    return jsonify(dump_payment(payment))


@bp.post("/payments/<int:payment_id>/refund")
@login_required
def refund(payment_id: int):
    """Refund all (grant revoked) or part (grant kept); operator or the selling department's officer."""
    payment = _payment_or_404(payment_id)
    data = load_json(RefundInput())
    services.refund(payment, actor=current_user, amount=data["amount"], reason=data["reason"])
    db.session.commit()
    return jsonify(dump_payment(payment))


@bp.post("/payments/webhook")
def webhook():
    """A provider event. The event only says *which* payment changed: the state is read back from the
    provider's API and applied, so duplicates, replays and events out of order all end in the same state."""
    provider = get_provider()
    if provider is None:
        raise Conflict("Payments are disabled: MARKET_STRIPE_API_KEY is not set.", code="payments_disabled")
    if (request.content_length or 0) > MAX_WEBHOOK_BYTES:
        raise BadRequest("Webhook body too large.", code="too_large")
    payload = request.get_data(cache=False)
    try:
        event = provider.parse_event(payload, request.headers.get("Stripe-Signature", ""))
    except SignatureError as exc:
        raise BadRequest(f"Webhook signature check failed: {exc}", code="bad_signature") from exc
    if db.session.scalar(select(WebhookEvent.id).where(WebhookEvent.event_id == event.id)):
        return jsonify({"received": True, "event": event.id, "outcome": "duplicate"})
    outcome = "ignored"
    try:
        with db.session.begin_nested():
            db.session.add(WebhookEvent(provider=provider.name, event_id=event.id, type=event.type[:60],
                                        object_id=event.intent_id[:100]))
            db.session.flush()
    except IntegrityError:  # the same event delivered twice at once: the other delivery handles it
        db.session.rollback()
        return jsonify({"received": True, "event": event.id, "outcome": "duplicate"})
    if event.intent_id:
        try:
            intent = provider.retrieve(event.intent_id)
        except ProviderError as exc:
            db.session.rollback()  # not recorded: the provider retries the delivery later
            current_app.logger.warning("webhook %s: cannot read %s back: %s", event.id, event.intent_id, exc)
            raise Conflict("Cannot read the payment back from the provider; retry later.",
                           code="provider_unavailable") from exc
        payment = services.find_payment(intent)
        outcome = services.apply_intent(payment, intent) if payment is not None else "unknown_payment"
    db.session.execute(WebhookEvent.__table__.update().where(WebhookEvent.event_id == event.id)
                       .values(outcome=outcome[:200]))
    db.session.commit()
    return jsonify({"received": True, "event": event.id, "outcome": outcome})
