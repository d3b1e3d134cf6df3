"""Every page and endpoint × every role, checked on the server side (not by hidden buttons)."""

import pytest

from market.db import db
from tests.conftest import csrf_token

ROLES = ["anonymous", "public", "requester", "officer_own", "officer_other", "operator"]


@pytest.fixture
def world(make_department, make_user, make_dataset):
    own, other = make_department(), make_department()
    users = {
        "public": make_user("public"),
        "requester": make_user("requester", department=other),
        "officer_own": make_user("officer", department=own),
        "officer_other": make_user("officer", department=other),
        "operator": make_user("operator"),
    }
    data = {
        "open": make_dataset("开放数据", department=own, open_attribute="open"),
        "closed": make_dataset("内部共享数据", department=own, open_attribute="closed"),
        "draft": make_dataset("草稿数据", department=own, status="draft", open_attribute="open"),
        "retired": make_dataset("下架数据", department=own, status="retired", open_attribute="open"),
    }
    ids = {k: v.id for k, v in data.items()}
    from orders.services import add_to_cart, submit_access_request

    add_to_cart(users["requester"], data["closed"].id)
    req, _created = submit_access_request(users["requester"], purpose="权限矩阵测试用途", period_days=30)
    db.session.commit()
    ids.update(request=req.id, line=req.lines[0].id)
    return {"users": users, "ids": ids, "own": own.code}


def as_role(client, world, role, login):
    if role != "anonymous":
        login(world["users"][role])


# (method, path template, {role: expected status}); "_" = every role not listed.
PAGES = [
    ("GET", "/", {"_": 200}),
    ("GET", "/datasets", {"_": 200}),
    ("GET", "/datasets?q=数据&level=1&share_attribute=conditional", {"_": 200}),
    ("GET", "/datasets/{open}", {"_": 200}),
    ("GET", "/datasets/{closed}", {"anonymous": 404, "public": 404, "_": 200}),
    ("GET", "/datasets/{draft}", {"officer_own": 200, "operator": 200, "_": 404}),
    ("GET", "/datasets/{retired}", {"officer_own": 200, "operator": 200, "_": 404}),
    ("GET", "/manage", {"anonymous": 302, "officer_own": 200, "officer_other": 200, "operator": 200, "_": 403}),
    ("GET", "/datasets/new", {"anonymous": 302, "officer_own": 200, "officer_other": 200, "operator": 200,
                              "_": 403}),
    ("GET", "/datasets/{open}/edit", {"anonymous": 302, "officer_own": 200, "operator": 200, "_": 403}),
    ("GET", "/datasets/{open}/history", {"anonymous": 302, "officer_own": 200, "operator": 200, "_": 403}),
    ("POST", "/datasets/{draft}/publish", {"anonymous": 302, "officer_own": 302, "operator": 302,
                                           "officer_other": 404, "_": 403}),
    ("POST", "/datasets/{open}/retire", {"anonymous": 302, "officer_own": 302, "operator": 302, "_": 403}),
    ("GET", "/api/v1/datasets", {"_": 200}),
    ("GET", "/api/v1/datasets/{open}", {"_": 200}),
    ("GET", "/api/v1/datasets/{closed}", {"anonymous": 404, "public": 404, "_": 200}),
    ("GET", "/api/v1/datasets/{draft}", {"officer_own": 200, "operator": 200, "_": 404}),
    ("GET", "/api/v1/datasets/{open}/history", {"anonymous": 401, "officer_own": 200, "operator": 200, "_": 403}),
    ("PATCH", "/api/v1/datasets/{open}", {"anonymous": 401, "officer_own": 200, "operator": 200, "_": 403}),
    ("POST", "/api/v1/datasets/{draft}/publish", {"anonymous": 401, "officer_own": 200, "operator": 200,
                                                  "officer_other": 404, "_": 403}),
    ("POST", "/api/v1/datasets/{open}/retire", {"anonymous": 401, "officer_own": 200, "operator": 200, "_": 403}),
    ("POST", "/api/v1/datasets", {"anonymous": 401, "officer_own": 201, "officer_other": 201, "operator": 201,
                                  "_": 403}),
    ("GET", "/api/v1/departments", {"_": 200}),
    # orders: cart, checkout, requests (the requester's own, owned by officer_own's department), approvals
    ("GET", "/cart", {"anonymous": 302, "requester": 200, "officer_own": 200, "officer_other": 200, "_": 403}),
    ("GET", "/checkout", {"anonymous": 302, "requester": 200, "officer_own": 200, "officer_other": 200, "_": 403}),
    ("GET", "/requests", {"anonymous": 302, "_": 200}),
    ("GET", "/requests/{request}", {"anonymous": 302, "requester": 200, "officer_own": 200, "operator": 200,
                                    "_": 404}),
    ("GET", "/approvals", {"anonymous": 302, "officer_own": 200, "officer_other": 200, "operator": 200, "_": 403}),
    ("POST", "/requests/{request}/lines/{line}/withdraw", {"anonymous": 302, "officer_other": 404, "public": 404,
                                                           "_": 302}),
    ("GET", "/api/v1/cart", {"anonymous": 401, "requester": 200, "officer_own": 200, "officer_other": 200,
                             "_": 403}),
    ("POST", "/api/v1/cart/items", {"anonymous": 401, "requester": 422, "officer_own": 422, "officer_other": 422,
                                    "_": 403}),
    ("GET", "/api/v1/requests/{request}", {"anonymous": 401, "requester": 200, "officer_own": 200,
                                           "operator": 200, "_": 404}),
    ("POST", "/api/v1/requests/{request}/lines/{line}/decision", {"anonymous": 401, "officer_own": 422,
                                                                  "operator": 422, "officer_other": 404,
                                                                  "_": 403}),
    ("GET", "/api/v1/approvals", {"anonymous": 401, "officer_own": 200, "officer_other": 200, "operator": 200,
                                  "_": 403}),
    ("GET", "/api/v1/grants", {"anonymous": 401, "_": 200}),
    ("GET", "/api/v1/routing-rules", {"anonymous": 401, "officer_own": 200, "officer_other": 200, "operator": 200,
                                      "_": 403}),
    # dashboard (dashboard/): officers see their own department, operators the city
    ("GET", "/dashboard", {"anonymous": 302, "officer_own": 200, "officer_other": 200, "operator": 200, "_": 403}),
    ("GET", "/api/v1/dashboard", {"anonymous": 401, "officer_own": 200, "officer_other": 200, "operator": 200,
                                  "_": 403}),
    ("GET", "/api/v1/dashboard?format=csv&table=approval_time", {"anonymous": 401, "officer_own": 200,
                                                                 "officer_other": 200, "operator": 200, "_": 403}),
    # traceable copies (watermark/): operators only; a POST without a file is refused with 400
    ("GET", "/trace", {"anonymous": 302, "operator": 200, "_": 403}),
    ("POST", "/trace", {"anonymous": 302, "operator": 400, "_": 403}),
    ("GET", "/api/v1/openapi.json", {"_": 200}),
    ("GET", "/healthz", {"_": 200}),
    # open data (opendata/): CKAN API and DCAT export are open to all; closed entries never leak
    ("GET", "/api/3/action/package_search?fq=level:2", {"_": 200}),
    ("POST", "/api/3/action/package_list", {"_": 200}),
    ("GET", "/api/3/action/organization_list", {"_": 200}),
    ("GET", "/catalog.ttl", {"_": 200}),
    ("GET", "/catalog.jsonld", {"_": 200}),
    ("GET", "/datasets/{open}.ttl", {"_": 200}),
    ("GET", "/datasets/{closed}.jsonld", {"_": 404}),
    ("GET", "/datasets/{draft}.ttl", {"_": 404}),
]

BODY = {"title": "新建目录", "summary": "摘要", "share_attribute": "conditional", "open_attribute": "closed",
        "level": 2, "items": [{"name": "字段一"}]}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("method", "path", "expected"), PAGES, ids=[f"{m} {p}" for m, p, _ in PAGES])
def test_matrix(client, login, world, role, method, path, expected):
    as_role(client, world, role, login)
    url = path.format(**world["ids"])
    want = expected.get(role, expected.get("_"))
    kwargs = {}
    if method != "GET":
        token = csrf_token(client)
        if url.startswith("/api/"):
            body = dict(BODY, department=world["own"]) if method == "POST" and url.endswith("/datasets") else BODY
            kwargs = {"json": body if method in ("POST", "PATCH") and not url.endswith(("publish", "retire")) else {},
                      "headers": {"X-CSRFToken": token}}
        else:
            kwargs = {"data": {"csrf_token": token}}
    resp = client.open(url, method=method, **kwargs)
    assert resp.status_code == want, (role, method, url, resp.get_data(as_text=True)[:300])
    if url.startswith("/api/") and resp.status_code >= 400:
        err = resp.get_json()["error"]
        assert err["code"] and err["message"]
    db.session.rollback()
