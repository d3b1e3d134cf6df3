"""Compare (对比): URL comparisons, the session tray, visibility, alignment of data items, request state."""

from __future__ import annotations

import re

import pytest

from catalog.compare import MAX_ENTRIES, parse_ids
from market.errors import BadRequest
from tests.conftest import csrf_token


def _cols(html: str) -> list[str]:
    head = html.split('class="data-table compare-table"', 1)[1].split("</thead>", 1)[0]
    return re.findall(r'<th scope="col" class="compare-col">\s*<a href="/datasets/\d+">([^<]+)</a>', head)


def test_parse_ids_is_strict_and_bounded():
    assert parse_ids("3, 8,3,21") == ([3, 8, 21], False)
    assert parse_ids("") == ([], False)
    assert parse_ids("1,2,3,4,5,6") == ([1, 2, 3, 4], True)
    for bad in ("1,x", "-1", "0", "1;2", "9" * 12, ",".join(["1"] * 100)):
        with pytest.raises(BadRequest):
            parse_ids(bad)


def test_side_by_side_with_aligned_items_and_request_state(client, make_dataset, make_department, make_user, login):
    own, other = make_department(), make_department()
    a = make_dataset("人口基本信息", department=other, items=[("姓名", False), ("公民身份号码", True)], price=12.5)
    b = make_dataset("户籍迁移记录", department=own, share_attribute="unconditional",
                     items=[("姓名", False), ("迁入地址", False)])
    login(make_user("requester", department=own))
    html = client.get(f"/compare?ids={a.id},{b.id}").get_data(as_text=True)
    assert _cols(html) == ["人口基本信息", "户籍迁移记录"]
    items = html.split('class="data-table compare-items"', 1)[1]
    names = re.findall(r'<th scope="row">([^<]+?)[ <]', items)
    assert names == ["姓名", "公民身份号码", "迁入地址"]  # shared by both first, then in order of appearance
    row = items.split("公民身份号码", 1)[1].split("</tr>", 1)[0]
    assert "敏感" in row and row.count("✓") == 1 and row.count("—") == 1
    assert "¥12.50" in html and "未定价" in html
    # the first can be requested (another department's), the second is the user's own
    action = html.split('class="compare-action"', 1)[1].split("</tr>", 1)[0]
    assert action.count('action="/cart/items"') == 1 and f'value="{a.id}"' in action
    assert "这是本部门的数据，无需申请。" in action
    assert "质量评分" in html  # the demands package scores every entry (100 without objections)


def test_invisible_and_missing_ids_are_dropped_alike(client, make_dataset):
    shared = make_dataset("企业纳税明细", open_attribute="closed")
    open_a, open_b = make_dataset("公交线路"), make_dataset("公交站点")
    html = client.get(f"/compare?ids={open_a.id},{shared.id},{open_b.id}").get_data(as_text=True)
    assert _cols(html) == ["公交线路", "公交站点"]
    assert "企业纳税明细" not in html and str(shared.id) not in html.split("compare-link", 1)[1].split(">", 1)[0]
    assert "1 个目录不存在或您无权查看" in html
    missing = client.get(f"/compare?ids={open_a.id},{shared.id + 999}").get_data(as_text=True)
    assert "1 个目录不存在或您无权查看" in missing  # same answer: nothing tells hidden from missing
    assert "请选择至少 2 个目录" in missing


def test_at_most_four_and_bad_ids_are_a_clear_400(client, make_dataset):
    ids = [make_dataset(f"开放数据{n}").id for n in range(MAX_ENTRIES + 1)]
    html = client.get("/compare?ids=" + ",".join(map(str, ids))).get_data(as_text=True)
    assert len(_cols(html)) == MAX_ENTRIES and "一次最多对比 4 个目录" in html
    resp = client.get("/compare?ids=1,abc")
    assert resp.status_code == 400 and "ids" in resp.get_data(as_text=True)


def test_session_tray_add_remove_clear(client, make_dataset):
    entries = [make_dataset(f"开放目录{n}") for n in range(MAX_ENTRIES + 1)]
    token = csrf_token(client, "/compare")
    for ds in entries[:2]:
        resp = client.post("/compare/add", data={"dataset_id": ds.id, "csrf_token": token, "next": "/datasets?q=x"})
        assert resp.status_code == 303 and resp.headers["Location"].endswith("/datasets?q=x")
    html = client.get("/compare").get_data(as_text=True)
    assert _cols(html) == ["开放目录0", "开放目录1"] and "我的对比栏（2/4）" in html
    assert f"ids={entries[0].id},{entries[1].id}" in html  # the shareable link
    for ds in entries[2:]:
        client.post("/compare/add", data={"dataset_id": ds.id, "csrf_token": token})
    full = client.get("/compare").get_data(as_text=True)
    assert len(_cols(full)) == MAX_ENTRIES and "开放目录4" not in full
    client.post("/compare/remove", data={"dataset_id": entries[0].id, "csrf_token": token})
    assert "开放目录0" not in client.get("/compare").get_data(as_text=True)
    client.post("/compare/clear", data={"csrf_token": token})
    assert "对比栏是空的" in client.get("/compare").get_data(as_text=True)


def test_tray_refuses_invisible_entries_offsite_redirects_and_missing_csrf(client, make_dataset):
    hidden, ds = make_dataset("不开放数据", open_attribute="closed"), make_dataset("开放数据")
    token = csrf_token(client, "/compare")
    resp = client.post("/compare/add", data={"dataset_id": hidden.id, "csrf_token": token}, follow_redirects=True)
    assert "无权查看" in resp.get_data(as_text=True) and "不开放数据" not in resp.get_data(as_text=True)
    for evil in ("//evil.example/", "/\\evil.example/", "https://evil.example/"):
        resp = client.post("/compare/add", data={"dataset_id": ds.id, "csrf_token": token, "next": evil})
        assert resp.headers["Location"].endswith("/compare")
    assert client.post("/compare/add", data={"dataset_id": ds.id}).status_code == 400


def test_cards_and_product_page_offer_add_to_compare(client, make_dataset):
    ds = make_dataset("公交线路站点")
    for path in ("/", "/datasets"):
        html = client.get(path).get_data(as_text=True)
        assert f'form="compare-add-form" name="dataset_id" value="{ds.id}"' in html, path
        assert html.count('id="compare-add-form"') == 1 and 'action="/compare/add"' in html, path
    # the product grid is a GET form: the compare form (with its CSRF token) must not be nested in it
    grid = client.get("/datasets").get_data(as_text=True).split('id="browse-form"', 1)[1].split("</form>", 1)[0]
    assert "<form" not in grid and "csrf_token" not in grid
    assert 'action="/compare/add"' in client.get(f"/datasets/{ds.id}").get_data(as_text=True)
