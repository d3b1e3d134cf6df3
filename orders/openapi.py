"""OpenAPI paths of the orders API (merged into /api/v1/openapi.json by market.openapi)."""

from __future__ import annotations

from .schemas import BatchDecisionInput, CartItemInput, CheckoutInput, DecisionInput

ERROR = {"$ref": "#/components/schemas/Error"}
OBJ = {"type": "object"}
SEC = [{"bearer": []}]


def _errors(*codes: int) -> dict:
    return {str(c): {"description": "error", "content": {"application/json": {"schema": ERROR}}} for c in codes}


def _ok(description: str = "OK", status: str = "200") -> dict:
    return {status: {"description": description, "content": {"application/json": {"schema": OBJ}}}}


def _body(schema) -> dict:
    props = {name: {"type": "array", "items": {"type": "string"}} if f.__class__.__name__ == "List"
             else {"type": "integer"} if f.__class__.__name__ == "Integer" else {"type": "string"}
             for name, f in schema.fields.items()}
    required = [name for name, f in schema.fields.items() if f.required]
    return {"required": True, "content": {"application/json": {"schema": {
        "type": "object", "properties": props, **({"required": required} if required else {})}}}}


def _id(name: str) -> dict:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "integer"}}


def orders_paths() -> dict:
    line = [_id("request_id"), _id("line_id")]
    return {
        "/api/v1/cart": {"get": {"summary": "The caller's cart (数据篮), each entry with its outcome",
                                 "security": SEC, "responses": {**_ok(), **_errors(401, 403)}}},
        "/api/v1/cart/items": {"post": {
            "summary": "Add a dataset, optionally only some data items; 409 with the reason if not requestable",
            "security": SEC, "requestBody": _body(CartItemInput()),
            "responses": {**_ok("the cart", "201"), **_errors(400, 401, 403, 404, 409, 422)}}},
        "/api/v1/cart/items/{dataset_id}": {"parameters": [_id("dataset_id")], "delete": {
            "summary": "Remove a dataset from the cart", "security": SEC,
            "responses": {**_ok("the cart"), **_errors(401, 403, 404)}}},
        "/api/v1/requests": {
            "post": {"summary": "Check out the cart into one access request (200 with the same request on a "
                                "double submit)", "security": SEC, "requestBody": _body(CheckoutInput()),
                     "responses": {**_ok("the request", "201"), **_ok("already submitted"),
                                   **_errors(400, 401, 403, 409, 422)}},
            "get": {"summary": "The caller's requests", "security": SEC, "responses": {**_ok(), **_errors(401)}}},
        "/api/v1/requests/{request_id}": {"parameters": [_id("request_id")], "get": {
            "summary": "One request with its lines, steps and comment thread", "security": SEC,
            "responses": {**_ok(), **_errors(401, 404)}}},
        "/api/v1/requests/{request_id}/lines/{line_id}/decision": {"parameters": line, "post": {
            "summary": "Approve (optionally some items), reject (comment required) or ask for information",
            "security": SEC, "requestBody": _body(DecisionInput()),
            "responses": {**_ok("the line"), **_errors(400, 401, 403, 404, 409, 422)}}},
        "/api/v1/requests/{request_id}/lines/{line_id}/answer": {"parameters": line, "post": {
            "summary": "The requester answers a question (403 for anyone else who sees the line, 409 when "
                       "the line does not wait for an answer)", "security": SEC,
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["comment"], "properties": {"comment": {"type": "string"}}}}}},
            "responses": {**_ok("the line"), **_errors(400, 401, 403, 404, 409, 422)}}},
        "/api/v1/requests/{request_id}/lines/{line_id}/withdraw": {"parameters": line, "post": {
            "summary": "The requester withdraws an open line (403 for anyone else who sees the line, 409 once "
                       "it is decided)", "security": SEC,
            "responses": {**_ok("the line"), **_errors(401, 403, 404, 409)}}},
        "/api/v1/approvals": {"get": {
            "summary": "Lines waiting for the caller's decision", "security": SEC,
            "parameters": [{"name": "kind", "in": "query", "schema": {"type": "string",
                                                                      "enum": ["owner", "platform", "compliance"]}},
                           {"name": "overdue", "in": "query", "schema": {"type": "string", "enum": ["1"]}}],
            "responses": {**_ok(), **_errors(401, 403)}}},
        "/api/v1/approvals/batch": {"post": {
            "summary": "Approve or reject several lines; a result per line", "security": SEC,
            "requestBody": _body(BatchDecisionInput()), "responses": {**_ok(), **_errors(400, 401, 403, 404, 422)}}},
        "/api/v1/approvals/overdue": {"get": {"summary": "Steps past their due time (operators: all; "
                                                         "officers: their department's)",
                                              "security": SEC, "responses": {**_ok(), **_errors(401, 403)}}},
        "/api/v1/approvals/overview": {"get": {
            "summary": "All requests with filters, line counts per state, overdue count, steps due soon, "
                       "open escalations (operators)", "security": SEC,
            "parameters": [{"name": "state", "in": "query", "schema": {"type": "string"}},
                           {"name": "department", "in": "query", "description": "department code (requesting "
                            "or owning)", "schema": {"type": "string"}},
                           {"name": "from", "in": "query", "schema": {"type": "string", "format": "date"}},
                           {"name": "to", "in": "query", "schema": {"type": "string", "format": "date"}},
                           {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1}},
                           {"name": "per_page", "in": "query", "schema": {"type": "integer", "minimum": 1,
                                                                          "maximum": 100}}],
            "responses": {**_ok(), **_errors(401, 403, 422)}}},
        "/api/v1/grants": {"get": {"summary": "The caller's grants (items, delivery modes, expiry)",
                                   "security": SEC, "responses": {**_ok(), **_errors(401)}}},
        "/api/v1/routing-rules": {
            "get": {"summary": "Routing rules of the rules library (规则库)", "security": SEC,
                    "responses": {**_ok(), **_errors(401, 403)}},
            "put": {"summary": "Replace the routing rules (operators; audited)", "security": SEC,
                    "requestBody": {"required": True, "content": {"application/json": {"schema": {
                        "type": "object", "required": ["rules"],
                        "properties": {"rules": {"type": "array", "items": OBJ},
                                       "reason": {"type": "string", "maxLength": 500}}}}}},
                    "responses": {**_ok(), **_errors(400, 401, 403, 422)}}},
    }
