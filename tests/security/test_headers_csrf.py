"""Security headers on every answer, and CSRF on every state-changing route of the URL map."""

from __future__ import annotations

import re

import pytest

from market.security import CSRF_EXEMPT_ENDPOINTS
from tests.conftest import csrf_token

STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}


@pytest.fixture
def site(make_department, make_user, make_dataset):
    own = make_department()
    ds = make_dataset("公交线路信息", department=own, open_attribute="open", share_attribute="unconditional")
    return {"dataset": ds, "officer": make_user("officer", department=own)}


def _assert_headers(resp, url):
    csp = resp.headers.get("Content-Security-Policy", "")
    assert csp, url
    assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp, url
    assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp, url
    assert resp.headers.get("X-Content-Type-Options") == "nosniff", url
    assert resp.headers.get("Referrer-Policy") in ("same-origin", "no-referrer", "strict-origin-when-cross-origin"), url
    assert resp.headers.get("X-Frame-Options") == "DENY", url


def test_every_page_and_api_answer_carries_the_security_headers(client, login, site):
    ds = site["dataset"]
    anonymous = ["/", "/datasets", "/datasets?q=公交", f"/datasets/{ds.id}", "/login", "/no-such-page",
                 "/api/v1/datasets", f"/api/v1/datasets/{ds.id}", "/api/v1/datasets/999999", "/api/v1/openapi.json",
                 "/api/v1/cart", "/healthz", "/api/3/action/package_search?q=公交", "/catalog.jsonld",
                 "/static/market.css"]
    for url in anonymous:
        resp = client.get(url)
        resp.close()  # the static file answer holds its file open until closed
        _assert_headers(resp, url)
        assert "Strict-Transport-Security" not in resp.headers, f"HSTS over plain HTTP on {url}"
    login(site["officer"])
    for url in ["/manage", "/datasets/new", f"/datasets/{ds.id}/edit", "/approvals", "/requests"]:
        resp = client.get(url)
        assert resp.status_code == 200, url
        _assert_headers(resp, url)


def test_hsts_only_over_https(client):
    resp = client.get("/", base_url="https://localhost")
    assert resp.headers["Strict-Transport-Security"].startswith("max-age=")
    assert int(re.search(r"max-age=(\d+)", resp.headers["Strict-Transport-Security"]).group(1)) >= 15552000
    assert "Strict-Transport-Security" not in client.get("/").headers


def test_csrf_exemptions_are_exactly_the_reviewed_ones():
    # a new exemption must be a conscious change: edit this set together with market/security.py
    assert CSRF_EXEMPT_ENDPOINTS == {"auth_api.token", "ckan_api.action", "trading_api.webhook"}


def _sample_url(app, rule, method: str) -> str:
    """A URL that really reaches ``rule`` (so the CSRF guard is proven on the route itself, not on a 404)."""
    from werkzeug.routing.converters import AnyConverter

    values = {}
    for name, conv in rule._converters.items():
        if isinstance(conv, AnyConverter):
            values[name] = min(conv.items)
        else:
            values[name] = {"action": "package_search", "day": "2026-10-01", "filename": "market.css"}.get(name, "1")
    url = rule.build(values, append_unknown=False)[1]
    endpoint, _args = app.url_map.bind("localhost").match(url, method=method)
    assert endpoint == rule.endpoint, (url, endpoint, rule.endpoint)
    return url


def test_every_state_changing_route_refuses_a_logged_in_session_without_token(app, client, login, site):
    login(site["officer"])
    checked = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in CSRF_EXEMPT_ENDPOINTS:
            continue
        for method in sorted(rule.methods & STATE_CHANGING):
            url = _sample_url(app, rule, method)
            resp = client.open(url, method=method, data={"title": "伪造"}, headers={"Origin": "https://evil.example"})
            body = resp.get_data(as_text=True)
            assert resp.status_code == 400, (method, url, resp.status_code, body[:300])
            if url.startswith("/api/"):
                assert resp.get_json()["error"]["code"] == "csrf_failed", (method, url)
            else:
                assert "CSRF" in body, (method, url)
            checked.append((method, rule.rule))
    # the map really was walked: forms and API writes of every package are among the checked routes
    rules = {r for _m, r in checked}
    assert {"/logout", "/checkout", "/cart/items", "/datasets/new", "/api/v1/cart/items",
            "/api/v1/datasets/<int:dataset_id>", "/approvals/batch", "/api/v1/routing-rules"} <= rules
    assert {"/demands/<int:demand_id>/me-too", "/api/v1/demands", "/api/v1/objections", "/reviews/<int:review_id>/reply",
            "/api/v1/reviews/<int:review_id>", "/kb/<int:article_id>/attachments", "/api/v1/api-keys",
            "/notifications/read", "/trading/datasets/<int:dataset_id>/buy", "/rules/routing", "/harvest/sources",
            "/trace", "/bundles/new", "/api/v1/datasets/<int:dataset_id>/data"} <= rules
    assert len(checked) >= 100


def test_a_valid_token_passes_the_same_guard(client, login, site):
    login(site["officer"])
    token = csrf_token(client, "/datasets/new")
    resp = client.post(f"/datasets/{site['dataset'].id}/retire", data={"csrf_token": token, "reason": "停止维护"})
    assert resp.status_code == 302


def test_anonymous_api_write_without_cookie_is_401_not_a_csrf_error(client, site):
    resp = client.delete(f"/api/v1/cart/items/{site['dataset'].id}")
    assert resp.status_code == 401 and resp.get_json()["error"]["code"] != "csrf_failed"


def test_exempt_endpoints_change_nothing_without_credentials(client, site):
    # the token endpoint trades credentials for a token: without them it refuses
    assert client.post("/api/v1/auth/token", json={"username": site["officer"].username,
                                                   "password": "wrong-pass1"}).status_code == 401
    # the CKAN Action API is read-only: a write action is refused
    resp = client.post("/api/3/action/package_create", json={"name": "x"})
    assert resp.status_code in (400, 403, 404, 405)
