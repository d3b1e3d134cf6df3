"""OpenAPI path of ``GET /api/v1/dashboard`` (merged into /api/v1/openapi.json by market.openapi)."""

from __future__ import annotations

from .tables import TABLES

ERROR = {"$ref": "#/components/schemas/Error"}


def dashboard_paths() -> dict:
    errors = {str(c): {"description": "error", "content": {"application/json": {"schema": ERROR}}}
              for c in (401, 403, 404, 422)}
    params = [
        {"name": "from", "in": "query", "schema": {"type": "string", "format": "date"},
         "description": "first day (UTC) of the period; default: 89 days before 'to'"},
        {"name": "to", "in": "query", "schema": {"type": "string", "format": "date"},
         "description": "last day (UTC) of the period, inclusive; default: today"},
        {"name": "department", "in": "query", "schema": {"type": "string", "maxLength": 64},
         "description": "department code or id (operators; an officer may only name their own)"},
        {"name": "format", "in": "query", "schema": {"type": "string", "enum": ["json", "csv"]}},
        {"name": "table", "in": "query", "schema": {"type": "string", "enum": list(TABLES)},
         "description": "the table to export with format=csv"},
    ]
    return {"/api/v1/dashboard": {"get": {
        "summary": "Dashboard figures (数据看板): on-demand share rate, approval times, deadline breaches, "
                   "demand fulfilment, objections, top entries, catalog coverage, department league; "
                   "or one table as CSV",
        "security": [{"bearer": []}], "parameters": params,
        "responses": {"200": {"description": "OK", "content": {"application/json": {"schema": {"type": "object"}},
                                                               "text/csv": {"schema": {"type": "string"}}}},
                      **errors}}}}
