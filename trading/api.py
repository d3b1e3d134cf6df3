"""HTTP API of data trading: the payment provider's webhook (signature-verified, idempotent, order-tolerant)."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from market.db import db
from market.errors import BadRequest, Conflict

from . import services
from .models import WebhookEvent
from .providers import ProviderError, SignatureError, get_provider

bp = Blueprint("trading_api", __name__, url_prefix="/api/v1")
MAX_WEBHOOK_BYTES = 256 * 1024


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
