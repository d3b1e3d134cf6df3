"""Domain exceptions and their one mapping to HTTP: JSON under /api/, an HTML page elsewhere."""

from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DataError, InterfaceError, OperationalError, SQLAlchemyError
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


DISK_FULL_SIGNS = ("database or disk is full", "no space left on device", "could not extend file", "disk full")


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.path == "/healthz"


def error_response(status: int, code: str, message: str, fields: dict | None = None):
    from .db import db

    try:
        db.session.rollback()  # an answered error never leaves half-made changes behind
    except SQLAlchemyError:  # the connection itself may be what failed (database unavailable)
        db.session.close()
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

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    def _database(exc):
        """The database is unreachable, locked too long, or out of space: a clear 503/507, never a bare 500.
        The page is standalone (no header, no signed-in user) because drawing the usual one needs the
        database."""
        from .db import db

        try:
            db.session.rollback()
        except SQLAlchemyError:
            db.session.close()
        text = str(getattr(exc, "orig", exc)).lower()
        chain, seen = exc, 0
        while chain is not None and seen < 10:  # a full disk often surfaces as a later error (a lost savepoint)
            if any(s in str(chain).lower() for s in DISK_FULL_SIGNS):
                text = str(chain).lower()
                break
            chain, seen = chain.__cause__ or chain.__context__, seen + 1
        if any(s in text for s in DISK_FULL_SIGNS):
            status, code = 507, "storage_full"
            message = ("The server's storage is full, so nothing was saved. Please tell the platform operator; "
                       "try again once space is freed.")
        else:
            status, code = 503, "database_unavailable"
            message = "The database is briefly unavailable; nothing was changed. Please try again in a few seconds."
        app.logger.warning("database error answered %s: %s", status, text[:300])
        if wants_json():
            resp = jsonify({"error": {"code": code, "message": message, "fields": {}}})
        else:
            resp = app.make_response(render_template("errors/unavailable.html", status=status, message=message))
        resp.status_code = status
        resp.headers["Retry-After"] = "5" if status == 503 else "60"
        return resp

    @app.errorhandler(DataError)
    def _bad_value(exc):
        """A value the database refuses (e.g. a NUL character in JSON text on PostgreSQL): the caller's input."""
        app.logger.info("database refused a value: %s", str(getattr(exc, "orig", exc))[:200])
        return error_response(400, "bad_value", "A value in the request cannot be stored or compared "
                              "(for example it contains a NUL character); correct it and retry.")

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        code = (exc.name or "error").lower().replace(" ", "_")
        if exc.code == 413:  # say what the limit is and what to do, not werkzeug's generic sentence
            from flask import current_app
            from flask_babel import gettext

            limit = (current_app.config.get("MAX_CONTENT_LENGTH") or 0) / (1024 * 1024)
            return error_response(413, "too_large", gettext(
                "上传内容超过 %(n)s MB 的上限：请拆分文件后分批上传（上限由 MARKET_MAX_UPLOAD_MB 设置）。",
                n=f"{limit:g}"), {"file": [f"at most {limit:g} MB"]})
        return error_response(exc.code or 500, code, exc.description or exc.name)
