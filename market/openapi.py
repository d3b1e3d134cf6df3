"""The OpenAPI 3 document for /api/v1, built from the marshmallow schemas' field lists."""

from __future__ import annotations

from catalog.schemas import DatasetInput, DatasetListArgs
from catalog.vocab import OpenAttribute, ShareAttribute, UpdateFrequency
from dashboard.openapi import dashboard_paths
from delivery.openapi import delivery_paths
from demands.openapi import demands_paths
from notify.openapi import notify_paths
from orders.openapi import orders_paths
from ratings.openapi import ratings_paths
from recs.openapi import recs_paths
from search.base import SORTS
from trading.openapi import trading_paths

ERROR = {"$ref": "#/components/schemas/Error"}


def _error_responses(*codes: int) -> dict:
    return {str(c): {"description": "error", "content": {"application/json": {"schema": ERROR}}} for c in codes}


def _json(schema: dict, description: str = "OK") -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _query_params() -> list[dict]:
    enums = {"share_attribute": [e.value for e in ShareAttribute], "open_attribute": [e.value for e in OpenAttribute],
             "update_frequency": [e.value for e in UpdateFrequency], "sort": list(SORTS)}
    params = []
    for name, field in DatasetListArgs().fields.items():
        is_list = field.__class__.__name__ == "List"
        item: dict = {"type": "integer"} if name in ("page", "per_page", "level") else {"type": "string"}
        if name in enums:
            item["enum"] = enums[name]
        if name == "per_page":
            item.update(minimum=1, maximum=100)
        schema = {"type": "array", "items": item} if is_list else item
        params.append({"name": name, "in": "query", "required": False, "schema": schema,
                       **({"style": "form", "explode": True} if is_list else {})})
    return params


def build_spec() -> dict:
    dataset_props = {k: {} for k in DatasetInput().fields}
    dataset = {"type": "object", "properties": {"id": {"type": "integer"}, "code": {"type": "string"},
                                                "title": {"type": "string"}, **dataset_props}}
    return {
        "openapi": "3.0.3",
        "info": {"title": "Public Data Resource Supermarket API (公共数据资源超市)", "version": "1"},
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Error": {"type": "object", "required": ["error"], "properties": {"error": {
                    "type": "object", "required": ["code", "message"],
                    "properties": {"code": {"type": "string"}, "message": {"type": "string"},
                                   "fields": {"type": "object"}}}}},
                "Dataset": dataset,
            },
        },
        "paths": {
            "/api/v1/auth/token": {"post": {
                "summary": "Trade username and password for a bearer token",
                "requestBody": {"required": True, "content": {"application/json": {"schema": {
                    "type": "object", "required": ["username", "password"],
                    "properties": {"username": {"type": "string", "minLength": 1, "maxLength": 64},
                                   "password": {"type": "string", "minLength": 1, "maxLength": 1024}}}}}},
                "responses": {"201": _json({"type": "object", "properties": {"token": {"type": "string"}}}),
                              **_error_responses(400, 401, 422, 429)}}},
            "/api/v1/datasets": {
                "get": {"summary": "Search and filter the catalog", "parameters": _query_params(),
                        "responses": {"200": _json({"type": "object", "properties": {
                            "items": {"type": "array", "items": {"$ref": "#/components/schemas/Dataset"}},
                            "total": {"type": "integer"}, "page": {"type": "integer"},
                            "per_page": {"type": "integer"}, "facets": {"type": "object"}}}),
                            **_error_responses(422)}},
                "post": {"summary": "Create a draft entry (officer, operator)", "security": [{"bearer": []}],
                         "requestBody": {"required": True, "content": {"application/json": {
                             "schema": {"$ref": "#/components/schemas/Dataset"}}}},
                         "responses": {"201": _json({"$ref": "#/components/schemas/Dataset"}),
                                       **_error_responses(400, 401, 403, 422)}},
            },
            "/api/v1/datasets/{dataset_id}": {
                "parameters": [{"name": "dataset_id", "in": "path", "required": True, "schema": {"type": "integer"}}],
                "get": {"summary": "One dataset", "responses": {
                    "200": _json({"$ref": "#/components/schemas/Dataset"}), **_error_responses(404)}},
                "patch": {"summary": "Edit an entry (owner officer, operator)", "security": [{"bearer": []}],
                          "requestBody": {"required": True, "content": {"application/json": {
                              "schema": {"$ref": "#/components/schemas/Dataset"}}}},
                          "responses": {"200": _json({"$ref": "#/components/schemas/Dataset"}),
                                        **_error_responses(400, 401, 403, 404, 409, 422)}},
            },
            "/api/v1/datasets/{dataset_id}/publish": _action("Publish a draft or retired entry"),
            "/api/v1/datasets/{dataset_id}/retire": _action("Retire a published entry"),
            "/api/v1/datasets/{dataset_id}/history": {
                "parameters": [{"name": "dataset_id", "in": "path", "required": True, "schema": {"type": "integer"}}],
                "get": {"summary": "Append-only change history (owner officer, operator)",
                        "security": [{"bearer": []}],
                        "responses": {"200": _json({"type": "object"}), **_error_responses(401, 403, 404)}}},
            "/api/v1/departments": {"get": {"summary": "Departments", "responses": {"200": _json({
                "type": "object", "properties": {"items": {"type": "array", "items": {"type": "object"}}}})}}},
            **orders_paths(),
            **delivery_paths(),
            **dashboard_paths(),
            **demands_paths(),
            **trading_paths(),
            **ratings_paths(),
            **recs_paths(),
            **notify_paths(),
            "/healthz": {"get": {"summary": "Database and search index health", "responses": {
                "200": _json({"type": "object"}), "503": _json({"type": "object"}, "degraded")}}},
        },
    }


def _action(summary: str) -> dict:
    return {
        "parameters": [{"name": "dataset_id", "in": "path", "required": True, "schema": {"type": "integer"}}],
        "post": {"summary": summary, "security": [{"bearer": []}],
                 "responses": {"200": _json({"$ref": "#/components/schemas/Dataset"}),
                               **_error_responses(401, 403, 404, 409, 422)}},
    }
