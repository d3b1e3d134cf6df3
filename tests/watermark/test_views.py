"""The operator trace page: upload a copy, see the grant; everyone else gets 403."""

from __future__ import annotations

import io

import pytest

from tests.conftest import csrf_token

from .conftest import NAMES, csv_text, delivered, leak


def _post(client, data: bytes, filename: str):
    token = csrf_token(client, "/trace")
    return client.post("/trace", data={"csrf_token": token, "file": (io.BytesIO(data), filename)},
                       content_type="multipart/form-data")


def test_operator_traces_an_upload(fifty_grants, client, login, make_user):
    grants = fifty_grants[1]
    thief = grants[12]
    login(make_user("operator"))
    page = client.get("/trace")
    assert page.status_code == 200
    assert 'enctype="multipart/form-data"' in page.get_data(as_text=True)

    data = csv_text(leak(delivered(thief), keep=0.1), NAMES, header=False).encode()
    resp = _post(client, data, "泄露.csv")

    html = resp.get_data(as_text=True)
    assert resp.status_code == 200, html[:500]
    assert f"授权 #{thief.id}" in html
    req = thief.line.request
    assert req.requester.username in html and req.department.name in html
    assert thief.granted_at.strftime("%Y-%m-%d") in html


def test_operator_sees_no_match_for_an_original(fifty_grants, client, login, make_user):
    from delivery import store

    ds = fifty_grants[0]
    login(make_user("operator"))
    rows = list(store.iter_rows(ds.id, NAMES))[:600]
    resp = _post(client, csv_text(rows, NAMES).encode(), "original.csv")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "无匹配" in html and "找到来源" not in html


@pytest.mark.parametrize("role", ["requester", "officer", "public"])
def test_non_operators_get_403(app, client, login, make_user, role):
    login(make_user(role))
    assert client.get("/trace").status_code == 403
    token = csrf_token(client, "/")
    resp = client.post("/trace", data={"csrf_token": token, "file": (io.BytesIO(b"a,b\n1,2\n"), "x.csv")},
                       content_type="multipart/form-data")
    assert resp.status_code == 403


def test_anonymous_is_sent_to_login(app, client):
    resp = client.get("/trace")
    assert resp.status_code in (302, 401)


def test_upload_errors_are_explained(app, client, login, make_user, monkeypatch):
    import watermark.views

    login(make_user("operator"))
    resp = _post(client, b"%PDF-1.4", "report.pdf")
    assert resp.status_code == 400
    assert "不支持该文件类型" in resp.get_data(as_text=True)

    monkeypatch.setattr(watermark.views, "MAX_TRACE_BYTES", 1024)
    resp = _post(client, b"a,b\n" * 1000, "big.csv")
    assert resp.status_code == 400
    assert "上限" in resp.get_data(as_text=True)

    resp = _post(client, b"PK\x03\x04broken", "broken.xlsx")
    assert resp.status_code == 400
    assert "无法读取该文件" in resp.get_data(as_text=True)


def test_upload_without_csrf_is_refused(app, client, login, make_user):
    login(make_user("operator"))
    resp = client.post("/trace", data={"file": (io.BytesIO(b"a,b\n1,2\n"), "x.csv")},
                       content_type="multipart/form-data")
    assert resp.status_code in (400, 403)


def test_nav_link_only_for_operators(app, client, login, make_user):
    login(make_user("operator"))
    assert 'href="/trace"' in client.get("/").get_data(as_text=True)
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login(make_user("requester"))
    assert 'href="/trace"' not in client.get("/").get_data(as_text=True)
