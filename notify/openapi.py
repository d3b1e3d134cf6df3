"""OpenAPI paths of the notifications API (merged into /api/v1/openapi.json by market.openapi)."""

from __future__ import annotations

from orders.openapi import SEC, _body, _errors, _ok

from .api import ReadInput


def notify_paths() -> dict:
    query = [{"name": "unread", "in": "query", "schema": {"type": "boolean"}},
             {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 10000}},
             {"name": "per_page", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 100}}]
    return {
        "/api/v1/notifications": {"get": {
            "summary": "The caller's notifications, newest first, with the unread count (?unread=true: unread only)",
            "security": SEC, "parameters": query, "responses": {**_ok(), **_errors(401, 422)}}},
        "/api/v1/notifications/read": {"post": {
            "summary": "Mark the given notifications read (omit ids: all); returns how many changed and the unread "
                       "count left", "security": SEC, "requestBody": _body(ReadInput()),
            "responses": {**_ok(), **_errors(400, 401, 422)}}},
    }
