"""Request-wide protections: CSRF for cookie sessions, security headers."""

from __future__ import annotations

from flask import Flask, current_app, request

from .auth import bearer_token

CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
       "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'")
# ckan_api.action: CKAN's Action API is read-only and ignores cookie sessions (opendata/ckan_api.py),
# so a forged cross-site POST can change nothing and read nothing a visitor could not
CSRF_EXEMPT_ENDPOINTS = {"auth_api.token", "ckan_api.action"}


def init_app(app: Flask) -> None:
    @app.before_request
    def csrf_guard():
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return
        if request.endpoint in CSRF_EXEMPT_ENDPOINTS:
            return
        if bearer_token() is not None and "Cookie" not in request.headers:
            return  # Bearer-authenticated API calls carry no ambient credentials
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
