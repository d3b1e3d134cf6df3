"""Stored and reflected XSS probes in every user-text field we can reach, and SQL/query injection probes
through search, facet filters and sort on the pages, the JSON API and the CKAN Action API."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from tests.conftest import csrf_token

SCRIPT = "<script>alert(1)</script>"
ATTR = '"><img src=x onerror=alert(1)>'
RAW = (SCRIPT, "<img src=x onerror")  # what must never reach a page unescaped


def assert_escaped(client, url: str, *, shown: bool = True) -> str:
    resp = client.get(url)
    html = resp.get_data(as_text=True)
    assert resp.status_code < 500, (url, resp.status_code)
    for raw in RAW:
        assert raw not in html, f"unescaped {raw!r} on {url}"
    if shown:  # the probe really is on the page, escaped: otherwise this test proves nothing
        assert "alert(1)" in html, f"probe not shown on {url}"
    return html


@pytest.fixture
def actors(make_department, make_user):
    owner, requesting = make_department(), make_department()
    return {"owner": owner, "officer": make_user("officer", department=owner),
            "requester": make_user("requester", department=requesting), "operator": make_user("operator")}


def test_stored_xss_in_dataset_fields_through_the_api(client, login, actors, api_token):
    headers = api_token(actors["officer"])
    body = {"title": SCRIPT, "summary": ATTR, "tags": [SCRIPT, ATTR], "formats": ["CSV"],
            "share_attribute": "conditional", "open_attribute": "open", "level": 2,
            "items": [{"name": ATTR, "description": SCRIPT}, {"name": SCRIPT}]}
    resp = client.post("/api/v1/datasets", json=body, headers=headers)
    assert resp.status_code == 201, resp.get_json()
    ds_id = resp.get_json()["id"]
    assert client.post(f"/api/v1/datasets/{ds_id}/publish", headers=headers).status_code == 200
    # the JSON API returns the text as data (JSON-encoded, served as application/json, nosniff)
    api = client.get(f"/api/v1/datasets/{ds_id}")
    assert api.mimetype == "application/json" and api.get_json()["title"] == SCRIPT

    for url in ["/", "/datasets", "/datasets?q=alert", f"/datasets/{ds_id}", f"/datasets?tag={quote(SCRIPT)}"]:
        assert_escaped(client, url)
    login(actors["officer"])
    for url in ["/manage", f"/datasets/{ds_id}/edit", f"/datasets/{ds_id}/history"]:
        assert_escaped(client, url)


def test_stored_xss_through_the_entry_form(client, login, actors):
    login(actors["officer"])
    token = csrf_token(client, "/datasets/new")
    form = {"csrf_token": token, "title": ATTR, "summary": SCRIPT, "category": "", "tags": f"{SCRIPT}, x",
            "formats": "CSV", "update_frequency": "monthly", "share_attribute": "unconditional",
            "open_attribute": "open", "level": "1", "delivery_modes": ["download"], "price": "",
            "item-0-name": SCRIPT, "item-0-type": "string", "item-0-description": ATTR}
    resp = client.post("/datasets/new", data=form)
    assert resp.status_code == 302, resp.get_data(as_text=True)[:500]
    detail = resp.headers["Location"]
    assert_escaped(client, detail)
    # a refused form re-renders the typed values: they must come back escaped too
    bad = client.post("/datasets/new", data={**form, "level": "9", "csrf_token": csrf_token(client, "/datasets/new")})
    assert bad.status_code == 422
    html = bad.get_data(as_text=True)
    assert all(raw not in html for raw in RAW) and "alert(1)" in html


def test_stored_xss_in_checkout_purpose_and_approval_comments(client, login, actors, make_dataset, api_token):
    ds = make_dataset("企业登记信息", department=actors["owner"], share_attribute="conditional", level=2)
    req_h, off_h = api_token(actors["requester"]), api_token(actors["officer"])
    assert client.post("/api/v1/cart/items", json={"dataset_id": ds.id}, headers=req_h).status_code == 201
    resp = client.post("/api/v1/requests", json={"purpose": f"核验 {SCRIPT}", "legal_basis": ATTR,
                                                 "period_days": 30}, headers=req_h)
    assert resp.status_code == 201, resp.get_json()
    request = resp.get_json()
    rid, line_id = request["id"], request["lines"][0]["id"]
    asked = client.post(f"/api/v1/requests/{rid}/lines/{line_id}/decision",
                        json={"decision": "ask", "comment": ATTR}, headers=off_h)
    assert asked.status_code == 200, asked.get_json()
    answered = client.post(f"/api/v1/requests/{rid}/lines/{line_id}/answer", json={"comment": SCRIPT},
                           headers=req_h)
    assert answered.status_code == 200, answered.get_json()

    login(actors["officer"])
    assert_escaped(client, f"/requests/{rid}")
    assert_escaped(client, "/approvals", shown=False)
    client.post("/logout", data={"csrf_token": csrf_token(client)})
    login(actors["requester"])
    assert_escaped(client, f"/requests/{rid}")
    assert_escaped(client, "/requests", shown=False)


def test_checkout_form_rerenders_a_refused_purpose_escaped(client, login, actors, make_dataset):
    ds = make_dataset("企业登记信息", department=actors["owner"], share_attribute="conditional", level=2)
    login(actors["requester"])
    token = csrf_token(client, "/cart")
    assert client.post("/cart/items", data={"csrf_token": token, "dataset_id": ds.id}).status_code == 302
    resp = client.post("/checkout", data={"csrf_token": token, "purpose": SCRIPT, "legal_basis": ATTR,
                                          "period_days": "abc"})
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    assert all(raw not in html for raw in RAW) and "alert(1)" in html


@pytest.mark.parametrize("payload", [SCRIPT, ATTR])
def test_reflected_xss_in_search_and_login(client, make_dataset, payload):
    make_dataset("公交线路信息", open_attribute="open")
    assert_escaped(client, f"/datasets?q={quote(payload)}")
    assert_escaped(client, f"/datasets?q={quote(payload)}&lang=en")
    assert_escaped(client, f"/login?next={quote(payload)}", shown=False)
    assert_escaped(client, f"/datasets?department={quote(payload)}&sort={quote(payload)}", shown=False)
    token = csrf_token(client, "/login")
    resp = client.post("/login", data={"username": payload, "password": "x", "csrf_token": token})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 401 and all(raw not in html for raw in RAW) and "alert(1)" in html


# --- SQL / query injection ------------------------------------------------------------------------
INJECTIONS = ["' OR '1'='1", "1' OR 1=1 --", "'; DROP TABLE dataset; --", "\" OR \"\"=\"", "%", "_", "*",
              "\\", "1) OR (1=1", "公交' UNION SELECT username, password_hash FROM user --", "\x00", "' AND SLEEP(1)--",
              "title:*", "a\" OR title:*", "(", "NOT", "AND OR", "~", "^2", "[* TO *]"]


@pytest.fixture
def catalog(make_department, make_dataset):
    own = make_department(code="INJ")
    make_dataset("公交线路信息", department=own, open_attribute="open", share_attribute="unconditional",
                 tags=("交通",))
    make_dataset("企业登记信息", department=own, open_attribute="open", share_attribute="unconditional")
    make_dataset("不公开的数据", department=own, open_attribute="closed")
    make_dataset("草稿数据", department=own, status="draft", open_attribute="open")
    return own


def _api_total(client, query: str) -> int:
    resp = client.get(f"/api/v1/datasets?{query}")
    # 400: a NUL character is refused outright (market/security.py refuse_nul_bytes)
    assert resp.status_code in (200, 400, 422), (query, resp.status_code)
    if resp.status_code == 400:
        assert resp.get_json()["error"]["code"] == "nul_byte"
        return 0
    return resp.get_json()["total"] if resp.status_code == 200 else 0


def _ckan_count(client, query: str) -> int:
    resp = client.get(f"/api/3/action/package_search?{query}")
    assert resp.status_code in (200, 400, 409), (query, resp.status_code)
    body = resp.get_json()
    return body["result"]["count"] if body.get("success") else 0


def test_injection_probes_never_crash_nor_widen_the_result(client, catalog):
    normal_api = _api_total(client, "")
    normal_ckan = _ckan_count(client, "rows=1000")
    assert normal_api == normal_ckan == 2  # only the published open entries are public
    facet_names = ["department", "category", "share_attribute", "open_attribute", "level", "format",
                   "update_frequency", "tag"]
    for probe in INJECTIONS:
        p = quote(probe)
        queries = [f"q={p}", f"sort={p}", f"page={p}", f"per_page={p}"] + [f"{name}={p}" for name in facet_names]
        for query in queries:
            assert _api_total(client, query) <= normal_api, (probe, query)
            page = client.get(f"/datasets?{query}")
            assert page.status_code in (200, 400, 422), (probe, query, page.status_code)
            assert "不公开的数据" not in page.get_data(as_text=True) and "草稿数据" not in page.get_data(as_text=True)
        for query in [f"q={p}", f"sort={p}", f"fq={p}", f"fq=tags:{p}", f"fq=organization:{p}", f"rows={p}",
                      f"start={p}", f"q=title:{p}"]:
            assert _ckan_count(client, query) <= normal_ckan, (probe, query)
    # the tables survived the probes and the normal answers did not change
    assert _api_total(client, "") == normal_api and _ckan_count(client, "rows=1000") == normal_ckan


def test_injection_probes_with_a_staff_session_stay_in_scope(client, login, catalog, make_user):
    login(make_user("requester"))
    normal = client.get("/api/v1/datasets").get_json()["total"]
    for probe in INJECTIONS[:8]:
        assert _api_total(client, f"q={quote(probe)}") <= normal
        assert _api_total(client, f"department={quote(probe)}") <= normal
    assert "草稿数据" not in client.get("/datasets?q=%27%20OR%20%271%27%3D%271").get_data(as_text=True)


def test_oversized_ids_are_not_found_rather_than_a_database_overflow(client, login, make_user, api_token):
    officer = make_user("officer")
    headers = api_token(officer)
    for big in ("2147483647", "2147483648", "9223372036854775808", "9" * 40):
        assert client.get(f"/api/v1/datasets/{big}").status_code == 404, big
        assert client.patch(f"/api/v1/datasets/{big}", json={"title": "改名"}, headers=headers).status_code == 404
        assert client.get(f"/api/v1/requests/{big}", headers=headers).status_code == 404, big
    login(officer)  # the pages last: a page's session cookie makes cookie-less API writes CSRF-checked
    for big in ("2147483647", "2147483648", "9" * 40):
        assert client.get(f"/datasets/{big}").status_code == 404, big
        assert client.get(f"/datasets/{big}/edit").status_code == 404, big


def test_oversized_numbers_in_bodies_and_forms_are_refused_not_a_crash(client, login, actors):
    big = 2**31
    req_h, off_h = api_token_for(client, actors["requester"]), api_token_for(client, actors["officer"])
    resp = client.post("/api/v1/cart/items", json={"dataset_id": big}, headers=req_h)
    assert resp.status_code == 422 and "dataset_id" in resp.get_json()["error"]["fields"]
    resp = client.post("/api/v1/requests", json={"purpose": "核验企业信息", "period_days": 30, "cart_version": big},
                       headers=req_h)
    assert resp.status_code == 422 and "cart_version" in resp.get_json()["error"]["fields"]
    resp = client.post("/api/v1/approvals/batch", json={"decision": "approve", "line_ids": [big]}, headers=off_h)
    assert resp.status_code == 422
    # a deep CKAN page is refused with the reason (it used to abort the whole server process)
    for start in (str(big), str(2**64), "9" * 30):
        resp = client.get(f"/api/3/action/package_search?start={start}")
        assert resp.status_code == 409 and "start" in resp.get_json()["error"]["message"], start
    assert client.get("/api/3/action/package_search?start=1000000").get_json()["success"] is True
    login(actors["requester"])
    token = csrf_token(client, "/cart")
    resp = client.post("/cart/items", data={"csrf_token": token, "dataset_id": str(big)})
    assert resp.status_code == 302
    assert "请选择要加入数据篮的数据" in client.get(resp.headers["Location"]).get_data(as_text=True)


def api_token_for(client, user) -> dict:
    resp = client.post("/api/v1/auth/token", json={"username": user.username, "password": "passw0rd!"})
    assert resp.status_code == 201
    return {"Authorization": f"Bearer {resp.get_json()['token']}"}
