"""The CKAN Action API, driven by the real ``ckanapi`` client over HTTP and by raw requests for the
envelope and error shapes."""

from __future__ import annotations

import ckanapi
import pytest

from market.db import db


@pytest.fixture
def shop(make_department, make_category, make_dataset):
    edu, health = make_department(code="EDU", name="市教育局"), make_department(code="HEA", name="市卫健委")
    school, medical = make_category(code="edu", name="教育"), make_category(code="med", name="医疗")
    made = {
        "schools": make_dataset("学校名录", department=edu, category=school, tags=["学校", "教育"],
                                formats=["CSV", "JSON"], open_attribute="open"),
        "teachers": make_dataset("教师资格统计", department=edu, category=school, tags=["教育"],
                                 formats=["XLSX"], open_attribute="conditional"),
        "clinics": make_dataset("医疗机构名录", department=health, category=medical, tags=["医院"],
                                formats=["CSV"], open_attribute="open", update_frequency="daily"),
        "vaccines": make_dataset("疫苗接种点", department=health, category=medical, tags=["医院", "疫苗"],
                                 formats=["JSON"], open_attribute="open"),
        "closed": make_dataset("学生学籍明细", department=edu, category=school, tags=["学校"],
                               open_attribute="closed", level=3),
        "draft": make_dataset("草稿目录", department=edu, status="draft"),
        "retired": make_dataset("下架目录", department=health, status="retired"),
    }
    return {k: v.code for k, v in made.items()}


OPEN = ("schools", "teachers", "clinics", "vaccines")


def test_ckanapi_pages_through_every_visible_package(live_url, shop):
    ckan = ckanapi.RemoteCKAN(live_url)
    seen, start = [], 0
    while True:
        page = ckan.action.package_search(q="", rows=3, start=start, sort="name asc")
        seen += [p["name"] for p in page["results"]]
        start += 3
        if start >= page["count"]:
            break
    assert page["count"] == len(OPEN)
    assert seen == sorted(shop[k] for k in OPEN)
    assert ckan.action.package_list() == sorted(shop[k] for k in OPEN)
    newest = ckan.action.current_package_list_with_resources(limit=100)
    assert {p["name"] for p in newest} == {shop[k] for k in OPEN}


def test_ckanapi_faceted_search(live_url, shop):
    ckan = ckanapi.RemoteCKAN(live_url)
    res = ckan.action.package_search(fq="organization:EDU", facet=True,
                                     **{"facet.field": '["organization", "tags", "res_format", "groups"]'})
    assert {p["name"] for p in res["results"]} == {shop["schools"], shop["teachers"]}
    assert res["facets"]["tags"] == {"教育": 2, "学校": 1}
    assert res["facets"]["res_format"] == {"CSV": 1, "JSON": 1, "XLSX": 1}
    org_items = {i["name"]: i for i in res["search_facets"]["organization"]["items"]}
    assert org_items["EDU"]["display_name"] == "市教育局"

    both = ckan.action.package_search(fq='tags:(疫苗 OR 学校) res_format:JSON')
    assert {p["name"] for p in both["results"]} == {shop["schools"], shop["vaccines"]}
    frequent = ckan.action.package_search(**{"facet.field": '["tags"]', "facet.mincount": 2})
    assert frequent["facets"]["tags"] == {"医院": 2, "教育": 2}  # 学校 and 疫苗 tag one entry each
    top = ckan.action.package_search(**{"facet.field": '["tags"]', "facet.limit": 1})
    assert top["facets"]["tags"] == {"医院": 2}  # ties are ordered by value
    text = ckan.action.package_search(q="医疗机构")
    assert [p["name"] for p in text["results"]] == [shop["clinics"]]


def test_ckanapi_reads_organizations_groups_tags_and_resources(live_url, shop):
    ckan = ckanapi.RemoteCKAN(live_url)
    assert ckan.action.organization_list() == ["HEA", "EDU"]  # sorted by title: 市卫健委 < 市教育局
    orgs = {o["name"]: o for o in ckan.action.organization_list(all_fields=True)}
    assert orgs["EDU"]["package_count"] == 2 and orgs["HEA"]["package_count"] == 2
    edu = ckan.action.organization_show(id="EDU", include_datasets=True)
    assert edu["title"] == "市教育局" and {p["name"] for p in edu["packages"]} == {shop["schools"], shop["teachers"]}
    assert ckan.action.organization_show(id="市卫健委")["name"] == "HEA"
    assert sorted(ckan.action.group_list()) == ["edu", "med"]
    assert ckan.action.group_show(id="med")["package_count"] == 2
    assert ckan.action.tag_list() == sorted({"学校", "教育", "医院", "疫苗"})
    assert ckan.action.tag_list(query="疫") == ["疫苗"]

    pkg = ckan.action.package_show(id=shop["schools"])
    assert pkg["organization"]["name"] == "EDU" and pkg["groups"][0]["title"] == "教育"
    extras = {e["key"]: e["value"] for e in pkg["extras"]}
    assert extras["open_attribute"] == "open" and extras["share_attribute"] == "conditional"
    assert extras["level"] == "2" and extras["code"] == shop["schools"]
    formats = [r["format"] for r in pkg["resources"]]
    assert formats[:2] == ["CSV", "JSON"] and "API" in formats
    resource = ckan.action.resource_show(id=pkg["resources"][0]["id"])
    assert resource["package_id"] == shop["schools"] and resource["mimetype"] == "text/csv"
    assert ckan.action.status_show()["ckan_version"].startswith("2.")


def test_closed_drafts_and_retired_never_reach_anonymous_callers(live_url, shop, make_user, api_token):
    ckan = ckanapi.RemoteCKAN(live_url)
    for key in ("closed", "draft", "retired"):
        with pytest.raises(ckanapi.NotFound):
            ckan.action.package_show(id=shop[key])
    assert shop["closed"] not in ckan.action.package_list()
    assert ckan.action.organization_show(id="EDU")["package_count"] == 2

    staff = api_token(make_user("requester"))["Authorization"].removeprefix("Bearer ")
    as_staff = ckanapi.RemoteCKAN(live_url, apikey=staff)  # sends "Authorization: <token>", as CKAN clients do
    assert as_staff.action.package_show(id=shop["closed"])["name"] == shop["closed"]
    assert as_staff.action.package_search(rows=100)["count"] == len(OPEN) + 1
    with pytest.raises(ckanapi.NotFound):
        as_staff.action.package_show(id=shop["draft"])
    with pytest.raises(ckanapi.NotAuthorized):
        ckanapi.RemoteCKAN(live_url, apikey="not-a-token").action.package_list()


def test_sorts_and_unaligned_windows(client, shop):
    def names(**params):
        body = client.get("/api/3/action/package_search", query_string={"rows": 100, **params}).get_json()
        assert body["success"] is True, body
        return [p["name"] for p in body["result"]["results"]]

    by_title = names(sort="title_string asc")
    titles = [client.get(f"/api/3/action/package_show?id={n}").get_json()["result"]["title"] for n in by_title]
    assert titles == sorted(titles)
    assert names(sort="name desc") == sorted(by_title, reverse=True)
    full = names(sort="name asc")
    assert names(sort="name asc", rows=2, start=1) == full[1:3]
    assert names(sort="score desc", rows=3, start=2) == names(sort="score desc")[2:5]


def test_get_and_post_share_one_envelope_without_csrf(client, shop):
    get = client.get("/api/3/action/package_show", query_string={"id": shop["clinics"]}).get_json()
    post = client.post("/api/3/action/package_show", json={"id": shop["clinics"]})
    assert post.status_code == 200  # no CSRF token: the actions are read-only
    assert post.get_json()["result"] == get["result"]
    assert get["help"].endswith("help_show?name=package_show")
    legacy = client.post("/api/action/package_list", json={})
    assert legacy.get_json()["result"] == client.get("/api/3/action/package_list").get_json()["result"]
    assert "facet.field" in client.get("/api/3/action/help_show?name=package_search").get_json()["result"]


@pytest.mark.parametrize(("path", "status", "kind", "words"), [
    ("/api/3/action/package_show?id=NOPE", 404, "Not Found Error", "NOPE"),
    ("/api/3/action/package_show", 409, "Validation Error", "id"),
    ("/api/3/action/package_search?rows=ten", 409, "Validation Error", "rows"),
    ("/api/3/action/package_search?start=-1", 409, "Validation Error", "start"),
    ("/api/3/action/package_search?fq=author:x", 400, "Search Query Error", "author"),
    ("/api/3/action/package_search?fq=tags:a%20tags:b", 400, "Search Query Error", "tags:(a OR b)"),
    ("/api/3/action/package_search?sort=colour%20asc", 400, "Search Query Error", "sort"),
    ("/api/3/action/package_search?facet.field=[1]", 409, "Validation Error", "facet.field"),
    ("/api/3/action/package_delete", 400, "Bad Request", "package_delete"),
])
def test_errors_use_ckans_shape(client, shop, path, status, kind, words):
    resp = client.get(path)
    body = resp.get_json()
    assert resp.status_code == status and body["success"] is False
    assert body["error"]["__type"] == kind and words in body["error"]["message"]
    db.session.rollback()


def test_rows_are_capped_and_rows_zero_counts(client, shop):
    body = client.get("/api/3/action/package_search?rows=0&facet.field=[\"organization\"]").get_json()["result"]
    assert body["count"] == len(OPEN) and body["results"] == []
    assert body["facets"]["organization"] == {"EDU": 2, "HEA": 2}
    big = client.get("/api/3/action/package_search?rows=5000").get_json()["result"]
    assert len(big["results"]) == len(OPEN)
