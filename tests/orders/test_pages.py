"""The cart, checkout, request and inbox pages, used through their real forms (with CSRF tokens)."""

import re

from tests.conftest import csrf_token


def _form_token(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def test_add_to_cart_form_choose_items_and_see_outcomes(client, login, shop):
    d = shop["data"]
    login(shop["users"]["requester"])
    token = csrf_token(client, "/cart")
    resp = client.post("/cart/items", data={"csrf_token": token, "dataset_id": d["sensitive2"].id,
                                            "next": f"/datasets/{d['sensitive2'].id}"})
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/datasets/{d['sensitive2'].id}")
    client.post("/cart/items", data={"csrf_token": token, "dataset_id": d["conditional3"].id})
    refused = client.post("/cart/items", data={"csrf_token": token, "dataset_id": d["none"].id},
                          follow_redirects=True)
    assert "不予共享" in refused.get_data(as_text=True)
    html = client.get("/cart").get_data(as_text=True)
    assert "需数源部门及大数据管理局审批" in html and "有条件三级数据" in html
    assert html.count('name="fields"') >= 4 and "不予共享数据" not in html
    # untick the sensitive item: the route drops the platform step
    client.post("/cart/items", data={"csrf_token": token, "dataset_id": d["sensitive2"].id,
                                     "choose_fields": "1", "fields": ["姓名"]})
    html = client.get("/cart").get_data(as_text=True)
    assert "需数源部门审批" in html
    nothing = client.post("/cart/items", data={"csrf_token": token, "dataset_id": d["sensitive2"].id,
                                               "choose_fields": "1"}, follow_redirects=True)
    assert "请至少选择一个信息项" in nothing.get_data(as_text=True)
    client.post(f"/cart/items/{d['conditional3'].id}/remove", data={"csrf_token": token})
    assert f'id="cart-{d["conditional3"].id}"' not in client.get("/cart").get_data(as_text=True)


def test_checkout_form_shows_inline_errors_then_submits_once(client, login, shop):
    login(shop["users"]["requester"])
    token = csrf_token(client, "/cart")
    client.post("/cart/items", data={"csrf_token": token, "dataset_id": shop["data"]["conditional2"].id})
    page = client.get("/checkout").get_data(as_text=True)
    version = re.search(r'name="cart_version" value="(\d+)"', page).group(1)
    bad = client.post("/checkout", data={"csrf_token": token, "purpose": "短", "period_days": "abc",
                                         "cart_version": version})
    html = bad.get_data(as_text=True)
    assert bad.status_code == 422
    assert 'id="purpose-error"' in html and 'id="period_days-error"' in html and 'aria-invalid="true"' in html
    form = {"csrf_token": token, "purpose": "用于低保资格复核", "period_days": "60", "legal_basis": "",
            "cart_version": version}
    first = client.post("/checkout", data=form)
    second = client.post("/checkout", data=form)
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    detail = client.get(first.headers["Location"]).get_data(as_text=True)
    assert "用于低保资格复核" in detail and "数源部门审批" in detail and "提交申请" in detail
    mine = client.get("/requests").get_data(as_text=True)
    assert mine.count("申请 #") == 1


def test_officer_decides_from_the_page_and_batch_rejects_need_a_reason(client, login, shop):
    from orders import services

    u, d = shop["users"], shop["data"]
    services.add_to_cart(u["requester"], d["conditional2"].id)
    services.add_to_cart(u["requester"], d["sensitive2"].id)
    req, _ = services.submit_access_request(u["requester"], purpose="用于资格核验", period_days=30)
    from market.db import db

    db.session.commit()
    login(u["officer"])
    inbox = client.get("/approvals").get_data(as_text=True)
    assert "有条件二级数据" in inbox and "含敏感项二级数据" in inbox
    token = _form_token(inbox)
    ids = [str(ln.id) for ln in req.lines]
    resp = client.post("/approvals/batch", data={"csrf_token": token, "decision": "reject", "line_ids": ids},
                       follow_redirects=True)
    assert "驳回原因" in resp.get_data(as_text=True)
    detail = client.get(f"/requests/{req.id}").get_data(as_text=True)
    assert detail.count('value="approve"') == 2
    resp = client.post(f"/requests/{req.id}/lines/{ids[0]}/decision",
                       data={"csrf_token": token, "decision": "approve", "comment": "同意",
                             "choose_fields": "1", "fields": ["姓名"]}, follow_redirects=True)
    html = resp.get_data(as_text=True)
    assert "已记录您的审批意见" in html and "已授权" in html
    resp = client.post("/approvals/batch", data={"csrf_token": token, "decision": "approve", "comment": "",
                                                 "line_ids": ids}, follow_redirects=True)
    html = resp.get_data(as_text=True)
    assert "已处理 1 条" in html and f"明细 {ids[0]} 未处理" in html
    assert "没有等待您审批的申请" in client.get("/approvals").get_data(as_text=True)


def test_product_page_add_to_cart_and_header_count(client, login, shop):
    d = shop["data"]
    login(shop["users"]["requester"])
    page = client.get(f"/datasets/{d['conditional2'].id}").get_data(as_text=True)
    assert 'action="/cart/items"' in page and f'name="dataset_id" value="{d["conditional2"].id}"' in page
    assert 'class="nav-badge count">0</span>' in page
    client.post("/cart/items", data={"csrf_token": _form_token(page), "dataset_id": d["conditional2"].id})
    assert ">1</span>" in client.get("/cart").get_data(as_text=True)
    refused = client.get(f"/datasets/{d['none'].id}").get_data(as_text=True)
    assert 'action="/cart/items"' not in refused and "不予共享" in refused


def test_adding_says_added_then_updated(client, login, make_user, make_dataset, make_department):
    from tests.conftest import csrf_token

    owner = make_department()
    ds = make_dataset("企业登记信息", department=owner, share_attribute="conditional")
    login(make_user("requester"))
    form = {"csrf_token": csrf_token(client, f"/datasets/{ds.id}"), "dataset_id": str(ds.id),
            "choose_fields": "1", "fields": ["姓名"], "next": f"/datasets/{ds.id}"}
    first = client.post("/cart/items", data=form, follow_redirects=True).get_data(as_text=True)
    assert "已加入数据篮" in first
    again = client.post("/cart/items", data=form, follow_redirects=True).get_data(as_text=True)
    assert "已更新数据篮" in again
