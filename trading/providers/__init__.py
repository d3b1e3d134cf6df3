"""Payment providers behind one small interface. ``get_provider()`` gives the configured one, or None when
paid products are disabled (``MARKET_STRIPE_API_KEY`` unset). To add a provider (e.g. a domestic payment
platform), implement :class:`Provider` in a module here and return it from ``get_provider``."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Protocol

from flask import current_app


class ProviderError(Exception):
    """The provider could not be reached or refused the call (not a card decline)."""


class SignatureError(Exception):
    """A webhook whose signature does not verify."""


@dataclass(frozen=True)
class Refund:
    id: str
    amount: int
    status: str  # succeeded, pending, failed, canceled


@dataclass(frozen=True)
class Intent:
    """A payment attempt as the provider sees it, reduced to what the ledger needs."""

    id: str
    status: str  # succeeded, failed (declined: a new attempt is needed), pending, canceled
    amount: int
    currency: str
    metadata: dict = field(default_factory=dict)
    failure_message: str = ""
    refunds: tuple[Refund, ...] = ()

    @property
    def refunded(self) -> int:
        return sum(r.amount for r in self.refunds if r.status == "succeeded")


@dataclass(frozen=True)
class Event:
    id: str
    type: str
    intent_id: str  # the payment the event is about ('' if none)


class Provider(Protocol):
    name: str

    def pay(self, *, amount: int, currency: str, payment_method: str, metadata: dict,
            idempotency_key: str) -> Intent:
        """Create and confirm an attempt; a decline comes back as status 'failed', not as an exception."""

    def retrieve(self, intent_id: str) -> Intent: ...

    def cancel(self, intent_id: str) -> Intent: ...

    def refund(self, intent_id: str, amount: int | None, *, idempotency_key: str) -> Refund: ...

    def list_intents(self) -> Iterator[Intent]:
        """Every attempt the provider holds for this account, with its refunds."""

    def parse_event(self, payload: bytes, signature: str) -> Event:
        """Verify a webhook delivery and read it; SignatureError when it does not verify."""


def get_provider() -> Provider | None:
    settings = current_app.config["MARKET"]
    if not settings.stripe_api_key:
        return None
    cached = current_app.extensions.get("trading.provider")
    if cached is None:
        from .stripe import StripeProvider

        cached = current_app.extensions["trading.provider"] = StripeProvider(
            settings.stripe_api_key, settings.stripe_api_base, settings.stripe_webhook_secret)
    return cached
