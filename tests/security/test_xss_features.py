"""Stored XSS probes in the user-text fields of the later packages: demands (text, "me too" purpose),
objections, reviews and the owner's reply, KB Markdown (sanitiser), notification subjects built from user
text, harvest source names and upload file names / cell values echoed by the data page. Every page that
shows the text must show it escaped; JSON answers must be served as JSON (never text/html)."""

from __future__ import annotations

import io

import pytest

from market.db import db
from tests.conftest import csrf_token

SCRIPT = "<script>alert(1)</script>"
ATTR = '"><img src=x onerror=alert(1)>'
RAW = ("<script>alert", "<img src=x onerror", '<a href="javascript:', "<iframe")


def page(client, url: str, *, shown: bool = True) -> str:
    resp = client.get(url)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200, (url, resp.status_code, html[:300])
    if resp.is_json:
        return html
    assert resp.mimetype == "text/html", url
    for raw in RAW:
        assert raw not in html, f"unescaped {raw!r} on {url}"
    if shown:  # the probe really is on the page, escaped: otherwise this test proves nothing
        assert "alert(1)" in html, f"probe not shown on {url}"
    return html


@pytest.fixture
def people(make_department, make_user, make_dataset):
    owner, other = make_department(), make_department()
    ds = make_dataset("公交到站数据", department=owner, open_attribute="open", share_attribute="unconditional")
    return {"ds": ds, "officer": make_user("officer", department=owner),
            "requester": make_user("requester", department=other),
            "other": make_user("requester", department=other), "operator": make_user("operator")}


def test_demand_text_me_too_purpose_and_notification_subject(client, login, people):
    from demands.services import create_demand, me_too

    demand = create_demand(people["requester"], {"title": SCRIPT + "需求", "description": ATTR, "purpose": SCRIPT,
                                                 "items": [ATTR]})
    me_too(demand, people["other"], ATTR + "也需要")
    db.session.commit()
    login(people["operator"])  # operators see every purpose, and were notified with the title as subject
    page(client, f"/demands/{demand.id}")
    page(client, "/demands")
    page(client, "/demands?q=" + "%3Cscript%3E", shown=False)
    page(client, "/notifications")
    assert client.get(f"/api/v1/demands/{demand.id}").mimetype == "application/json"


def test_demand_form_rerenders_refused_input_escaped(client, login, people):
    login(people["requester"])
    token = csrf_token(client, "/demands/new")
    resp = client.post("/demands/new", data={"csrf_token": token, "title": SCRIPT, "purpose": "", "items": ATTR})
    html = resp.get_data(as_text=True)
    assert resp.status_code in (200, 422), resp.status_code
    for raw in RAW:
        assert raw not in html


def test_objection_text(client, login, people):
    from demands.objections import create_objection

    obj = create_objection(people["requester"], {"dataset_id": people["ds"].id, "kind": "inconsistent",
                                                 "description": SCRIPT, "other_source": ATTR})
    db.session.commit()
    login(people["officer"])
    page(client, f"/objections/{obj.id}")
    page(client, "/objections", shown=False)
    page(client, "/notifications", shown=False)


def test_review_text_and_owner_reply(client, login, people):
    from ratings.models import Review
    from ratings.services import reply_review, report_review

    review = Review(dataset_id=people["ds"].id, user_id=people["requester"].id, overall=2, text=SCRIPT + ATTR)
    db.session.add(review)
    db.session.flush()
    reply_review(review, user=people["officer"], text=ATTR + "已改进")
    report_review(review, user=people["other"], reason=SCRIPT)
    db.session.commit()
    html = page(client, f"/datasets/{people['ds'].id}")
    assert "已改进" in html
    login(people["operator"])
    page(client, "/ratings/reports")


def test_kb_markdown_goes_through_the_sanitiser(client, login, people):
    from kb.services import save_article, set_published

    body = (f"# 标题\n\n{SCRIPT}\n\n<img src=x onerror=alert(1)>\n\n[点我](javascript:alert(1))\n\n"
            "<a href=\"javascript:alert(1)\">链接</a>\n\n<iframe src=\"https://evil.example\"></iframe>\n\n**正文**")
    art = save_article(None, {"title": "安全测试" + ATTR, "kind": "guide", "summary": SCRIPT, "body": body},
                       actor=people["operator"])
    set_published(art, True, actor=people["operator"])
    db.session.commit()
    html = page(client, f"/kb/{art.id}")
    assert "<strong>正文</strong>" in html  # Markdown still renders
    page(client, "/kb")


def test_harvest_source_names_are_escaped(client, login, people):
    login(people["operator"])
    token = csrf_token(client, "/harvest/sources")
    client.post("/harvest/sources", data={"csrf_token": token, "kind": "ckan", "url": "https://example.org/" + ATTR,
                                          "organization": SCRIPT, "interval": "60"})
    # whether saved or refused, the page shows the text (flash or table) escaped
    html = client.get("/harvest/sources").get_data(as_text=True)
    for raw in RAW:
        assert raw not in html


def test_upload_file_name_and_cell_values_in_the_error_report(client, login, people):
    login(people["officer"])
    url = f"/datasets/{people['ds'].id}/data"
    token = csrf_token(client, url)
    csv = f"名称,数量\n{SCRIPT},{ATTR}\n".encode()
    resp = client.post(url, data={"csrf_token": token, "mode": "replace",
                                  "file": (io.BytesIO(csv), SCRIPT + ".exe")}, content_type="multipart/form-data")
    html = resp.get_data(as_text=True)
    assert resp.status_code in (200, 302, 400, 422), resp.status_code
    for raw in RAW:
        assert raw not in html
    html = client.get(url).get_data(as_text=True)
    for raw in RAW:
        assert raw not in html


@pytest.mark.parametrize("url", ["/demands?q={p}", "/kb?q={p}", "/objections?q={p}", "/datasets?q={p}&sort={p}",
                                 "/dashboard?period={p}&department={p}", "/bundles?q={p}", "/rules/terms?q={p}"])
def test_reflected_probes_in_new_pages(client, login, people, url):
    from urllib.parse import quote

    login(people["operator"])
    resp = client.get(url.format(p=quote(SCRIPT + ATTR)))
    assert resp.status_code < 500
    html = resp.get_data(as_text=True)
    for raw in RAW:
        assert raw not in html


def test_rules_library_terms_and_reasons(client, login, people):
    login(people["operator"])
    token = csrf_token(client, "/rules/synonyms")
    resp = client.post("/rules/synonyms", data={"csrf_token": token, "term": "公交" + SCRIPT, "synonym": ATTR,
                                                "reason": SCRIPT + "因为乘客这样搜索"})
    html = resp.get_data(as_text=True)
    for raw in RAW:  # saved (redirect) or refused (the form comes back with the input)
        assert raw not in html
    page(client, "/rules/synonyms?q=" + "%E5%85%AC%E4%BA%A4", shown=resp.status_code == 302)
    history = client.get("/rules/synonyms/history")
    assert history.status_code in (200, 404)
    for raw in RAW:
        assert raw not in history.get_data(as_text=True)
    # a refused change re-renders the reason escaped
    resp = client.post("/rules/synonyms", data={"csrf_token": token, "term": "", "synonym": "", "reason": SCRIPT})
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    assert "alert(1)" in html and all(raw not in html for raw in RAW)


def test_trading_receipt_shows_user_text_escaped(client, login, people, make_dataset):
    import datetime

    from orders.services import add_to_cart, submit_access_request
    from trading.models import LedgerEntry, Payment

    ds = make_dataset(SCRIPT + "收费数据", department=people["ds"].department, open_attribute="closed")
    buyer = people["requester"]
    buyer.display_name = ATTR
    add_to_cart(buyer, ds.id)
    req, _created = submit_access_request(buyer, purpose=SCRIPT + "购买用途", period_days=30)
    line = req.lines[0]
    pay = Payment(line_id=line.id, request_id=req.id, buyer_id=buyer.id, department_id=ds.department_id,
                  dataset_id=ds.id, kind="download", amount_fen=1000, provider="stripe", intent_id="pi_" + "x" * 8,
                  status="succeeded", message=ATTR, expires_at=datetime.datetime(2099, 1, 1),
                  paid_at=datetime.datetime(2026, 11, 1))
    db.session.add(pay)
    db.session.flush()
    db.session.add(LedgerEntry(payment_id=pay.id, request_id=req.id, line_id=line.id, buyer_id=buyer.id,
                               department_id=ds.department_id, kind="charge", amount_fen=1000, currency="cny",
                               provider="stripe", provider_ref="ch_" + "y" * 8, note=SCRIPT))
    db.session.commit()
    login(buyer)
    page(client, f"/trading/payments/{pay.id}/receipt")
    page(client, "/trading/ledger", shown=False)
    client.post("/logout", data={"csrf_token": csrf_token(client)})
    login(people["officer"])
    page(client, f"/trading/payments/{pay.id}/receipt")
