"""Domain exceptions and their one mapping to HTTP: JSON under /api/, an HTML page elsewhere."""

from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException


class MarketError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, fields: dict | None = None, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.fields = fields or {}
        if code:
            self.code = code


class ValidationFailed(MarketError):
    status = 422
    code = "validation_failed"


class BadRequest(MarketError):
    status = 400
    code = "bad_request"


class Unauthorized(MarketError):
    status = 401
    code = "unauthorized"


class Forbidden(MarketError):
    status = 403
    code = "forbidden"


class NotFound(MarketError):
    status = 404
    code = "not_found"


class Conflict(MarketError):
    status = 409
    code = "conflict"


class TooManyRequests(MarketError):
    status = 429
    code = "too_many_requests"


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.path == "/healthz"


def error_response(status: int, code: str, message: str, fields: dict | None = None):
    from .db import db

    db.session.rollback()  # an answered error never leaves half-made changes behind
    if wants_json():
        body = {"error": {"code": code, "message": message, "fields": fields or {}}}
        return jsonify(body), status
    return render_template("errors/error.html", status=status, code=code, message=message), status


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(MarketError)
    def _market(exc: MarketError):
        return error_response(exc.status, exc.code, exc.message, exc.fields)

    @app.errorhandler(CSRFError)
    def _csrf(exc: CSRFError):
        return error_response(400, "csrf_failed",
                              "The form expired or did not come from this site (CSRF check failed); reload and retry.")

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        code = (exc.name or "error").lower().replace(" ", "_")
        return error_response(exc.code or 500, code, exc.description or exc.name)
