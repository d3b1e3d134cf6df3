"""OpenAPI paths of the trading API (merged into /api/v1/openapi.json by market.openapi)."""

from __future__ import annotations

ERROR = {"$ref": "#/components/schemas/Error"}


def trading_paths() -> dict:
    def err(description: str) -> dict:
        return {"description": description, "content": {"application/json": {"schema": ERROR}}}

    def ok(description: str = "OK") -> dict:
        return {"200": {"description": description, "content": {"application/json": {"schema": {"type": "object"}}}}}

    def body(props: dict, required: list[str]) -> dict:
        return {"required": True, "content": {"application/json": {"schema": {
            "type": "object", "properties": props, "required": required}}}}

    def pid(name: str) -> list:
        return [{"name": name, "in": "path", "required": True, "schema": {"type": "integer"}}]

    sec = [{"bearer": []}]
    errors = {str(c): err("error") for c in (401, 404, 409, 422)}
    return {
        "/api/v1/datasets/{dataset_id}/products": {"parameters": pid("dataset_id"), "get": {
            "summary": "Prices on sale for an entry (download / subscription / api_calls, amounts in fen, CNY)",
            "responses": {**ok(), "404": err("no such entry")}}},
        "/api/v1/payments": {"get": {"summary": "The caller's payments (status, amount, decline message, ledger)",
                                     "security": sec, "responses": {**ok(), "401": err("not signed in")}}},
        "/api/v1/payments/{payment_id}": {"parameters": pid("payment_id"), "get": {
            "summary": "One payment (buyer, the seller's officers, operators)", "security": sec,
            "responses": {**ok(), **errors}}},
        "/api/v1/payments/{payment_id}/pay": {"parameters": pid("payment_id"), "post": {
            "summary": "Pay a due or declined payment (approval first, then payment); a decline answers 200 with "
                       "status 'failed' and a message", "security": sec,
            "requestBody": body({"payment_method": {"type": "string"}}, ["payment_method"]),
            "responses": {**ok("the payment"), **errors}}},
        "/api/v1/payments/{payment_id}/cancel": {"parameters": pid("payment_id"), "post": {
            "summary": "The buyer withdraws an unpaid line; nothing is charged", "security": sec,
            "responses": {**ok("the payment"), **errors}}},
        "/api/v1/payments/{payment_id}/refund": {"parameters": pid("payment_id"), "post": {
            "summary": "Refund all (grant revoked) or part (grant kept); operator or the seller's officer",
            "security": sec,
            "requestBody": body({"amount": {"type": "string"}, "reason": {"type": "string"}}, ["reason"]),
            "responses": {**ok("the payment"), **errors}}},
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
