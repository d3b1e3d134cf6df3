"""The shop's HTML pages show what a visitor, a requester and a data officer need, and nothing they must not see."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select

from catalog.models import Dataset
from market.db import db
from tests.conftest import csrf_token

XSS = "<script>alert(1)</script>"


def get(client, url: str, status: int = 200) -> str:
    resp = client.get(url)
    assert resp.status_code == status, f"{url}: {resp.status_code}\n{resp.get_data(as_text=True)[:800]}"
    return resp.get_data(as_text=True)


def facet_count(html: str, name: str, value: str) -> int | None:
    """The count shown next to a facet checkbox, or None when the value is not offered."""
    m = re.search(rf'name="{name}" value="{re.escape(value)}"[^>]*>\s*<label[^>]*>.*?<span class="count">(\d+)</span>',
                  html, re.DOTALL)
    return int(m.group(1)) if m else None


def is_checked(html: str, name: str, value: str) -> bool:
    m = re.search(rf'<input type="checkbox"[^>]*name="{name}" value="{re.escape(value)}"([^>]*)>', html)
    assert m, f"no checkbox {name}={value}"
    return "checked" in m.group(1)


def link(html: str, rel: str) -> str:
    m = re.search(rf'<a href="([^"]+)" rel="{rel}">', html)
    assert m, f"no rel={rel} link"
    return unescape(m.group(1))


def card_titles(html: str) -> list[str]:
    return [re.sub(r"</?mark>", "", unescape(t)) for t in
            re.findall(r'<h3 class="card-title">\s*<a href="[^"]+">(.*?)</a>', html, re.DOTALL)]


# --- home ---------------------------------------------------------------------------------------
def test_home_shows_category_rail_with_counts_and_featured_products(client, make_category, make_dataset):
    people = make_category("population", "人口", library="base")
    make_category("education", "教育", library="theme")
    make_dataset("户籍人口统计", category=people, featured=True, request_count=3)
    make_dataset("内部人口底册", category=people, open_attribute="closed")

    html = get(client, "/")
    assert "基础库" in html and "主题库" in html
    rail = html[html.index('class="category-rail"'):html.index('class="home-main"')]
    # the anonymous visitor's counts cover open data only: 1 of the 2 population entries
    assert re.search(r'href="/datasets\?category=population">\s*<span>人口</span><span class="count">1</span>', rail)
    assert re.search(r'href="/datasets\?category=education" class="empty">\s*<span>教育</span><span class="count">0</span>',
                     rail)
    featured = html[html.index('id="featured-title"'):html.index('id="newest-title"')]
    assert card_titles(featured) == ["户籍人口统计"]
    assert "内部人口底册" not in html
    assert "共 1 个数据目录" in html


def test_home_without_data_says_so(client):
    html = get(client, "/")
    assert "还没有上架的数据目录" in html


# --- product grid ---------------------------------------------------------------------------------
def test_browse_shows_cards_with_badges_and_facet_counts(client, make_department, make_dataset):
    dept = make_department("ga", "市公安局")
    make_dataset("人口基本信息", department=dept, share_attribute="unconditional", request_count=12,
                 rating_avg=4.4, rating_count=5)
    make_dataset("暂住人口信息", department=dept, share_attribute="unconditional")
    make_dataset("出入境记录", department=dept, share_attribute="none", open_attribute="closed")
    make_dataset("企业登记信息", share_attribute="conditional", level=3, price=20)

    html = get(client, "/datasets")
    assert "共找到 3 个数据目录" in html  # the closed entry is not offered to an anonymous visitor
    assert sorted(card_titles(html)) == ["人口基本信息", "企业登记信息", "暂住人口信息"]
    assert '<span class="badge share-unconditional">无条件共享</span>' in html
    assert '<span class="badge share-conditional">有条件共享</span>' in html
    assert '<span class="badge open-open">无条件开放</span>' in html
    assert '<span class="chip level-3">三级（敏感）</span>' in html
    assert "★★★★☆" in html and "4.4" in html and "暂无评价" in html
    assert "申请 12 次" in html and "¥20.00" in html
    assert facet_count(html, "share_attribute", "unconditional") == 2
    assert facet_count(html, "share_attribute", "conditional") == 1
    assert facet_count(html, "department", "ga") == 2
    assert facet_count(html, "share_attribute", "none") is None
    # works without JavaScript: the facets sit in a GET form with a submit button
    assert re.search(r'<form id="browse-form"[^>]*method="get"', html)
    assert '<button type="submit" class="btn btn-primary js-hide">筛选</button>' in html


def test_facet_filter_narrows_the_grid_and_chips_remove_it(client, make_department, make_dataset):
    ga, sw = make_department("ga", "市公安局"), make_department("sw", "市商务局")
    make_dataset("人口基本信息", department=ga)
    make_dataset("外贸企业名录", department=sw)

    html = get(client, "/datasets?department=ga")
    assert card_titles(html) == ["人口基本信息"]
    assert is_checked(html, "department", "ga") and not is_checked(html, "department", "sw")
    # disjunctive counts: the other department stays offered with its own count
    assert facet_count(html, "department", "sw") == 1
    chip = re.search(r'<a class="chip chip-selected" href="([^"]+)"[^>]*>\s*<span class="chip-facet">数源部门：</span>市公安局',
                     html)
    assert chip and unescape(chip.group(1)) == "/datasets"
    assert "清除全部" in html

    both = get(client, "/datasets?department=ga&department=sw")
    assert sorted(card_titles(both)) == ["人口基本信息", "外贸企业名录"]


def test_pagination_keeps_query_filters_and_sort(client, make_department, make_dataset):
    dept = make_department()
    for n in range(25):
        make_dataset(f"公交线路数据{n:02d}", department=dept, tags=("交通",))
    make_dataset("公交无标签数据", department=dept)

    html = get(client, "/datasets?q=公交&tag=交通&sort=newest")
    assert len(card_titles(html)) == 20
    assert "<mark>公交</mark>" in html
    nxt = urlsplit(link(html, "next"))
    assert nxt.path == "/datasets"
    assert parse_qs(nxt.query) == {"q": ["公交"], "tag": ["交通"], "sort": ["newest"], "page": ["2"]}

    page2 = get(client, link(html, "next"))
    assert len(card_titles(page2)) == 5
    assert is_checked(page2, "tag", "交通")
    assert re.search(r'<option value="newest" selected>', page2)
    assert parse_qs(urlsplit(link(page2, "prev")).query) == {"q": ["公交"], "tag": ["交通"], "sort": ["newest"]}


def test_empty_result_explains_what_to_try(client, make_dataset):
    make_dataset("人口基本信息")
    html = get(client, "/datasets?q=完全不存在的词&level=4")
    assert card_titles(html) == []
    assert "没有找到与“完全不存在的词”相关的数据" in html
    assert "清除全部筛选条件" in html and "提出数据需求" in html


def test_invalid_filter_is_reported_not_a_crash(client, make_dataset):
    make_dataset("人口基本信息")
    html = get(client, "/datasets?sort=cheapest")
    assert "筛选条件无效" in html
    assert card_titles(html) == ["人口基本信息"]


# --- product page ---------------------------------------------------------------------------------
def test_product_page_shows_items_and_masks_sensitive_sample_values(client, make_dataset):
    ds = make_dataset("人口基本信息", items=[("姓名", False), ("公民身份号码", True)],
                      sample=[{"姓名": "张三", "公民身份号码": "320201199001011234"}],
                      update_frequency="daily", update_frequency_text="每日更新", tags=("户籍",))
    html = get(client, f"/datasets/{ds.id}")
    assert ds.code in html and "测试摘要" in html
    row = re.search(r'<tr class="is-sensitive">\s*<th scope="row">公民身份号码</th>(.*?)</tr>', html, re.DOTALL)
    assert row and '<span class="badge sensitive">敏感</span>' in row.group(1)
    assert re.search(r'<th scope="row">姓名</th>(?:(?!</tr>).)*<span class="muted">否</span>', html, re.DOTALL)
    assert "张三" in html
    assert "320201199001011234" not in html
    assert '<td class="masked">****</td>' in html
    assert "每日" in html and "（原文：每日更新）" in html
    assert 'href="/datasets?tag=%E6%88%B7%E7%B1%8D"' in html


def test_product_page_without_sample_says_so(client, make_dataset):
    html = get(client, f"/datasets/{make_dataset('人口基本信息').id}")
    assert "数源部门暂未提供样例数据" in html


def test_not_shared_entry_explains_why_it_cannot_be_requested(client, login, make_user, make_dataset):
    ds = make_dataset("出入境记录", share_attribute="none", open_attribute="closed")
    login(make_user("requester"))
    html = get(client, f"/datasets/{ds.id}")
    assert re.search(r'<button type="button" class="btn btn-primary btn-block" disabled aria-describedby="block-reason">'
                     r'加入数据篮</button>', html)
    assert '<p id="block-reason" class="block-reason">该数据为不予共享，不能申请；如确有需要，请发布数据需求。</p>' in html
    assert "审批路径" not in html


@pytest.mark.parametrize(("share", "level", "items", "route", "not_route"), [
    ("unconditional", 2, [("名称", False)], "可直接获取（无需审批）", "需数源部门审批"),
    ("conditional", 2, [("名称", False)], "需数源部门审批", "大数据管理局审批"),
    ("conditional", 3, [("名称", False)], "需数源部门审批及大数据管理局审批", "无需审批"),
    ("conditional", 2, [("名称", False), ("手机号", True)], "需数源部门审批及大数据管理局审批", "无需审批"),
])
def test_requestable_entry_states_its_approval_route(client, login, make_user, make_dataset,
                                                     share, level, items, route, not_route):
    ds = make_dataset("企业登记信息", share_attribute=share, level=level, items=items)
    login(make_user("requester"))
    html = get(client, f"/datasets/{ds.id}")
    assert route in html and not_route not in html
    assert "disabled" not in html and "您可以申请该数据" in html


def test_anonymous_visitor_is_asked_to_log_in(client, make_dataset):
    ds = make_dataset("企业登记信息")
    html = get(client, f"/datasets/{ds.id}")
    assert "请先登录政务账号再申请共享数据。" in html
    assert f'href="/login?next=/datasets/{ds.id}"' in html


def test_closed_entry_is_hidden_from_the_public_but_shown_to_staff(client, login, make_user, make_dataset):
    ds = make_dataset("内部共享数据", open_attribute="closed")
    html = get(client, f"/datasets/{ds.id}", 404)
    assert "没有找到" in html and "内部共享数据" not in html
    assert 'href="/"' in html and "登录后再试" in html
    login(make_user("requester"))
    assert "内部共享数据" in get(client, f"/datasets/{ds.id}")


# --- owners ---------------------------------------------------------------------------------------
def test_owner_sees_manage_actions_and_others_do_not(client, login, make_department, make_user, make_dataset):
    own = make_department()
    published = make_dataset("人口基本信息", department=own)
    draft = make_dataset("草稿目录", department=own, status="draft")
    officer = make_user("officer", department=own)

    for user in (make_user("requester"), make_user("officer")):
        client.post("/logout", data={"csrf_token": csrf_token(client)})
        login(user)
        html = get(client, f"/datasets/{published.id}")
        assert "/edit" not in html and "/retire" not in html and "/history" not in html

    client.post("/logout", data={"csrf_token": csrf_token(client)})
    login(officer)
    html = get(client, f"/datasets/{published.id}")
    assert f'href="/datasets/{published.id}/edit"' in html
    assert f'action="/datasets/{published.id}/retire"' in html
    assert f'href="/datasets/{published.id}/history"' in html
    assert "/publish" not in html
    html = get(client, f"/datasets/{draft.id}")
    assert f'action="/datasets/{draft.id}/publish"' in html and "/retire" not in html
    assert '<span class="badge status-draft">草稿</span>' in html


def test_retire_through_the_page_records_the_reason_in_history(client, login, make_department, make_user,
                                                               make_dataset):
    own = make_department()
    ds = make_dataset("人口基本信息", department=own)
    login(make_user("officer", department=own))
    token = csrf_token(client, f"/datasets/{ds.id}")
    resp = client.post(f"/datasets/{ds.id}/retire", data={"csrf_token": token, "reason": "数据已合并到新目录"})
    assert resp.status_code == 302
    html = get(client, f"/datasets/{ds.id}")
    assert "目录已下架" in html and '<span class="badge status-retired">已下架</span>' in html
    assert f'action="/datasets/{ds.id}/publish"' in html and "重新发布" in html
    history = get(client, f"/datasets/{ds.id}/history")
    assert "下架" in history and "数据已合并到新目录" in history
    assert re.search(r'<td class="old">已发布</td><td class="arrow" aria-hidden="true">→</td><td class="new">已下架</td>',
                     history)


def test_history_shows_field_changes_old_to_new(client, login, make_department, make_category, make_user,
                                                make_dataset):
    own = make_department()
    old_cat = make_category("c-old", "旧分类")
    make_category("c-new", "新分类")
    officer = make_user("officer", department=own)
    ds = make_dataset("人口基本信息", department=own, category=old_cat)
    login(officer)
    token = csrf_token(client, f"/datasets/{ds.id}/edit")
    form = {"csrf_token": token, "title": "人口基本信息（新版）", "summary": "测试摘要", "category": "c-new",
            "share_attribute": "conditional", "open_attribute": "open", "level": "2", "update_frequency": "irregular",
            "delivery_modes": ["download", "api"], "formats": "CSV", "item-0-name": "姓名", "item-0-type": "string",
            "item-1-name": "公民身份号码", "item-1-type": "string", "item-1-sensitive": "on"}
    assert client.post(f"/datasets/{ds.id}/edit", data=form).status_code == 302
    html = get(client, f"/datasets/{ds.id}/history")
    assert re.search(r'<th scope="row">目录名称</th>\s*<td class="old">人口基本信息</td>.*?<td class="new">人口基本信息（新版）</td>',
                     html, re.DOTALL)
    assert re.search(r'<th scope="row">数据分类</th>\s*<td class="old">旧分类</td>.*?<td class="new">新分类</td>',
                     html, re.DOTALL)
    assert officer.username in html


# --- entry form -----------------------------------------------------------------------------------
def entry_form(token: str, **overrides) -> dict:
    form = {"csrf_token": token, "title": "公共交通线路", "summary": "全市公交线路与站点", "category": "",
            "tags": "交通, 公交", "formats": "CSV, JSON", "update_frequency": "monthly",
            "share_attribute": "unconditional", "open_attribute": "open", "level": "1",
            "delivery_modes": ["download", "api"], "price": "",
            "item-0-name": "线路名称", "item-0-type": "string", "item-0-description": "如 1路",
            "item-1-name": "司机手机号", "item-1-type": "string", "item-1-sensitive": "on",
            "item-2-name": "", "item-2-type": "string"}
    form.update(overrides)
    return form


def test_form_creates_a_draft_with_its_items(client, login, make_user):
    login(make_user("officer"))
    token = csrf_token(client, "/datasets/new")
    resp = client.post("/datasets/new", data=entry_form(token))
    assert resp.status_code == 302
    html = get(client, resp.headers["Location"])
    assert "公共交通线路" in html and "已创建草稿目录" in html
    assert '<span class="badge status-draft">草稿</span>' in html
    assert re.search(r'<th scope="row">司机手机号</th>(?:(?!</tr>).)*敏感', html, re.DOTALL)
    assert "如 1路" in html


def test_form_rerenders_with_inline_errors_and_typed_values(client, login, make_user):
    login(make_user("officer"))
    token = csrf_token(client, "/datasets/new")
    resp = client.post("/datasets/new", data=entry_form(token, title="X", **{"item-1-type": "bogus"}))
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    assert 'data-error-summary' in html and 'href="#f-title"' in html and 'href="#item-1-type"' in html
    assert re.search(r'<input id="f-title" name="title" value="X"[^>]*aria-invalid="true" aria-describedby="title-error">',
                     html)
    assert 'id="title-error"' in html and 'id="items-1-type-error"' in html
    # everything typed comes back: text, selects, checkboxes, item rows
    assert ">全市公交线路与站点</textarea>" in html
    assert 'value="交通, 公交"' in html and 'value="CSV, JSON"' in html
    assert '<option value="unconditional" selected>' in html and '<option value="monthly" selected>' in html
    assert re.search(r'name="delivery_modes" value="api" checked', html)
    assert 'name="item-0-name" value="线路名称"' in html and 'value="如 1路"' in html
    assert re.search(r'id="item-1-sensitive" name="item-1-sensitive" checked', html)
    assert 'name="item-4-name" value=""' in html  # blank rows follow the typed ones
    assert db.session.scalar(select(func.count()).select_from(Dataset)) == 0


def test_form_reports_rules_that_span_fields(client, login, make_user):
    login(make_user("officer"))
    token = csrf_token(client, "/datasets/new")
    resp = client.post("/datasets/new", data=entry_form(token, share_attribute="none", open_attribute="open"))
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    assert 'href="#f-open_attribute"' in html and 'id="open_attribute-error"' in html
    assert db.session.scalar(select(func.count()).select_from(Dataset)) == 0


def test_operator_picks_the_department_on_the_form(client, login, make_department, make_user):
    make_department("ga", "市公安局")
    login(make_user("operator"))
    html = get(client, "/datasets/new")
    assert '<select id="f-department" name="department" required>' in html and '<option value="ga">市公安局</option>' in html
    token = csrf_token(client, "/datasets/new")
    assert client.post("/datasets/new", data=entry_form(token, department="ga")).status_code == 302
    assert db.session.scalar(select(Dataset.code)).startswith("ga-")


def test_manage_lists_own_entries_with_status_tabs(client, login, make_department, make_user, make_dataset):
    own = make_department()
    make_dataset("已发布目录", department=own)
    make_dataset("草稿目录", department=own, status="draft")
    make_dataset("别的部门目录")
    login(make_user("officer", department=own))
    html = get(client, "/manage")
    assert "已发布目录" in html and "草稿目录" in html and "别的部门目录" not in html
    assert re.search(r'href="/manage\?status=draft">\s*草稿 <span class="count">1</span>', html)
    assert re.search(r'aria-current="page" class="active">\s*全部 <span class="count">2</span>', html)
    drafts = get(client, "/manage?status=draft")
    assert "草稿目录" in drafts and "已发布目录" not in drafts
    assert 'href="/datasets/new"' in drafts


# --- safety, language, accessibility -----------------------------------------------------------------
def test_hostile_title_is_escaped_on_every_page(client, login, make_department, make_user, make_dataset):
    own = make_department()
    ds = make_dataset(XSS, department=own, featured=True, tags=("t",))
    login(make_user("officer", department=own))
    token = csrf_token(client, f"/datasets/{ds.id}/edit")
    bad = entry_form(token, title=XSS + "x", level="9")
    resp = client.post(f"/datasets/{ds.id}/edit", data=bad)
    assert resp.status_code == 422 and XSS not in resp.get_data(as_text=True)
    pages = ["/", "/datasets", "/datasets?q=script", f"/datasets/{ds.id}", "/manage", f"/datasets/{ds.id}/edit",
             f"/datasets/{ds.id}/history"]
    for url in pages:
        html = get(client, url)
        assert XSS not in html, url
        assert "alert(1)" in html, url
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in get(client, f"/datasets/{ds.id}")
    assert "&lt;<mark>script</mark>&gt;" in get(client, "/datasets?q=script")


def test_pages_follow_the_content_security_policy(client, login, make_department, make_user, make_dataset):
    own = make_department()
    ds = make_dataset("人口基本信息", department=own, sample=[{"姓名": "张三"}])
    login(make_user("officer", department=own))
    for url in ["/", "/datasets", f"/datasets/{ds.id}", "/manage", "/datasets/new", f"/datasets/{ds.id}/history",
                "/no-such-page"]:
        resp = client.get(url)
        html = resp.get_data(as_text=True)
        assert "script-src 'self'" in resp.headers["Content-Security-Policy"]
        assert not re.search(r"<script(?![^>]*\ssrc=)", html), url
        assert not re.search(r"<[^>]+\sstyle=", html), url
        assert not re.search(r"<[^>]+\son[a-z]+=", html), url


def test_language_switch_sets_html_lang_and_keeps_the_page(client, make_dataset):
    make_dataset("人口基本信息", tags=("户籍",))
    assert '<html lang="zh-CN">' in get(client, "/")
    html = get(client, "/datasets?tag=户籍&lang=en")
    assert '<html lang="en">' in html
    back = re.search(r'<a href="([^"]+)" lang="zh-CN"', html)
    assert back and parse_qs(urlsplit(unescape(back.group(1))).query) == {"tag": ["户籍"], "lang": ["zh"]}
    assert '<html lang="en">' in get(client, "/")  # remembered for the session


def test_large_text_preference_applies_on_the_server(client):
    assert '<body class="">' in get(client, "/")
    client.set_cookie("large_text", "1")
    html = get(client, "/")
    assert '<body class="large-text">' in html and 'aria-pressed="true"' in html


def test_every_form_control_has_a_label(client, login, make_user, make_dataset):
    ds = make_dataset("人口基本信息")
    login(make_user("operator"))
    for url in ["/datasets", "/datasets/new", f"/datasets/{ds.id}"]:
        html = get(client, url)
        ids = re.findall(r'<(?:input|select|textarea)(?![^>]*type="(?:hidden|submit)")[^>]*\sid="([^"]+)"', html)
        controls = re.findall(r'<(?:input|select|textarea)(?![^>]*type="(?:hidden|submit)")[^>]*>', html)
        assert len(ids) == len(controls), f"{url}: a control without an id"
        for control_id in ids:
            assert f'for="{control_id}"' in html, f"{url}: no label for #{control_id}"
