"""Pages: my grants (downloads, usage, renewal into the cart), API keys, the product-page panel."""

from __future__ import annotations

from tests.conftest import csrf_token


def test_my_grants_lists_what_i_hold_and_renews_into_the_cart(client, company_dataset, make_user, make_grant, login):
    ds = company_dataset(3, open_attribute="closed")
    user = make_user("requester")
    grant = make_grant(user, ds, ["统一社会信用代码", "企业名称"])
    login(user)
    html = client.get("/grants").get_data(as_text=True)
    assert ds.title in html and "统一社会信用代码、企业名称" in html
    assert f"/api/v1/grants/{grant.id}/download?format=xlsx" in html
    assert grant.expires_at.strftime("%Y-%m-%d") in html
    resp = client.post(f"/grants/{grant.id}/renew", data={"csrf_token": csrf_token(client, "/grants")})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/checkout")
    from orders.services import get_cart

    items = get_cart(user).items
    assert [(i.dataset_id, i.fields) for i in items] == [(ds.id, ["统一社会信用代码", "企业名称"])]


def test_my_grants_empty_state(client, make_user, login):
    login(make_user("requester"))
    assert "还没有获得任何数据授权" in client.get("/grants").get_data(as_text=True)


def test_grants_page_usage_counts(client, company_dataset, make_user, make_grant, login):
    ds = company_dataset(3, open_attribute="closed")
    user = make_user("requester")
    grant = make_grant(user, ds, ["统一社会信用代码"])
    login(user)
    client.get(f"/api/v1/grants/{grant.id}/download?format=csv").get_data()
    assert "下载 1 次" in client.get("/grants").get_data(as_text=True)


def test_api_keys_page_shows_the_secret_once_and_revokes(client, make_user, login):
    login(make_user("public"))
    token = csrf_token(client, "/account/api-keys")
    html = client.post("/account/api-keys", data={"csrf_token": token, "name": "我的应用"}).get_data(as_text=True)
    assert "pdm_" in html and "只显示这一次" in html
    again = client.get("/account/api-keys").get_data(as_text=True)
    assert "我的应用" in again and 'class="secret"' not in again
    from delivery.models import ApiKey
    from market.db import db

    key = db.session.query(ApiKey).one()
    client.post(f"/account/api-keys/{key.id}/revoke", data={"csrf_token": token})
    db.session.refresh(key)
    assert key.revoked_at is not None


def test_product_page_offers_open_download(client, company_dataset):
    ds = company_dataset(4, open_attribute="open")
    html = client.get(f"/datasets/{ds.id}").get_data(as_text=True)
    assert f"/api/v1/datasets/{ds.id}/download?format=csv" in html
    assert "法定代表人" in html  # masked items named


def test_product_page_of_level_4_has_no_download(client, company_dataset, make_user, login):
    ds = company_dataset(4, open_attribute="closed", level=4)
    login(make_user("requester"))
    html = client.get(f"/datasets/{ds.id}").get_data(as_text=True)
    assert "/download?format=" not in html and "四级数据不提供批量下载" in html
