"""Stripe, through the official SDK (``stripe`` ≥ 16, ``StripeClient``). ``api_base`` points the SDK at
another server speaking the Stripe API (localstripe in the tests)."""

from __future__ import annotations

from collections.abc import Iterator

import stripe

from . import Event, Intent, ProviderError, Refund, SignatureError

TIMEOUT_SECONDS = 15


def _get(obj, key: str):
    """A field of a StripeObject, None when absent (StripeObject has no dict.get)."""
    return obj[key] if obj is not None and key in obj else None


def _status(pi) -> str:
    if pi.status == "succeeded":
        return "succeeded"
    if pi.status == "canceled":
        return "canceled"
    if pi.status == "requires_payment_method" and _get(pi, "last_payment_error"):
        return "failed"
    return "pending"  # requires_confirmation / requires_action / processing / requires_capture


class StripeProvider:
    name = "stripe"

    def __init__(self, api_key: str, api_base: str = "", webhook_secret: str = ""):
        options = {"base_addresses": {"api": api_base.rstrip("/")}} if api_base else {}
        # a short timeout: a payment call runs inside the buyer's request (and its database transaction)
        self.client = stripe.StripeClient(api_key, max_network_retries=1,
                                          http_client=stripe.new_default_http_client(timeout=TIMEOUT_SECONDS),
                                          **options)
        self.webhook_secret = webhook_secret

    def _intent(self, pi) -> Intent:
        refunds: tuple[Refund, ...] = ()
        if pi.status == "succeeded":
            refunds = tuple(Refund(r.id, r.amount, r.status) for r in self.client.v1.refunds.list(
                params={"payment_intent": pi.id, "limit": 100}).auto_paging_iter())
        error = _get(pi, "last_payment_error")
        metadata = _get(pi, "metadata")
        return Intent(id=pi.id, status=_status(pi), amount=pi.amount, currency=pi.currency,
                      metadata=metadata.to_dict() if metadata else {},
                      failure_message=(_get(error, "message") or "") if error else "",
                      refunds=refunds)

    def pay(self, *, amount: int, currency: str, payment_method: str, metadata: dict,
            idempotency_key: str) -> Intent:
        try:
            # create, then confirm: the attempt's id is known even when the card is declined
            pi = self.client.v1.payment_intents.create(
                params={"amount": amount, "currency": currency, "payment_method": payment_method,
                        "metadata": metadata}, options={"idempotency_key": idempotency_key})
        except stripe.InvalidRequestError as exc:
            raise ProviderError(exc.user_message or str(exc)) from exc
        except stripe.StripeError as exc:
            raise ProviderError(str(exc)) from exc
        try:
            self.client.v1.payment_intents.confirm(pi.id)
        except stripe.CardError:
            pass  # the decline is on the PaymentIntent (last_payment_error), read below
        except stripe.StripeError as exc:
            raise ProviderError(str(exc)) from exc
        return self.retrieve(pi.id)

    def retrieve(self, intent_id: str) -> Intent:
        try:
            return self._intent(self.client.v1.payment_intents.retrieve(intent_id))
        except stripe.StripeError as exc:
            raise ProviderError(str(exc)) from exc

    def cancel(self, intent_id: str) -> Intent:
        try:
            self.client.v1.payment_intents.cancel(intent_id)
        except stripe.InvalidRequestError:
            pass  # already succeeded or canceled: the caller decides from the state read next
        except stripe.StripeError as exc:
            raise ProviderError(str(exc)) from exc
        return self.retrieve(intent_id)

    def refund(self, intent_id: str, amount: int | None, *, idempotency_key: str) -> Refund:
        params = {"payment_intent": intent_id}
        if amount is not None:
            params["amount"] = amount
        try:
            r = self.client.v1.refunds.create(params=params, options={"idempotency_key": idempotency_key})
        except stripe.StripeError as exc:
            raise ProviderError(getattr(exc, "user_message", None) or str(exc)) from exc
        return Refund(r.id, r.amount, r.status)

    def list_intents(self) -> Iterator[Intent]:
        try:
            for pi in self.client.v1.payment_intents.list(params={"limit": 100}).auto_paging_iter():
                yield self._intent(pi)
        except stripe.StripeError as exc:
            raise ProviderError(str(exc)) from exc

    def parse_event(self, payload: bytes, signature: str) -> Event:
        if not self.webhook_secret:
            raise SignatureError("MARKET_STRIPE_WEBHOOK_SECRET is not set: webhooks cannot be verified")
        try:
            ev = stripe.Webhook.construct_event(payload, signature or "", self.webhook_secret)
        except stripe.SignatureVerificationError as exc:
            raise SignatureError(str(exc)) from exc
        except ValueError as exc:
            raise SignatureError(f"not a Stripe event: {exc}") from exc
        obj = ev.data.object
        if _get(obj, "object") == "payment_intent":
            intent_id = _get(obj, "id") or ""
        else:  # charge, refund, …: they name their payment intent
            intent_id = _get(obj, "payment_intent") or ""
            if not intent_id and _get(obj, "charge"):
                try:
                    intent_id = _get(self.client.v1.charges.retrieve(obj["charge"]), "payment_intent") or ""
                except stripe.StripeError as exc:
                    raise ProviderError(str(exc)) from exc
        return Event(id=ev.id, type=ev.type, intent_id=intent_id if isinstance(intent_id, str) else intent_id.id)

