"""Platform endpoints: /healthz and the OpenAPI document."""

from __future__ import annotations

from flask import Blueprint, jsonify
from sqlalchemy import text

from market.db import db
from search.service import get_backend

bp = Blueprint("platform", __name__)


@bp.get("/healthz")
def healthz():
    """200 when the database and the search index answer, 503 naming what does not."""
    checks = {}
    try:
        db.session.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:  # noqa: BLE001
        checks["database"] = f"error: {exc.__class__.__name__}"
    backend = get_backend()
    try:
        checks["search"] = "ok" if backend.ping() else "unavailable"
        if getattr(backend, "unavailable_reason", ""):
            checks["search_reason"] = backend.unavailable_reason
    except Exception as exc:  # noqa: BLE001
        checks["search"] = f"error: {exc.__class__.__name__}"
    checks["search_backend"] = backend.name
    healthy = checks["database"] == "ok" and checks["search"] == "ok"
    body = {"status": "ok" if healthy else "degraded", "checks": checks}
    return jsonify(body), 200 if healthy else 503


@bp.get("/api/v1/openapi.json")
def openapi():
    from .openapi import build_spec

    return jsonify(build_spec())
