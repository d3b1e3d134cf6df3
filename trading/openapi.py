"""OpenAPI paths of the trading API (merged into /api/v1/openapi.json by market.openapi)."""

from __future__ import annotations

ERROR = {"$ref": "#/components/schemas/Error"}


def trading_paths() -> dict:
    def err(description: str) -> dict:
        return {"description": description, "content": {"application/json": {"schema": ERROR}}}

    return {
        "/api/v1/payments/webhook": {"post": {
            "summary": "Payment provider webhook (Stripe): signature-verified with MARKET_STRIPE_WEBHOOK_SECRET "
                       "(header Stripe-Signature: t=…,v1=…), idempotent by event id; the payment's state is read "
                       "back from the provider, so duplicated, replayed or out-of-order events end the same",
            "parameters": [{"name": "Stripe-Signature", "in": "header", "required": True, "schema": {"type": "string"}}],
            "requestBody": {"required": True, "content": {"application/json": {"schema": {"type": "object"}}}},
            "responses": {
                "200": {"description": "handled; outcome = charged / refunded / failed / unchanged / duplicate / …",
                        "content": {"application/json": {"schema": {"type": "object", "properties": {
                            "received": {"type": "boolean"}, "event": {"type": "string"},
                            "outcome": {"type": "string"}}}}}},
                "400": err("bad or stale signature, or not an event"),
                "409": err("payments disabled, or the provider cannot be reached (retry later)"),
            }}},
    }
