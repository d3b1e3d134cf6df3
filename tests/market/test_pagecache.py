"""The anonymous page cache: served from memory for visitors, never for signed-in users, cleared by any
catalog change, and every visitor still gets their own CSRF token."""

import pytest

from market.db import db
from tests.conftest import CSRF_RE


@pytest.fixture
def cached(app):
    app.config["PAGE_CACHE_SECONDS"] = 60
    yield app
    app.config["PAGE_CACHE_SECONDS"] = 0


def test_anonymous_pages_are_cached_and_a_catalog_change_clears_them(cached, client, make_dataset):
    ds = make_dataset("空气质量监测数据")
    first = client.get("/datasets?q=空气")
    assert first.headers["X-Page-Cache"] == "miss" and "质量监测数据" in first.get_data(as_text=True)
    second = client.get("/datasets?q=空气")
    assert second.headers["X-Page-Cache"] == "hit" and "质量监测数据" in second.get_data(as_text=True)
    api = client.get(f"/api/v1/datasets/{ds.id}")
    assert api.headers["X-Page-Cache"] == "miss"
    assert client.get(f"/api/v1/datasets/{ds.id}").get_json()["title"] == "空气质量监测数据"

    ds.title = "空气质量小时数据"
    db.session.commit()
    third = client.get("/datasets?q=空气")
    assert third.headers["X-Page-Cache"] == "miss" and "质量小时数据" in third.get_data(as_text=True)
    assert client.get(f"/api/v1/datasets/{ds.id}").get_json()["title"] == "空气质量小时数据"


def test_each_visitor_gets_their_own_csrf_token_from_a_cached_page(cached, app, make_dataset):
    make_dataset("人口基本信息")
    tokens = []
    for _ in range(2):
        visitor = app.test_client()
        visitor.get("/datasets")
        html = visitor.get("/datasets").get_data(as_text=True)
        assert "__market_csrf_placeholder" not in html
        tokens.append(CSRF_RE.search(html).group(1))
    assert tokens[0] != tokens[1]


def test_signed_in_users_and_language_choices_are_never_mixed_up(cached, client, login, make_user, make_dataset):
    make_dataset("人口基本信息")
    client.get("/datasets")
    assert client.get("/datasets").headers.get("X-Page-Cache") == "hit"
    assert 'lang="en"' in client.get("/datasets?lang=en").get_data(as_text=True)
    assert 'lang="en"' in client.get("/datasets").get_data(as_text=True)  # the session now says English
    assert 'lang="zh-CN"' in client.get("/datasets?lang=zh").get_data(as_text=True)
    login(make_user("requester"))
    resp = client.get("/datasets")
    assert "X-Page-Cache" not in resp.headers and "nav-badge count" in resp.get_data(as_text=True)  # own cart badge


def test_cache_off_by_configuration(app, client, make_dataset):
    make_dataset("人口基本信息")
    client.get("/datasets")
    assert "X-Page-Cache" not in client.get("/datasets").headers
