"""Every delivery page and endpoint × role, checked on the server side."""

from __future__ import annotations

import pytest

ROLES = ["anonymous", "public", "requester", "officer_own", "officer_other", "operator"]
# (method, path, {role: status}); "_" = every role not listed
ROUTES = [
    ("GET", "/grants", {"anonymous": 302, "_": 200}),
    ("GET", "/account/api-keys", {"anonymous": 302, "_": 200}),
    ("GET", "/datasets/{open}/data", {"anonymous": 302, "officer_own": 200, "operator": 200, "_": 403}),
    ("GET", "/datasets/{closed}/data", {"anonymous": 302, "public": 404, "officer_own": 200, "operator": 200,
                                        "_": 403}),
    ("GET", "/datasets/{open}/query", {"anonymous": 302, "_": 200}),
    ("GET", "/api/v1/datasets/{open}/download?format=csv", {"_": 200}),
    ("GET", "/api/v1/datasets/{closed}/download?format=csv", {"anonymous": 404, "public": 404, "officer_own": 200,
                                                              "operator": 200, "_": 403}),
    ("GET", "/api/v1/datasets/{open}/records", {"anonymous": 401, "_": 200}),
    ("GET", "/api/v1/datasets/{closed}/records", {"anonymous": 401, "public": 404, "officer_own": 200,
                                                  "operator": 200, "_": 403}),
    ("GET", "/api/v1/datasets/{open}/data", {"anonymous": 401, "officer_own": 200, "operator": 200, "_": 403}),
    ("GET", "/api/v1/api-keys", {"anonymous": 401, "_": 200}),
]


@pytest.fixture
def world(company_dataset, make_user):
    open_ds = company_dataset(3, open_attribute="open")
    closed = company_dataset(3, open_attribute="closed", department=open_ds.department)
    users = {"public": make_user("public"), "requester": make_user("requester"),
             "officer_own": make_user("officer", department=open_ds.department),
             "officer_other": make_user("officer"), "operator": make_user("operator")}
    return users, {"open": open_ds.id, "closed": closed.id}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("method", "path", "expected"), ROUTES)
def test_route_by_role(client, login, world, role, method, path, expected):
    users, ids = world
    if role != "anonymous":
        login(users[role])
    resp = client.open(path.format(**ids), method=method)
    assert resp.status_code == expected.get(role, expected["_"]), (role, path, resp.get_data(as_text=True)[:300])
