"""Synonyms, the government term dictionary and data standards: pages, versioning, and their effect."""

from sqlalchemy import select

from catalog.models import DataItem
from market.db import db
from rules.models import DataStandard, GovTerm, RuleChange
from search import analysis
from search.synonyms import current_synonyms
from tests.conftest import csrf_token


def test_synonyms_through_the_library(client, make_user, login):
    login(make_user("operator"))
    token = csrf_token(client, "/rules/synonyms")
    resp = client.post("/rules/synonyms", data={"term": "企业", "synonym": "法人", "reason": "企业即法人单位",
                                                "csrf_token": token})
    assert resp.status_code == 302
    assert "法人" in current_synonyms().get("企业", ())
    resp = client.post("/rules/synonyms", data={"term": "企业", "synonym": "企业", "reason": "测试",
                                                "csrf_token": token})
    assert resp.status_code == 422 and "同义词有误" in resp.get_data(as_text=True)
    html = client.get("/rules/synonyms?q=法人").get_data(as_text=True)
    assert "企业" in html
    from search.models import SearchSynonym

    pair = db.session.scalar(select(SearchSynonym))
    resp = client.post(f"/rules/synonyms/{pair.id}/delete", data={"reason": "不再需要", "csrf_token": token})
    assert resp.status_code == 302 and db.session.scalar(select(SearchSynonym)) is None
    actions = [c.action for c in db.session.scalars(select(RuleChange).order_by(RuleChange.id))]
    assert actions == ["created", "deleted"]


def test_dictionary_terms_stay_whole_when_segmenting(client, make_user, login):
    word = "公共数据授权运营平台"
    assert word not in analysis.words(f"关于{word}的说明")
    login(make_user("operator"))
    token = csrf_token(client, "/rules/terms/new")
    resp = client.post("/rules/terms/new", data={"term": "", "definition": "x", "reason": "测试",
                                                 "csrf_token": token})
    assert resp.status_code == 422 and 'id="term-error"' in resp.get_data(as_text=True)
    resp = client.post("/rules/terms/new", data={"term": word, "abbreviation": "授权运营平台",
                                                 "definition": "依法授权运营公共数据的平台。",
                                                 "reason": "新增术语", "csrf_token": token})
    assert resp.status_code == 302
    assert word in analysis.words(f"关于{word}的说明")
    term = db.session.scalar(select(GovTerm))
    resp = client.post(f"/rules/terms/{term.id}/edit", data={"term": word, "definition": "修改后的定义",
                                                             "reason": "完善定义", "csrf_token": token})
    assert resp.status_code == 302
    html = client.get("/rules/terms?q=授权").get_data(as_text=True)
    assert "修改后的定义" in html
    html = client.get("/rules/terms/history").get_data(as_text=True)
    assert "完善定义" in html and "依法授权运营公共数据的平台。" in html and "修改后的定义" in html


def test_data_standards_are_referenced_by_items_and_shown_on_the_product_page(client, make_user, make_dataset,
                                                                               login):
    ds = make_dataset("企业登记信息", share_attribute="unconditional", open_attribute="open",
                      items=[("统一社会信用代码", False), ("企业名称", False)])
    login(make_user("operator"))
    token = csrf_token(client, "/rules/standards/new")
    resp = client.post("/rules/standards/new", data={"code": "bad code!", "name": "", "type": "nope",
                                                     "max_length": "-1", "reason": "测试", "csrf_token": token})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422
    for field in ("code", "name", "type", "max_length"):
        assert f'id="{field}-error"' in html, field
    resp = client.post("/rules/standards/new", data={"code": "DE00001", "name": "统一社会信用代码", "type": "string",
                                                     "max_length": "18", "source": "GB 32100-2015",
                                                     "description": "18 位法人和其他组织身份识别代码",
                                                     "reason": "引入国家标准", "csrf_token": token})
    assert resp.status_code == 302
    std = db.session.scalar(select(DataStandard))
    html = client.get(f"/rules/standards/{std.id}").get_data(as_text=True)
    assert "另有 1 个名为“统一社会信用代码”的信息项尚未引用" in html
    resp = client.post(f"/rules/standards/{std.id}/link", data={"reason": "同名字段统一引用", "csrf_token": token})
    assert resp.status_code == 302
    item = db.session.scalar(select(DataItem).where(DataItem.name == "统一社会信用代码"))
    db.session.refresh(item)
    assert item.standard_id == std.id
    page = client.get(f"/datasets/{ds.id}").get_data(as_text=True)
    assert 'class="std-ref"' in page and "DE00001" in page
    resp = client.post(f"/rules/standards/{std.id}/delete", data={"reason": "测试删除", "csrf_token": token})
    assert resp.status_code == 302
    db.session.refresh(item)
    assert item.standard_id is None and item.name == "统一社会信用代码"
    actions = [c.action for c in db.session.scalars(select(RuleChange).order_by(RuleChange.id))]
    assert actions == ["created", "linked", "deleted"]
