"""The pages: posting (prefilled from an entry), list and search, routing with suggestions, the owner's
answer, "me too", objections, the quality panel on the product page and the cart hint."""

from datetime import date, timedelta

from sqlalchemy import select

from demands.models import Demand, Objection
from market.db import db
from tests.conftest import csrf_token


def test_post_a_demand_from_the_form_prefilled_from_an_entry(client, city, login):
    u, d = city["users"], city["data"]
    login(u["citizen"])
    page = client.get(f"/demands/new?dataset_id={d['residence'].id}&title=")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "户籍人口信息" in html and "户籍地址" in html
    token = csrf_token(client, "/demands/new")
    bad = client.post("/demands/new", data={"csrf_token": token, "title": "户籍", "purpose": "短"})
    assert bad.status_code == 422 and "需要修改" in bad.get_data(as_text=True)
    resp = client.post("/demands/new", data={
        "csrf_token": token, "title": "户籍人口年龄结构统计", "purpose": "社区养老服务设施布点研究",
        "items": "街道、年龄段\n户籍人口数", "frequency": "yearly", "needed_by": "",
        "dataset_id": str(d["residence"].id), "description": ""})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:400]
    demand = db.session.scalar(select(Demand))
    assert demand.items == ["街道", "年龄段", "户籍人口数"] and demand.dataset_id == d["residence"].id
    detail = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "户籍人口年龄结构统计" in detail and "待分派" in detail and "撤回需求" in detail
    listing = client.get("/demands?q=年龄").get_data(as_text=True)
    assert "户籍人口年龄结构统计" in listing
    assert "没有符合条件的需求" in client.get("/demands?q=不存在的词").get_data(as_text=True)


def test_operator_routes_with_suggestions_owner_answers_others_me_too(client, city, login):
    from demands import services

    u = city["users"]
    demand = services.create_demand(u["citizen"], {"title": "户籍迁移统计", "purpose": "人口流动研究",
                                                   "items": ["迁入地", "迁出地"]})
    db.session.commit()
    did = demand.id
    login(u["operator"])
    page = client.get(f"/demands/{did}").get_data(as_text=True)
    assert "平台建议" in page and "无锡市公安局" in page and "匹配该部门" in page
    token = csrf_token(client, f"/demands/{did}")
    resp = client.post(f"/demands/{did}/route", data={"csrf_token": token, "department": "GA",
                                                      "department_other": "", "comment": ""})
    assert resp.status_code == 302
    db.session.expire_all()
    assert db.session.get(Demand, did).state == "routed"
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})

    login(u["enterprise"])
    token = csrf_token(client, f"/demands/{did}")
    client.post(f"/demands/{did}/me-too", data={"csrf_token": token, "purpose": "企业选址需要人口流动数据"})
    db.session.expire_all()
    assert db.session.get(Demand, did).supporter_count == 1
    assert "您已表示" in client.get(f"/demands/{did}").get_data(as_text=True)
    # the public cannot answer
    assert client.post(f"/demands/{did}/answer", data={"csrf_token": token, "outcome": "refused",
                                                       "comment": "x"}).status_code == 403
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})

    login(u["officer"])
    page = client.get(f"/demands/{did}").get_data(as_text=True)
    assert "答复需求" in page and "企业选址需要人口流动数据" in page  # the owner sees supporters' purposes
    token = csrf_token(client, f"/demands/{did}")
    day = (date.today() + timedelta(days=20)).isoformat()
    resp = client.post(f"/demands/{did}/answer", data={"csrf_token": token, "outcome": "will_publish",
                                                       "publish_by": day, "dataset_id": "", "comment": ""})
    assert resp.status_code == 302
    db.session.expire_all()
    assert db.session.get(Demand, did).state == "planned"
    page = client.get(f"/demands/{did}").get_data(as_text=True)
    assert "关联满足需求的目录" in page and day in page
    assert "本部门待办" in client.get("/demands?scope=todo").get_data(as_text=True)


def test_objection_pages_and_quality_panel(client, city, login):
    u, d = city["users"], city["data"]
    login(u["citizen"])
    product = client.get(f"/datasets/{d['residence'].id}").get_data(as_text=True)
    assert "数据质量" in product and "100" in product and "如何计算" in product and "提出数据异议" in product
    closed = client.get(f"/datasets/{d['movement'].id}")
    assert closed.status_code == 200
    page = client.get(f"/objections/new?dataset_id={d['residence'].id}").get_data(as_text=True)
    assert "户籍地址" in page and "与其他来源不一致" in page
    token = csrf_token(client, "/objections/new")
    resp = client.post("/objections/new", data={"csrf_token": token, "dataset_id": str(d["residence"].id),
                                                "grant_id": "", "item_name": "户籍地址", "kind": "wrong",
                                                "description": "地址为旧街道名称", "other_source": ""})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:500]
    obj = db.session.scalar(select(Objection))
    assert obj.item_name == "户籍地址" and obj.target == "item"
    assert "地址为旧街道名称" in client.get(f"/objections/{obj.id}").get_data(as_text=True)
    assert "户籍人口信息" in client.get("/objections?scope=mine").get_data(as_text=True)
    product = client.get(f"/datasets/{d['residence'].id}").get_data(as_text=True)
    assert "O 未答复：1" in product
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})

    login(u["officer"])
    assert "户籍人口信息" in client.get("/objections?scope=todo").get_data(as_text=True)
    token = csrf_token(client, f"/objections/{obj.id}")
    resp = client.post(f"/objections/{obj.id}/answer", data={"csrf_token": token, "outcome": "explained",
                                                            "comment": "", "version": ""})
    assert resp.status_code == 302
    db.session.expire_all()
    assert db.session.get(Objection, obj.id).state == "open"  # explanation missing: refused with a message
    resp = client.post(f"/objections/{obj.id}/answer", data={"csrf_token": token, "outcome": "explained",
                                                            "comment": "该街道名称以户籍登记为准", "version": ""})
    db.session.expire_all()
    assert db.session.get(Objection, obj.id).state == "explained"


def test_product_page_of_a_non_shared_entry_links_to_a_demand(client, city, login):
    u, d = city["users"], city["data"]
    login(u["requester"])
    html = client.get(f"/datasets/{d['closed'].id}").get_data(as_text=True)
    assert f"/demands/new?dataset_id={d['closed'].id}" in html


def test_nav_shows_the_demand_zone_to_signed_in_users(client, city, login):
    assert "/demands" not in client.get("/").get_data(as_text=True)
    login(u := city["users"]["citizen"])
    html = client.get("/").get_data(as_text=True)
    assert 'href="/demands"' in html and 'href="/objections"' in html
    assert u.username
