"""Request-wide protections: CSRF for cookie sessions, security headers."""

from __future__ import annotations

from urllib.parse import urlparse

from flask import Flask, current_app, request
from werkzeug.routing import IntegerConverter

from .auth import bearer_token

MAX_ID = 2**31 - 1  # the tables' integer keys: ids beyond it cannot exist and overflow PostgreSQL's int4
CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
       "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'")
# ckan_api.action: CKAN's Action API is read-only and ignores cookie sessions (opendata/ckan_api.py),
# so a forged cross-site POST can change nothing and read nothing a visitor could not;
# trading_api.webhook: server-to-server, authenticated by the payment provider's signature instead
CSRF_EXEMPT_ENDPOINTS = {"auth_api.token", "ckan_api.action", "trading_api.webhook"}


def is_safe_path(target: str | None) -> bool:
    """A same-site path to redirect to: starts with one '/', no backslash (browsers read '/\\x' as '//x'),
    no control characters, no scheme or host. Everything else would be an open redirect."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return False
    if any(ord(c) < 32 or ord(c) == 127 for c in target):
        return False
    parsed = urlparse(target)
    return not parsed.scheme and not parsed.netloc


def _digits_up_to(limit: int) -> str:
    """A regex for the decimal numbers 0..limit (e.g. 2147483647), so larger ids match no route at all."""
    text = str(limit)
    alternatives = [rf"\d{{1,{len(text) - 1}}}", text]
    for i, ch in enumerate(text):
        if ch != "0":
            alternatives.append(rf"{text[:i]}[0-{int(ch) - 1}]\d{{{len(text) - i - 1}}}")
    return "(?:" + "|".join(alternatives) + ")"


class DatabaseIdConverter(IntegerConverter):
    """`<int:…>` within the 32-bit integer keys of the tables: a larger id is a 404, not a driver overflow
    (SQLite: OverflowError past 2**63; PostgreSQL: "integer out of range" past 2**31) answered as 500."""

    regex = _digits_up_to(MAX_ID)


def init_app(app: Flask) -> None:
    # before any blueprint registers its rules: each rule binds its converters when it is added
    app.url_map.converters["int"] = DatabaseIdConverter

    @app.before_request
    def refuse_nul_bytes():
        # a NUL character is never meaningful in a form or a query, and PostgreSQL text refuses it (500)
        if any("\x00" in v for v in request.args.values()) or (
                request.method in ("POST", "PUT", "PATCH") and request.mimetype in (
                    "application/x-www-form-urlencoded", "multipart/form-data")
                and any("\x00" in v for v in request.form.values())):
            from .errors import BadRequest

            raise BadRequest("The request contains a NUL character (\\0), which no field accepts.", code="nul_byte")

    @app.before_request
    def csrf_guard():
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return
        if request.endpoint in CSRF_EXEMPT_ENDPOINTS:
            return
        if "Cookie" not in request.headers and (bearer_token() is not None or request.path.startswith("/api/")):
            # no ambient credentials, nothing to forge: bearer or anonymous API calls get their own 401/403
            return
        current_app.extensions["market.csrf"].protect()

    @app.after_request
    def headers(response):
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if request.is_secure:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response
