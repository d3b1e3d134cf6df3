"""OpenAPI paths of the delivery API (merged into /api/v1/openapi.json by market.openapi)."""

from __future__ import annotations

from .formats import FORMATS
from .records import MAX_LIMIT

ERROR = {"$ref": "#/components/schemas/Error"}
OBJ = {"type": "object"}
SEC = [{"bearer": []}]
OPTIONAL_SEC = [{}, {"bearer": []}]


def _errors(*codes: int) -> dict:
    return {str(c): {"description": "error", "content": {"application/json": {"schema": ERROR}}} for c in codes}


def _ok(description: str = "OK", status: str = "200") -> dict:
    return {status: {"description": description, "content": {"application/json": {"schema": OBJ}}}}


def _id(name: str) -> dict:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "integer"}}


def _file(description: str) -> dict:
    return {"200": {"description": description, "content": {
        "text/csv": {"schema": {"type": "string"}}, "application/json": {"schema": OBJ},
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
            "schema": {"type": "string", "format": "binary"}}}}}


FORMAT = {"name": "format", "in": "query", "required": False, "schema": {"type": "string", "enum": list(FORMATS)}}
API_KEY = {"name": "X-API-Key", "in": "header", "required": False, "schema": {"type": "string", "maxLength": 100},
           "description": "API key (GET/POST /api/v1/api-keys); else the session or bearer user"}


def delivery_paths() -> dict:
    return {
        "/api/v1/grants/{grant_id}/download": {"parameters": [_id("grant_id")], "get": {
            "summary": "The granted items of an entry as a streamed CSV, JSON or XLSX file; 403 when the grant "
                       "expired or was revoked, or the entry is level 4", "security": SEC, "parameters": [FORMAT],
            "responses": {**_file("the data, streamed"), **_errors(401, 403, 404, 409, 422)}}},
        "/api/v1/datasets/{dataset_id}/download": {"parameters": [_id("dataset_id")], "get": {
            "summary": "Bulk download: open entries for anyone (sensitive items masked), owners their own data, "
                       "others with an active grant", "security": OPTIONAL_SEC, "parameters": [FORMAT],
            "responses": {**_file("the data, streamed"), **_errors(401, 403, 404, 409, 422)}}},
        "/api/v1/datasets/{dataset_id}/records": {"parameters": [_id("dataset_id")], "get": {
            "summary": "Data API: a page of records with field selection, filters (<item>=v, <item>__gte=v, "
                       "__gt, __lte, __lt, __ne, __contains), sort (<item> or -<item>) and cursor pagination; "
                       "429 with Retry-After past the key's rate limit or daily quota",
            "security": OPTIONAL_SEC, "parameters": [
                API_KEY,
                {"name": "fields", "in": "query", "required": False, "schema": {"type": "string"},
                 "description": "comma-separated item names"},
                {"name": "sort", "in": "query", "required": False, "schema": {"type": "string"}},
                {"name": "cursor", "in": "query", "required": False, "schema": {"type": "string"}},
                {"name": "limit", "in": "query", "required": False,
                 "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT}}],
            "responses": {**_ok("{columns, items, next_cursor, masked}"), **_errors(401, 403, 404, 422, 429)}}},
        "/api/v1/datasets/{dataset_id}/query": {"parameters": [_id("dataset_id")], "post": {
            "summary": "Authorised query (数据授权查询): the records whose key item equals `key`, never the table; "
                       "`purpose` required and logged", "security": SEC,
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["key", "purpose"],
                "properties": {"key": {"type": "string", "minLength": 1, "maxLength": 200},
                               "purpose": {"type": "string", "minLength": 4, "maxLength": 500}}}}}},
            "responses": {**_ok("{key_column, columns, items, count}"), **_errors(400, 401, 403, 404, 409, 422, 429)}}},
        "/api/v1/datasets/{dataset_id}/data": {"parameters": [_id("dataset_id")], "get": {
            "summary": "The data behind an entry: rows, key item, columns (owner officer, operator)", "security": SEC,
            "responses": {**_ok(), **_errors(401, 403, 404)}}, "post": {
            "summary": "Upload CSV/XLSX/JSON (multipart `file`, `mode` replace|append), checked against the data "
                       "items; 422 lists errors by row and column and nothing is written", "security": SEC,
            "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
                "type": "object", "required": ["file"], "properties": {
                    "file": {"type": "string", "format": "binary"},
                    "mode": {"type": "string", "enum": ["replace", "append"]}}}}}},
            "responses": {**_ok("the table", "201"), **_errors(400, 401, 403, 404, 413, 422)}}},
        "/api/v1/api-keys": {
            "get": {"summary": "The caller's API keys with today's usage", "security": SEC,
                    "responses": {**_ok(), **_errors(401)}},
            "post": {"summary": "Create an API key; the secret `key` is returned only once", "security": SEC,
                     "requestBody": {"required": True, "content": {"application/json": {"schema": {
                         "type": "object", "required": ["name"],
                         "properties": {"name": {"type": "string", "minLength": 1, "maxLength": 80}}}}}},
                     "responses": {**_ok("the key", "201"), **_errors(400, 401, 422)}}},
        "/api/v1/api-keys/{key_id}": {"parameters": [_id("key_id")], "delete": {
            "summary": "Revoke an API key", "security": SEC, "responses": {**_ok(), **_errors(401, 404)}}},
    }
