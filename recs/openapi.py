"""OpenAPI paths of the recommendations API (merged into /api/v1/openapi.json by market.openapi)."""

from __future__ import annotations

from orders.openapi import SEC, _errors, _id, _ok

_LIMIT = {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 50, "default": 10}}


def recs_paths() -> dict:
    return {
        "/api/v1/datasets/{dataset_id}/recommendations": {"parameters": [_id("dataset_id")], "get": {
            "summary": "Entries related to this one (requested together, same data items, same topic), each with "
                       "a reason; never the entry itself, what the caller holds or cannot request",
            "parameters": [_LIMIT], "responses": {**_ok(), **_errors(404, 422)}}},
        "/api/v1/recommendations": {"get": {
            "summary": "The caller's personal recommendations, each with a reason", "security": SEC,
            "parameters": [_LIMIT], "responses": {**_ok(), **_errors(401, 422)}}},
        "/api/v1/bundles": {"get": {
            "summary": "Active scenario bundles (场景套餐) with the entries the caller may see",
            "responses": _ok()}},
    }
