"""A page cache for anonymous visitors (the CKAN/Warehouse habit of caching what everybody sees alike).

Enterprises and citizens browse the shop without logging in, and they all see the same product grid,
search results and product pages. Those responses are kept for ``MARKET_PAGE_CACHE_SECONDS`` (0 turns the
cache off), keyed by endpoint, path, query string, language and display preference, and dropped at once
at once when a catalog entry changes: a commit touching datasets bumps this process's generation number and
replaces the stamp file ``MARKET_DATA_DIR/cache/pagecache.stamp``, which every worker process (and a
`market import` in another process) checks with one ``stat`` before answering from its cache.

Never cached: signed-in users (their pages differ), requests with an Authorization header or API key,
pages carrying a flashed message, anything but a 200 HTML/JSON answer to GET. The CSRF token is per visitor: the page is rendered with a placeholder
that is replaced by the visitor's own token on every response, so forms keep working.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict

from flask import Flask, Response, current_app, g, request, session
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from sqlalchemy import event
from sqlalchemy.orm import Session

from . import stamps

PLACEHOLDER = "__market_csrf_placeholder_7f3a__"
MAX_ENTRIES = 512
MAX_BODY = 512 * 1024
STAMP_NAME = "pagecache"  # MARKET_DATA_DIR/cache/pagecache.stamp

_lock = threading.Lock()
_generation = 0
_SESSION_FLAG = "market_pagecache_touch"


def invalidate() -> None:
    """Forget every cached page, in this process and (through the stamp file) in every other process on
    the same data folder. Call after a change anonymous pages show."""
    global _generation
    with _lock:
        _generation += 1
        for cache in _caches:
            cache.clear()
    stamps.replace(stamps.path_for(STAMP_NAME))


_caches: list[OrderedDict] = []


def register_cacheable(app: Flask, *endpoints: str) -> None:
    app.extensions.setdefault("market.pagecache.endpoints", set()).update(endpoints)


def _key() -> tuple | None:
    app = current_app
    if app.config.get("PAGE_CACHE_SECONDS", 0) <= 0 or request.method != "GET":
        return None
    if request.endpoint not in app.extensions.get("market.pagecache.endpoints", ()):
        return None
    if "Authorization" in request.headers or "X-API-Key" in request.headers:
        return None
    if session.get("_flashes") or session.get("_user_id") or getattr(current_user, "is_authenticated", False):
        return None
    return (request.endpoint, request.full_path, session.get("lang"), request.cookies.get("large_text"))


def init_app(app: Flask) -> None:
    cache: OrderedDict = OrderedDict()
    _caches.append(cache)
    stamp_file = stamps.path_for(STAMP_NAME, app)

    @app.context_processor
    def _csrf_placeholder():
        # rendering a page destined for the cache: the token slot is filled per response
        if g.get("page_cache_key") is not None:
            return {"csrf_token": lambda: PLACEHOLDER}
        return {}

    @app.before_request
    def serve_cached():
        key = _key()
        if key is None:
            return None
        with _lock:  # the version the page is rendered at: a change committed meanwhile makes it stale
            version = g.page_cache_version = (_generation, stamps.read(stamp_file))
            hit = cache.get(key)
            if hit is not None and hit[0] == version and hit[1] > time.monotonic():
                cache.move_to_end(key)
            else:
                hit = None
        if hit is None:
            g.page_cache_key = key
            return None
        _, _, body, mimetype = hit
        if PLACEHOLDER in body:
            body = body.replace(PLACEHOLDER, generate_csrf())
        resp = Response(body, mimetype=mimetype)
        resp.headers["X-Page-Cache"] = "hit"
        return resp

    @app.after_request
    def store(response):
        key = g.pop("page_cache_key", None)
        if key is None:
            return response
        mimetype = response.mimetype
        if (response.status_code == 200 and mimetype in ("text/html", "application/json")
                and not response.direct_passthrough and not response.is_streamed):
            # (the session may have changed — Flask-Login's session protection marks every anonymous
            # session, the CSRF token is added — but a page's content depends on it only through the
            # language, which is in the key, and flashed messages, which are never cached)
            body = response.get_data(as_text=True)
            if len(body) <= MAX_BODY:
                with _lock:
                    expires = time.monotonic() + current_app.config["PAGE_CACHE_SECONDS"]
                    cache[key] = (g.page_cache_version, expires, body, mimetype)
                    cache.move_to_end(key)
                    while len(cache) > MAX_ENTRIES:
                        cache.popitem(last=False)
                response.headers["X-Page-Cache"] = "miss"
            if PLACEHOLDER in body:
                response.set_data(body.replace(PLACEHOLDER, generate_csrf()))
        elif response.is_sequence:
            body = response.get_data(as_text=True)
            if PLACEHOLDER in body:
                response.set_data(body.replace(PLACEHOLDER, generate_csrf()))
        return response


@event.listens_for(Session, "after_flush")
def _watch(session: Session, flush_context) -> None:
    from catalog.models import DataItem, Dataset

    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, (Dataset, DataItem)):
            session.info[_SESSION_FLAG] = True
            return


@event.listens_for(Session, "after_commit")
def _bump(session: Session) -> None:
    if session.info.pop(_SESSION_FLAG, False):
        invalidate()


@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop(_SESSION_FLAG, None)
