"""Prices on entries, operator blocks, the panels on the product, cart and request pages, and what happens
when payments are off."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from sqlalchemy import select

from market.db import db
from market.errors import Forbidden, ValidationFailed
from orders import services as orders
from trading import services
from trading.models import Payment


def _token(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


@pytest.fixture
def seller(make_department, make_user, make_dataset):
    dept = make_department(name="市市场监管局")
    return {"dept": dept, "officer": make_user("officer", department=dept),
            "ds": make_dataset("食品经营许可", department=dept, share_attribute="unconditional", open_attribute="conditional")}


def test_only_the_owning_officer_prices_and_amounts_are_validated(stripe_app, seller, make_user):
    ds, officer = seller["ds"], seller["officer"]
    other_officer = make_user("officer")
    with pytest.raises(Forbidden):
        services.add_product(ds, actor=other_officer, kind="download", amount="10")
    with pytest.raises(Forbidden):
        services.add_product(ds, actor=make_user("operator"), kind="download", amount="10")
    for kwargs, field in (({"kind": "download", "amount": "abc"}, "amount"),
                          ({"kind": "download", "amount": "0"}, "amount"),
                          ({"kind": "download", "amount": "1.234"}, "amount"),
                          ({"kind": "gift", "amount": "1"}, "kind"),
                          ({"kind": "subscription", "amount": "1", "period_days": "7"}, "period_days"),
                          ({"kind": "api_calls", "amount": "1", "calls": "0"}, "calls")):
        with pytest.raises(ValidationFailed) as exc:
            services.add_product(ds, actor=officer, **kwargs)
        assert field in exc.value.fields
    p = services.add_product(ds, actor=officer, kind="download", amount="¥1,299.5")
    assert p.amount_fen == 129950 and services.yuan(p.amount_fen) == "¥1,299.50"
    services.add_product(ds, actor=officer, kind="api_calls", amount="8.80", calls="500")
    db.session.commit()
    assert ds.price == Decimal("8.80")  # the catalog's display price follows the lowest price on sale
    assert ds.changes[-1].changes["price"] == ["1299.50", "8.80"]
    services.withdraw_product(services.products_of(ds)[0], actor=officer)
    db.session.commit()
    assert ds.price == Decimal("1299.50")


def test_open_data_cannot_be_priced(stripe_app, seller, make_dataset):
    open_ds = make_dataset("公交线路站点", department=seller["ds"].department, open_attribute="open")
    with pytest.raises(ValidationFailed) as exc:
        services.add_product(open_ds, actor=seller["officer"], kind="download", amount="10")
    assert exc.value.code == "open_data_is_free" and "免费" in exc.value.message


def test_product_page_panel_buy_and_cart_panel(stripe_app, seller, client, login, make_user):
    ds = seller["ds"]
    download = services.add_product(ds, actor=seller["officer"], kind="download", amount="99")
    sub = services.add_product(ds, actor=seller["officer"], kind="subscription", amount="199", period_days="90")
    db.session.commit()
    buyer = make_user("requester")
    login(buyer)
    page = client.get(f"/datasets/{ds.id}").get_data(as_text=True)
    assert "数据产品价格" in page and "¥99.00" in page and "订阅 90 天" in page and "选择并加入数据篮" in page
    assert "管理价格" not in page
    resp = client.post(f"/trading/datasets/{ds.id}/buy", data={"csrf_token": _token(page), "product_id": sub.id})
    assert resp.status_code == 302
    cart = client.get("/cart").get_data(as_text=True)
    assert "付费数据" in cart and "¥199.00" in cart and "应付合计" in cart
    # change the product from the cart
    client.post(f"/trading/datasets/{ds.id}/buy", data={"csrf_token": _token(cart), "product_id": download.id,
                                                         "next": "/cart"})
    assert services.product_for(buyer.id, ds).id == download.id
    req, _ = orders.submit_access_request(buyer, purpose="比对", period_days=30)
    db.session.commit()
    payment = db.session.scalar(select(Payment).where(Payment.request_id == req.id))
    assert payment.amount_fen == 9900 and payment.kind == "download"


def test_officer_and_operator_see_their_controls(stripe_app, seller, client, login, make_user):
    ds = seller["ds"]
    login(seller["officer"])
    page = client.get(f"/datasets/{ds.id}").get_data(as_text=True)
    assert "管理价格" in page and "尚未定价" in page
    resp = client.post(f"/trading/datasets/{ds.id}/products",
                       data={"csrf_token": _token(page), "kind": "download", "amount": "oops"})
    assert resp.status_code == 302
    assert "金额格式不对" in client.get(f"/datasets/{ds.id}").get_data(as_text=True)
    client.post(f"/trading/datasets/{ds.id}/products", data={"csrf_token": _token(page), "kind": "download",
                                                             "amount": "66"})
    assert [p.amount_fen for p in services.products_of(ds)] == [6600]
    assert client.post(f"/trading/datasets/{ds.id}/block",
                       data={"csrf_token": _token(page), "reason": "x"}).status_code == 403


def test_operator_block_makes_the_entry_follow_free_sharing(stripe_app, seller, make_user):
    ds = seller["ds"]
    services.add_product(ds, actor=seller["officer"], kind="download", amount="10")
    operator = make_user("operator")
    with pytest.raises(ValidationFailed):
        services.set_block(actor=operator, department=seller["dept"], reason="")
    services.set_block(actor=operator, department=seller["dept"], reason="价格待物价部门审核")
    db.session.commit()
    assert not services.trading_open(ds) and ds.price is None
    buyer = make_user("requester")
    orders.add_to_cart(buyer, ds.id)
    req, _ = orders.submit_access_request(buyer, purpose="监管", period_days=30)
    db.session.commit()
    assert req.lines[0].state == "granted" and db.session.scalar(select(Payment.id)) is None
    services.clear_block(actor=operator, department=seller["dept"])
    db.session.commit()
    assert services.trading_open(ds) and ds.price == Decimal("10.00")


def test_without_an_api_key_paid_products_are_off(app, seller, make_user, client, login):
    """MARKET_STRIPE_API_KEY unset (the default test app): no gate, the panel says so."""
    ds = seller["ds"]
    services.add_product(ds, actor=seller["officer"], kind="download", amount="10")
    db.session.commit()
    buyer = make_user("requester")
    login(buyer)
    assert "在线支付尚未开通" in client.get(f"/datasets/{ds.id}").get_data(as_text=True)
    orders.add_to_cart(buyer, ds.id)
    req, _ = orders.submit_access_request(buyer, purpose="监管", period_days=30)
    db.session.commit()
    assert req.lines[0].state == "granted"
    assert client.post("/api/v1/payments/webhook", data=b"{}").status_code == 409


def test_webhook_is_csrf_exempt_even_with_a_cookie(stripe_app, client, login, make_user, post_event):
    login(make_user("requester"))  # the client now carries a session cookie
    resp = post_event("evt_unrelated", "customer.created", {"id": "cus_1", "object": "customer"})
    assert resp.status_code == 200 and resp.get_json()["outcome"] == "ignored"
    assert "/api/v1/payments/webhook" in client.get("/api/v1/openapi.json").get_json()["paths"]


def test_demo_city_sells_the_catalog_demo_priced_entries(app, make_department, make_user, make_dataset):
    from catalog.demo.seed import SeedResult
    from trading.demo import seed_demo_extra

    dept = make_department()
    make_user("officer", department=dept)
    product = make_dataset("企业年报信息", department=dept, price=Decimal("880.00"), open_attribute="conditional")
    free = make_dataset("道路名录", department=dept)
    assert "Priced 1 demo" in seed_demo_extra(SeedResult(dataset_ids=[product.id, free.id]))
    db.session.commit()
    assert [(p.kind, p.amount_fen) for p in services.products_of(product)] == [
        ("download", 88000), ("api_calls", 88000), ("subscription", 176000)]
    assert product.price == Decimal("880.00") and free.price is None and not services.products_of(free)
    assert "Priced 0 demo" in seed_demo_extra(SeedResult(dataset_ids=[product.id]))  # once per entry


def test_operator_blocks_and_unblocks_from_the_product_page(stripe_app, seller, client, login, make_user):
    ds = seller["ds"]
    services.add_product(ds, actor=seller["officer"], kind="download", amount="10")
    db.session.commit()
    login(make_user("operator"))
    page = client.get(f"/datasets/{ds.id}").get_data(as_text=True)
    assert "交易管控" in page and "停用本部门全部目录的交易" in page
    resp = client.post(f"/trading/datasets/{ds.id}/block",
                       data={"csrf_token": _token(page), "reason": "价格核定中", "next": f"/datasets/{ds.id}"})
    assert resp.status_code == 302
    page = client.get(f"/datasets/{ds.id}").get_data(as_text=True)
    assert "平台已暂停该数据的交易：价格核定中" in page and "恢复该目录的交易" in page
    client.post(f"/trading/datasets/{ds.id}/block", data={"csrf_token": _token(page), "action": "unblock"})
    assert services.trading_open(ds)
