"""Journeys against a real Stripe-API server (localstripe): pay → grant, decline, webhooks (duplicate, replayed,
out of order, forged), refunds, expiry, the ledger and reconciliation."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

import market.cli
from audit.models import AuditEvent
from market.db import db, utcnow
from market.errors import Conflict, Forbidden, ValidationFailed
from notify.models import Notification
from orders import decisions
from orders import services as orders
from orders.models import Grant, RequestLine
from trading import services
from trading.models import LedgerAppendOnly, LedgerEntry, Payment
from trading.providers import get_provider


@pytest.fixture
def shop(stripe_app, make_department, make_user, make_dataset):
    """A seller department with an officer, a paid entry (¥199.00 download, ¥299.00 for 30 days), a free entry,
    and a buyer from another department."""
    seller = make_department(name="市数据局")
    officer = make_user("officer", department=seller)
    paid = make_dataset("企业登记信息", department=seller, share_attribute="unconditional", open_attribute="conditional")
    free = make_dataset("公共图书馆名录", department=seller, share_attribute="unconditional")
    approval = make_dataset("不动产登记信息", department=seller, share_attribute="conditional", open_attribute="conditional",
                            items=[("坐落", False), ("面积", False)])  # owner approval only
    download = services.add_product(paid, actor=officer, kind="download", amount="199.00")
    services.add_product(paid, actor=officer, kind="subscription", amount="299", period_days="30")
    services.add_product(approval, actor=officer, kind="api_calls", amount="12.34", calls="1000")
    buyer = make_user("requester")
    db.session.commit()
    return {"seller": seller, "officer": officer, "paid": paid, "free": free, "approval": approval,
            "download": download, "buyer": buyer}


def _checkout(user, *datasets, choose=None):
    for ds in datasets:
        orders.add_to_cart(user, ds.id)
    if choose is not None:
        services.choose_product(user, choose[0], choose[1].id)
    req, _created = orders.submit_access_request(user, purpose="企业征信核验", period_days=90)
    db.session.commit()
    return req


def _line(req, ds) -> RequestLine:
    return next(ln for ln in req.lines if ln.dataset_id == ds.id)


def _pay(payment, user, method="pm_card_visa"):
    services.pay(payment, user=user, payment_method=method)
    db.session.commit()
    return payment


def _balance(payment_id=None) -> int:
    stmt = select(func.coalesce(func.sum(LedgerEntry.amount_fen), 0))
    if payment_id is not None:
        stmt = stmt.where(LedgerEntry.payment_id == payment_id)
    return db.session.scalar(stmt)


def _grants(line_id) -> int:
    return db.session.scalar(select(func.count()).select_from(Grant).where(Grant.line_id == line_id))


def _paid_at_provider(shop, key: str, amount: int = 19900):
    """A paid line whose buyer paid on the provider's side (e.g. a hosted page): (line, payment, intent)."""
    req = _checkout(shop["buyer"], shop["paid"])
    line = _line(req, shop["paid"])
    payment = services.payment_for_line(line.id)
    intent = get_provider().pay(amount=amount, currency="cny", payment_method="pm_card_visa",
                                metadata={"market_payment": str(payment.id)}, idempotency_key=key)
    return line, payment, intent


def _reconcile(runner):
    return runner.invoke(market.cli.cli, ["payments", "reconcile"])


def test_free_and_paid_lines_share_a_cart_and_the_paid_one_is_granted_only_after_payment(shop, client, login, runner):
    buyer = shop["buyer"]
    req = _checkout(buyer, shop["paid"], shop["free"], choose=(shop["paid"], shop["download"]))
    free_line, paid_line = _line(req, shop["free"]), _line(req, shop["paid"])
    assert free_line.state == "granted"  # the free entry follows the sharing rules
    assert paid_line.state == "payment_pending" and paid_line.grant is None
    payment = services.payment_for_line(paid_line.id)
    assert (payment.amount_fen, payment.kind, payment.status) == (19900, "download", "due")

    login(buyer)
    page = client.get(f"/requests/{req.id}").get_data(as_text=True)
    assert "¥199.00" in page and "待支付" in page and "pm_card_visa" in page

    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    resp = client.post(f"/trading/payments/{payment.id}/pay", data={"csrf_token": token, "payment_method": "pm_card_visa"})
    assert resp.status_code == 302
    db.session.expire_all()
    assert paid_line.state == "granted" and _grants(paid_line.id) == 1
    assert payment.status == "succeeded" and payment.intent_id.startswith("pi_")
    assert get_provider().retrieve(payment.intent_id).status == "succeeded"  # the money really moved
    assert _balance(payment.id) == 19900
    page = client.get(f"/requests/{req.id}").get_data(as_text=True)
    assert "已授权" in page and "查看收据" in page
    receipt = client.get(f"/trading/payments/{payment.id}/receipt").get_data(as_text=True)
    assert "¥199.00" in receipt and payment.intent_id in receipt
    csv = client.get(f"/trading/payments/{payment.id}/receipt.csv").get_data(as_text=True)
    assert "199.00" in csv and payment.intent_id in csv
    kinds = set(db.session.scalars(select(Notification.kind).where(Notification.user_id == buyer.id)))
    assert {"payment.due", "payment.succeeded"} <= kinds
    actions = set(db.session.scalars(select(AuditEvent.action).where(AuditEvent.object_type == "payment")))
    assert {"payment.due", "payment.attempted", "ledger.charge", "payment.succeeded"} <= actions
    assert _reconcile(runner).exit_code == 0


def test_approval_first_then_payment_with_the_chosen_product(shop, client, login):
    buyer, ds = shop["buyer"], shop["approval"]
    req = _checkout(buyer, ds)
    line = _line(req, ds)
    assert line.state == "waiting" and services.payment_for_line(line.id) is None
    login(buyer)
    page = client.get(f"/requests/{req.id}").get_data(as_text=True)
    assert "审批中，通过后付款" in page and "¥12.34" in page
    decisions.decide_line(line, approver=shop["officer"], decision="approve")
    db.session.commit()
    assert line.state == "payment_pending"
    payment = services.payment_for_line(line.id)
    assert (payment.kind, payment.calls, payment.amount_fen) == ("api_calls", 1000, 1234)
    _pay(payment, buyer)
    assert line.state == "granted" and services.api_call_allowance(line.grant) == 1000


def test_subscription_grant_lasts_the_period_bought(shop):
    buyer, ds = shop["buyer"], shop["paid"]
    subscription = next(p for p in services.products_of(ds) if p.kind == "subscription")
    req = _checkout(buyer, ds, choose=(ds, subscription))
    payment = services.payment_for_line(_line(req, ds).id)
    assert payment.amount_fen == 29900
    _pay(payment, buyer)
    grant = _line(req, ds).grant
    assert grant.expires_at - grant.granted_at == timedelta(days=30)


def test_declined_card_grants_nothing_and_says_why_then_a_retry_succeeds(shop, client, login, runner):
    buyer = shop["buyer"]
    req = _checkout(buyer, shop["paid"])
    line = _line(req, shop["paid"])
    payment = services.payment_for_line(line.id)
    _pay(payment, buyer, "pm_card_chargeCustomerFail")
    assert payment.status == "failed" and line.state == "payment_pending" and _grants(line.id) == 0
    assert "declined" in payment.message and "未扣款" in payment.message
    assert _balance() == 0
    login(buyer)
    page = client.get(f"/requests/{req.id}").get_data(as_text=True)
    assert "支付失败" in page and "declined" in page and "支付 ¥199.00" in page  # can try again
    first = payment.intent_id
    _pay(payment, buyer, "pm_card_chargeCustomerFail")  # declined again: a new attempt, failed again
    assert payment.status == "failed" and payment.intent_id != first and payment.attempts == 2
    _pay(payment, buyer)
    assert payment.status == "succeeded" and payment.intent_id != first and line.state == "granted"
    assert payment.attempts == 3 and _balance() == 19900
    assert _reconcile(runner).exit_code == 0


def test_webhooks_duplicate_and_replayed_make_one_grant(shop, post_event):
    """The buyer paid on the provider's side (e.g. a hosted page); the webhook brings the news."""
    line, payment, intent = _paid_at_provider(shop, "hosted-1")
    obj = {"id": intent.id, "object": "payment_intent", "status": "succeeded"}

    resp = post_event("evt_1", "payment_intent.succeeded", obj)
    assert resp.status_code == 200 and resp.get_json()["outcome"] == "charged"
    assert post_event("evt_1", "payment_intent.succeeded", obj).get_json()["outcome"] == "duplicate"
    # the same news under another event id (Stripe sends charge.succeeded too)
    charge_obj = {"id": "ch_x", "object": "charge", "payment_intent": intent.id}
    assert post_event("evt_2", "charge.succeeded", charge_obj).get_json()["outcome"] == "unchanged"
    db.session.expire_all()
    assert line.state == "granted" and _grants(line.id) == 1
    assert db.session.scalar(select(func.count()).select_from(LedgerEntry)) == 1
    assert payment.intent_id == intent.id and payment.status == "succeeded"


def test_forged_or_stale_webhooks_are_refused_and_change_nothing(shop, post_event, client):
    line, _payment, intent = _paid_at_provider(shop, "hosted-2")
    obj = {"id": intent.id, "object": "payment_intent"}
    forged = post_event("evt_forged", "payment_intent.succeeded", obj, secret="whsec_someone_else")
    assert forged.status_code == 400 and forged.get_json()["error"]["code"] == "bad_signature"
    stale = post_event("evt_stale", "payment_intent.succeeded", obj, timestamp=int(utcnow().timestamp()) - 3600)
    assert stale.status_code == 400
    unsigned = client.post("/api/v1/payments/webhook", data=b"{}", content_type="application/json")
    assert unsigned.status_code == 400
    db.session.expire_all()
    assert line.state == "payment_pending" and _grants(line.id) == 0 and _balance() == 0
    # a genuine event with the same id as a refused one still counts (refusals are not recorded)
    assert post_event("evt_forged", "payment_intent.succeeded", obj).get_json()["outcome"] == "charged"


def test_events_out_of_order_refund_seen_before_success(shop, post_event, runner):
    line, payment, intent = _paid_at_provider(shop, "hosted-3")
    refund = get_provider().refund(intent.id, None, idempotency_key="dash-refund")
    # the refund event arrives first, the success event last
    out = post_event("evt_r", "charge.refunded", {"id": "ch_y", "object": "charge", "payment_intent": intent.id})
    assert out.status_code == 200
    late = post_event("evt_s", "payment_intent.succeeded", {"id": intent.id, "object": "payment_intent"})
    assert late.get_json()["outcome"] == "unchanged"
    db.session.expire_all()
    assert payment.status == "refunded" and line.state == "revoked"
    assert [e.kind for e in payment.entries] == ["charge", "refund"] and _balance(payment.id) == 0
    assert payment.entries[1].provider_ref == refund.id
    assert _reconcile(runner).exit_code == 0


def test_full_refund_revokes_the_grant_and_balances_the_ledger(shop, client, login, runner):
    buyer, officer = shop["buyer"], shop["officer"]
    req = _checkout(buyer, shop["paid"])
    line = _line(req, shop["paid"])
    payment = _pay(services.payment_for_line(line.id), buyer)
    with pytest.raises(Forbidden, match="退款"):
        services.refund(payment, actor=buyer, reason="想退")
    db.session.rollback()
    login(officer)
    page = client.get(f"/trading/payments/{payment.id}/receipt").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    resp = client.post(f"/trading/payments/{payment.id}/refund", data={"csrf_token": token, "reason": "数据有误"})
    assert resp.status_code == 302
    db.session.expire_all()
    assert payment.status == "refunded" and payment.refunded_fen == 19900
    assert line.state == "revoked" and _balance(payment.id) == 0
    assert get_provider().retrieve(payment.intent_id).refunded == 19900
    events = set(db.session.scalars(select(AuditEvent.action)))
    assert {"ledger.refund", "payment.refunded", "grant.revoked", "payment.refund_requested"} <= events
    assert _reconcile(runner).exit_code == 0


def test_partial_refund_is_recorded_and_the_grant_kept(shop, runner):
    buyer = shop["buyer"]
    req = _checkout(buyer, shop["paid"])
    line = _line(req, shop["paid"])
    payment = _pay(services.payment_for_line(line.id), buyer)
    services.refund(payment, actor=shop["officer"], amount="50.00", reason="部分字段缺失")
    db.session.commit()
    assert payment.status == "partially_refunded" and payment.refunded_fen == 5000
    assert line.state == "granted" and _balance(payment.id) == 14900
    with pytest.raises(ValidationFailed, match="可退金额 ¥149.00"):
        services.refund(payment, actor=shop["officer"], amount="200", reason="太多")
    db.session.rollback()
    services.refund(payment, actor=shop["officer"], reason="余款也退")  # the rest: now full → revoked
    db.session.commit()
    assert payment.status == "refunded" and line.state == "revoked" and _balance(payment.id) == 0
    assert _reconcile(runner).exit_code == 0


def test_abandoned_payment_expires_and_releases_the_line(shop, runner, client, login):
    buyer = shop["buyer"]
    req = _checkout(buyer, shop["paid"])
    line = _line(req, shop["paid"])
    payment = services.payment_for_line(line.id)
    _pay(payment, buyer, "pm_card_chargeCustomerFail")  # tried once, then walked away
    payment.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    from jobs import periodic_jobs

    assert "trading.expire" in {j.name for j in periodic_jobs()}  # the same, every 15 minutes
    result = runner.invoke(market.cli.cli, ["payments", "expire"])
    assert result.exit_code == 0 and "1 unpaid" in result.output
    db.session.expire_all()
    assert payment.status == "expired" and line.state == "expired" and _grants(line.id) == 0
    with pytest.raises(Conflict, match="无需支付"):
        services.pay(payment, user=buyer, payment_method="pm_card_visa")
    db.session.rollback()
    login(buyer)
    assert "付款期限已过" in client.get(f"/requests/{req.id}").get_data(as_text=True)


def test_a_payment_that_succeeds_after_the_line_closed_is_refunded_not_granted(shop, post_event, runner):
    buyer = shop["buyer"]
    req = _checkout(buyer, shop["paid"])
    line = _line(req, shop["paid"])
    payment = services.payment_for_line(line.id)
    services.cancel_payment(payment, user=buyer)
    db.session.commit()
    assert line.state == "withdrawn" and payment.status == "canceled"
    intent = get_provider().pay(amount=19900, currency="cny", payment_method="pm_card_visa",
                                metadata={"market_payment": str(payment.id)}, idempotency_key="late-1")
    post_event("evt_late", "payment_intent.succeeded", {"id": intent.id, "object": "payment_intent"})
    db.session.expire_all()
    assert line.state == "withdrawn" and _grants(line.id) == 0
    assert payment.status == "refunded" and _balance(payment.id) == 0
    assert get_provider().retrieve(intent.id).refunded == 19900
    assert _reconcile(runner).exit_code == 0


def test_reconcile_reports_injected_mismatches(shop, runner):
    buyer = shop["buyer"]
    req = _checkout(buyer, shop["paid"])
    payment = _pay(services.payment_for_line(_line(req, shop["paid"]).id), buyer)
    assert _reconcile(runner).exit_code == 0
    # 1. money at the provider that our ledger does not know
    stray = get_provider().pay(amount=700, currency="cny", payment_method="pm_card_visa",
                               metadata={"market_payment": "999999"}, idempotency_key="stray")
    # 2. a ledger amount that differs from the provider's (written behind the ORM's back)
    db.session.execute(update(LedgerEntry).where(LedgerEntry.payment_id == payment.id).values(amount_fen=19800)
                       .execution_options(synchronize_session=False))
    db.session.commit()
    result = _reconcile(runner)
    assert result.exit_code == 1
    assert "missing_charge" in result.output and stray.id in result.output
    assert "amount" in result.output and "2 difference(s)" in result.output
    # 3. a granted paid line whose payment is not (or no longer) paid
    db.session.execute(update(Payment).where(Payment.id == payment.id).values(refunded_fen=19900)
                       .execution_options(synchronize_session=False))
    db.session.commit()
    assert "grant_without_payment" in _reconcile(runner).output


def test_the_ledger_is_append_only(shop):
    buyer = shop["buyer"]
    req = _checkout(buyer, shop["paid"])
    payment = _pay(services.payment_for_line(_line(req, shop["paid"]).id), buyer)
    entry = payment.entries[0]
    entry.amount_fen = 1
    with pytest.raises(LedgerAppendOnly):
        db.session.flush()
    db.session.rollback()
    with pytest.raises(LedgerAppendOnly):
        db.session.delete(db.session.get(LedgerEntry, entry.id))
        db.session.flush()
    db.session.rollback()


def test_ledger_pages_are_scoped(shop, client, login, make_user, runner):
    buyer = shop["buyer"]
    req = _checkout(buyer, shop["paid"])
    payment = _pay(services.payment_for_line(_line(req, shop["paid"]).id), buyer)
    login(buyer)
    mine = client.get("/trading/ledger").get_data(as_text=True)
    assert "¥199.00" in mine and "我的购买记录" in mine
    assert "199.00" in client.get("/trading/ledger.csv").get_data(as_text=True)
    client.post("/logout", data={"csrf_token": re.search(r'name="csrf-token" content="([^"]+)"', mine).group(1)})
    stranger = make_user("requester")
    login(stranger)
    assert "还没有交易记录" in client.get("/trading/ledger").get_data(as_text=True)
    assert client.get(f"/trading/payments/{payment.id}/receipt").status_code == 404
    client.post("/logout", data={"csrf_token": re.search(r'name="csrf-token" content="([^"]+)"',
                                                         client.get("/").get_data(as_text=True)).group(1)})
    login(shop["officer"])
    revenue = client.get("/trading/ledger").get_data(as_text=True)
    assert "市数据局" in revenue and "¥199.00" in revenue
    assert client.get(f"/trading/ledger?department={shop['seller'].id + 1000}").status_code == 403


def test_json_api_pay_decline_refund(shop, client, api_token, make_user):
    buyer, officer = shop["buyer"], shop["officer"]
    req = _checkout(buyer, shop["paid"])
    payment = services.payment_for_line(_line(req, shop["paid"]).id)
    headers = api_token(buyer)
    products = client.get(f"/api/v1/datasets/{shop['paid'].id}/products").get_json()
    assert products["on_sale"] and [p["amount"] for p in products["items"]] == ["¥199.00", "¥299.00"]
    mine = client.get("/api/v1/payments", headers=headers).get_json()["items"]
    assert [(p["id"], p["status"], p["amount_fen"]) for p in mine] == [(payment.id, "due", 19900)]
    bad = client.post(f"/api/v1/payments/{payment.id}/pay", json={}, headers=headers)
    assert bad.status_code == 422 and "payment_method" in bad.get_json()["error"]["fields"]
    declined = client.post(f"/api/v1/payments/{payment.id}/pay", json={"payment_method": "pm_card_chargeCustomerFail"},
                           headers=headers).get_json()
    assert declined["status"] == "failed" and "declined" in declined["message"]
    paid = client.post(f"/api/v1/payments/{payment.id}/pay", json={"payment_method": "pm_card_visa"},
                       headers=headers).get_json()
    assert paid["status"] == "succeeded" and paid["ledger"][0]["amount_fen"] == 19900
    again = client.post(f"/api/v1/payments/{payment.id}/pay", json={"payment_method": "pm_card_visa"}, headers=headers)
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "not_payable"
    assert client.post(f"/api/v1/payments/{payment.id}/refund", json={"reason": "x"},
                       headers=headers).status_code == 403
    refunded = client.post(f"/api/v1/payments/{payment.id}/refund", json={"amount": "9.00", "reason": "少了一个字段"},
                           headers=api_token(officer)).get_json()
    assert refunded["status"] == "partially_refunded" and refunded["refunded_fen"] == 900
    assert client.get(f"/api/v1/payments/{payment.id}", headers=headers).get_json()["refunded_fen"] == 900
    stranger = api_token(make_user("requester"))
    assert client.get(f"/api/v1/payments/{payment.id}", headers=stranger).status_code == 404
    assert client.get("/api/v1/payments", headers=stranger).get_json()["items"] == []


def test_an_event_about_a_payment_we_do_not_know_is_recorded_once(shop, post_event):
    stray = get_provider().pay(amount=500, currency="cny", payment_method="pm_card_visa", metadata={},
                               idempotency_key="not-ours")
    obj = {"id": stray.id, "object": "payment_intent"}
    assert post_event("evt_x", "payment_intent.succeeded", obj).get_json()["outcome"] == "unknown_payment"
    assert post_event("evt_x", "payment_intent.succeeded", obj).get_json()["outcome"] == "duplicate"
    assert _balance() == 0 and db.session.scalar(select(func.count()).select_from(Grant)) == 0
