"""Public applicants: enterprises (verified by an operator) and citizens apply for conditional-open
entries through the cart and the owning department's approval."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from market.db import db
from opendata.applicants import submit_identity, uscc_check_char, uscc_problem
from opendata.models import PublicApplicant
from orders.models import AccessRequest
from tests.conftest import csrf_token

BODY = "91320200MA1MXY812"  # 17 characters; the 18th is the check character
USCC = BODY + uscc_check_char(BODY)


def test_uscc_format_and_check_digit():
    assert uscc_problem("91350100M000100Y43") is None  # a published real-world code (GB 32100 example)
    assert uscc_problem(USCC) is None
    wrong = USCC[:17] + ("0" if USCC[17] != "0" else "1")
    assert "校验位" in uscc_problem(wrong)
    assert "18 位" in uscc_problem(USCC[:17])
    assert "不能含" in uscc_problem("91320200MA1MXY81I" + "0")
    assert "行政区划" in uscc_problem("91A20200MA1MXY812" + "0")


@pytest.fixture
def market(make_department, make_dataset, make_user):
    owner = make_department(code="MKT", name="市市场监管局")
    officer = make_user("officer", department=owner)
    entries = {
        "conditional": make_dataset("企业年报", department=owner, open_attribute="conditional",
                                    share_attribute="unconditional"),
        "conditional_not_shared": make_dataset("企业信用评价", department=owner, open_attribute="conditional",
                                               share_attribute="none"),
        "open": make_dataset("市场主体名录", department=owner, open_attribute="open"),
        "closed": make_dataset("行政处罚明细", department=owner, open_attribute="closed"),
        "none": make_dataset("不予共享目录", department=owner, open_attribute="closed", share_attribute="none"),
    }
    return owner, officer, entries


def _apply(client, headers, dataset, purpose="用于企业经营分析与选址"):
    added = client.post("/api/v1/cart/items", json={"dataset_id": dataset.id}, headers=headers)
    assert added.status_code == 201, added.get_json()
    return client.post("/api/v1/requests", json={"purpose": purpose, "period_days": 90}, headers=headers)


def test_verified_enterprise_applies_and_the_owner_grants(client, app, make_user, api_token, market):
    owner, officer, entries = market
    enterprise = make_user("public")
    operator = make_user("operator")
    submit_identity(enterprise, kind="enterprise", name="无锡示例科技有限公司", uscc=USCC)
    db.session.commit()
    ent_headers = api_token(enterprise)

    client.post("/api/v1/cart/items", json={"dataset_id": entries["conditional"].id}, headers=ent_headers)
    pending = client.post("/api/v1/requests", json={"purpose": "用于企业经营分析", "period_days": 90},
                          headers=ent_headers)
    assert pending.status_code == 403
    assert "等待平台核验" in pending.get_json()["error"]["message"]

    from opendata.applicants import decide

    applicant = db.session.scalar(select(PublicApplicant))
    decide(applicant.id, verified=True, actor=operator)
    db.session.commit()

    submitted = client.post("/api/v1/requests", json={"purpose": "用于企业经营分析", "period_days": 90},
                            headers=ent_headers)
    assert submitted.status_code == 201, submitted.get_json()
    body = submitted.get_json()
    req = db.session.get(AccessRequest, body["id"])
    assert req.department_id is None and [o.department_id for o in req.orders] == [owner.id]
    [line] = body["lines"]
    assert line["state"] == "waiting"

    # the owning department's officer decides (share attribute "unconditional" is for departments only)
    inbox = client.get("/api/v1/approvals", headers=api_token(officer)).get_json()
    assert any(item["id"] == line["id"] or item.get("line_id") == line["id"] for item in inbox["items"])
    decided = client.post(f"/api/v1/requests/{req.id}/lines/{line['id']}/decision",
                          json={"decision": "approve"}, headers=api_token(officer))
    assert decided.status_code == 200, decided.get_json()
    # the officer sees who applies: the enterprise and its code, on the request page
    officer_client = app.test_client()
    _login(officer_client, officer)
    page = officer_client.get(f"/requests/{req.id}").get_data(as_text=True)
    assert "社会公众申请人" in page and USCC in page and "已由平台核验" in page
    grants = client.get("/api/v1/grants", headers=ent_headers).get_json()["items"]
    assert [(g["dataset_id"], g["state"]) for g in grants] == [(entries["conditional"].id, "granted")]

    # conditional-open is what counts for the public, not the share attribute
    assert _apply(client, ent_headers, entries["conditional_not_shared"]).status_code == 201


def test_unverified_or_rejected_enterprise_gets_a_clear_403(client, app, make_user, api_token, market):
    _, _, entries = market
    nobody = make_user("public")
    headers = api_token(nobody)
    refused = _apply(client, headers, entries["conditional"])
    assert refused.status_code == 403
    assert "/account/applicant" in refused.get_json()["error"]["message"]

    submit_identity(nobody, kind="enterprise", name="无锡示例科技有限公司", uscc=USCC)
    from opendata.applicants import decide

    decide(db.session.scalar(select(PublicApplicant)).id, verified=False, reason="名称与代码不符",
           actor=make_user("operator"))
    db.session.commit()
    rejected = client.post("/api/v1/requests", json={"purpose": "用于企业经营分析", "period_days": 90}, headers=headers)
    assert rejected.status_code == 403 and "名称与代码不符" in rejected.get_json()["error"]["message"]


def test_citizen_applies_as_an_individual_without_verification(client, app, make_user, api_token, market):
    _, _, entries = market
    citizen = make_user("public")
    applicant = submit_identity(citizen, kind="citizen", name="张三")
    db.session.commit()
    assert applicant.status.value == "verified" and applicant.uscc is None
    assert _apply(client, api_token(citizen), entries["conditional"]).status_code == 201


def test_public_users_cannot_add_open_closed_or_not_shared_entries(client, app, make_user, api_token, market):
    _, _, entries = market
    enterprise = make_user("public")
    headers = api_token(enterprise)
    for key in ("closed", "none"):  # not open to the public: not even visible to them
        response = client.post("/api/v1/cart/items", json={"dataset_id": entries[key].id}, headers=headers)
        assert response.status_code == 404, (key, response.get_json())
    response = client.post("/api/v1/cart/items", json={"dataset_id": entries["open"].id}, headers=headers)
    assert response.status_code == 409 and "直接下载" in response.get_json()["error"]["message"]
    assert client.get("/api/v1/cart", headers=headers).get_json()["items"] == []

    from catalog.permissions import request_block_reason  # the rule itself, had they seen a closed entry

    assert "不向社会开放" in request_block_reason(entries["closed"], enterprise)
    assert "不向社会开放" in request_block_reason(entries["none"], enterprise)


def test_identity_page_and_operator_queue(client, app, make_user, login, market):
    enterprise = make_user("public")
    login(enterprise)
    page = client.get("/account/applicant")
    assert page.status_code == 200 and "统一社会信用代码" in page.get_data(as_text=True)
    token = csrf_token(client, "/account/applicant")
    bad = client.post("/account/applicant", data={"csrf_token": token, "kind": "enterprise", "name": "无锡示例科技有限公司",
                                                  "uscc": USCC[:17] + ("0" if USCC[17] != "0" else "1")})
    assert bad.status_code == 422 and "校验位" in bad.get_data(as_text=True)
    ok = client.post("/account/applicant", data={"csrf_token": token, "kind": "enterprise", "name": "无锡示例科技有限公司",
                                                 "uscc": USCC.lower()}, follow_redirects=True)
    assert "等待平台核验" in ok.get_data(as_text=True)
    assert db.session.scalar(select(PublicApplicant)).uscc == USCC
    assert client.get("/applicants").status_code == 403

    operator_client = app.test_client()
    _login(operator_client, make_user("operator"))
    queue = operator_client.get("/applicants").get_data(as_text=True)
    assert "无锡示例科技有限公司" in queue and USCC in queue
    op_token = csrf_token(operator_client, "/applicants")
    applicant = db.session.scalar(select(PublicApplicant))
    no_reason = operator_client.post(f"/applicants/{applicant.id}/decide",
                                     data={"csrf_token": op_token, "decision": "reject"}, follow_redirects=True)
    assert "驳回时请写明原因" in no_reason.get_data(as_text=True)
    operator_client.post(f"/applicants/{applicant.id}/decide", data={"csrf_token": op_token, "decision": "verify"})
    db.session.expire_all()
    assert db.session.get(PublicApplicant, applicant.id).status.value == "verified"
    assert "可以申请" in client.get("/account/applicant").get_data(as_text=True)


def _login(client, user, password="passw0rd!"):
    token = csrf_token(client, "/login")
    response = client.post("/login", data={"username": user.username, "password": password, "csrf_token": token})
    assert response.status_code == 302


def test_demo_public_accounts_can_apply(app, make_user):
    from opendata.applicants import applicant_problem
    from opendata.demo import seed_demo_extra

    enterprise, citizen = make_user("public", username="enterprise"), make_user("public", username="citizen")
    make_user("operator", username="operator")
    assert "2 public applicant identities" in seed_demo_extra(None)
    seed_demo_extra(None)  # seeding again changes nothing
    assert db.session.scalar(select(func.count()).select_from(PublicApplicant)) == 2
    assert applicant_problem(enterprise) is None and applicant_problem(citizen) is None
    assert uscc_problem(db.session.scalar(select(PublicApplicant.uscc).where(PublicApplicant.uscc.is_not(None)))) is None


def test_public_cart_and_checkout_pages(client, app, make_user, login, market):
    _, _, entries = market
    enterprise = make_user("public")
    login(enterprise)
    product = client.get(f"/datasets/{entries['conditional'].id}").get_data(as_text=True)
    assert "如何申请" in product and "/account/applicant" in product and "加入数据篮" in product
    token = csrf_token(client, f"/datasets/{entries['conditional'].id}")
    client.post("/cart/items", data={"csrf_token": token, "dataset_id": entries["conditional"].id})
    cart = client.get("/cart")
    assert cart.status_code == 200 and "企业年报" in cart.get_data(as_text=True)
    page = client.post("/checkout", data={"csrf_token": token, "purpose": "用于企业经营分析", "period_days": "90"})
    assert page.status_code == 422 and "/account/applicant" in page.get_data(as_text=True)
    menu = client.get("/").get_data(as_text=True)
    assert "/account/applicant" in menu and "/cart" in menu
