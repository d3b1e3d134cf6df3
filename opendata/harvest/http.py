"""Fetching source documents over HTTP (standard library only: the app needs no HTTP client)."""

from __future__ import annotations

import json
from urllib.error import HTTPError, URLError
from urllib.parse import urlencode
from urllib.request import Request, urlopen

USER_AGENT = "public-data-market-harvester/1"
TIMEOUT = 60


class FetchFailed(Exception):
    """The source did not answer usefully (unreachable, HTTP error, not JSON)."""


def fetch(url: str, params: dict | None = None, accept: str = "application/json") -> tuple[bytes, str]:
    """GET ``url`` (with ``params``); return the body and its content type."""
    if not url.lower().startswith(("http://", "https://")):
        raise FetchFailed(f"{url}: harvest sources are http:// or https:// URLs")
    full = f"{url}?{urlencode(params)}" if params else url
    request = Request(full, headers={"Accept": accept, "User-Agent": USER_AGENT})
    try:
        with urlopen(request, timeout=TIMEOUT) as response:
            return response.read(), response.headers.get("Content-Type", "")
    except HTTPError as exc:
        detail = _ckan_message(exc.read()) or exc.reason
        raise FetchFailed(f"{full}: HTTP {exc.code}: {detail}") from None
    except (URLError, OSError) as exc:
        raise FetchFailed(f"{full}: cannot connect: {getattr(exc, 'reason', exc)}") from None


def _ckan_message(body: bytes) -> str | None:
    try:
        error = json.loads(body).get("error")
    except (ValueError, AttributeError):
        return None
    return error.get("message") if isinstance(error, dict) else None


def fetch_json(url: str, params: dict | None = None) -> object:
    body, _ = fetch(url, params)
    try:
        return json.loads(body)
    except ValueError:
        raise FetchFailed(f"{url}: the answer is not JSON") from None
