"""Every page and endpoint × every role, checked on the server side (not by hidden buttons)."""

import datetime

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
    ("GET", "/cart", {"anonymous": 302, "public": 200, "requester": 200, "officer_own": 200, "officer_other": 200,
                      "_": 403}),
    ("GET", "/checkout", {"anonymous": 302, "public": 200, "requester": 200, "officer_own": 200, "officer_other": 200,
                          "_": 403}),
    ("GET", "/requests", {"anonymous": 302, "_": 200}),
    ("GET", "/requests/{request}", {"anonymous": 302, "requester": 200, "officer_own": 200, "operator": 200,
                                    "_": 404}),
    ("GET", "/approvals", {"anonymous": 302, "officer_own": 200, "officer_other": 200, "operator": 200, "_": 403}),
    # only the requester withdraws; parties who can see the line are refused (403), the others told it is not there
    ("POST", "/requests/{request}/lines/{line}/withdraw", {"anonymous": 302, "officer_other": 404, "public": 404,
                                                           "officer_own": 403, "operator": 403, "requester": 302}),
    ("GET", "/api/v1/cart", {"anonymous": 401, "public": 200, "requester": 200, "officer_own": 200, "officer_other": 200,
                             "_": 403}),
    ("POST", "/api/v1/cart/items", {"anonymous": 401, "public": 422, "requester": 422, "officer_own": 422, "officer_other": 422,
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


# ---------------------------------------------------------------------------------------------------------------
# Every route of the URL map is classified. PAGES above pins exact answers for the foundation; ROUTES below covers
# every other (method, endpoint) — new packages included — with a world that holds owned objects of each kind
# (the requester's demand, objection, review, API key and notification, on entries of officer_own's department).
# Expected values: an int is the exact status; OK means "let in": not 401/403, not a redirect to the login page,
# not a server error (a 404 for a deliberately missing object, a 422 for an empty form, a 302 after a form are
# all "let in"). A route added without a row here makes test_every_route_is_classified fail.

OK = "ok"
REFUSED = "refused"  # HTML forms: 403, or back to the page with an error flash (never a change)
OFFICERS = ("officer_own", "officer_other")
SHOPPERS = ("public", "requester", *OFFICERS)  # the public apply for conditional-open entries
STAFF = (*OFFICERS, "operator")


def _expand(roles):
    out = []
    for r in roles:
        out.extend(OFFICERS if r == "officer" else (r,))
    return out


def anyone(ok=OK, **over):
    return {"_": ok, **over}


def signed_in(ok=OK, api=False, **over):
    return {"anonymous": 401 if api else 302, "_": ok, **over}


def only(*roles, api=False, ok=OK, deny=403, **over):
    want = {"anonymous": 401 if api else 302, "_": deny}
    want.update({r: ok for r in _expand(roles)})
    want.update(over)
    return want


A = {"api": True}
# only the owner (the requester) is let in; everyone else is told the object does not exist
OWNER_ONLY = {"anonymous": 302, "requester": OK, "_": 404}
OWNER_ONLY_API = {**OWNER_ONLY, "anonymous": 401}
# an object of officer_own's department, raised by the requester: owner, that department and operators
PARTIES = {"anonymous": 302, "requester": OK, "officer_own": OK, "operator": OK, "_": 404}
PARTIES_API = {**PARTIES, "anonymous": 401}

ROUTES = [
    # catalog, auth, platform
    ("GET", "/compare", anyone(200)),
    ("POST", "/compare/add", anyone()),
    ("POST", "/compare/remove", anyone()),
    ("POST", "/compare/clear", anyone()),
    ("POST", "/datasets/new", only(*STAFF)),
    ("POST", "/datasets/{open}/edit", only("officer_own", "operator")),
    ("GET", "/login", anyone(302, anonymous=200)),  # signed in: sent home
    ("POST", "/login", anyone()),
    ("POST", "/logout", anyone(302)),
    ("POST", "/api/v1/auth/token", anyone(422)),
    ("GET", "/static/market.css", anyone(200)),
    ("GET", "/api/action/package_list", anyone(200)),
    ("GET", "/datasets/{closed}.ttl", anyone(404)),
    ("GET", "/catalog.jsonld", anyone(200)),
    # orders
    ("GET", "/approvals/overdue", only(*STAFF)),
    ("GET", "/approvals/overview", only("operator")),
    ("POST", "/approvals/batch", only(*STAFF)),
    ("GET", "/api/v1/approvals/overdue", only(*STAFF, **A)),
    ("GET", "/api/v1/approvals/overview", only("operator", **A)),
    ("POST", "/api/v1/approvals/batch", only(*STAFF, **A)),
    ("POST", "/cart/items", only(*SHOPPERS)),
    ("POST", "/cart/items/{open}/remove", only(*SHOPPERS)),
    ("POST", "/checkout", only(*SHOPPERS)),
    ("DELETE", "/api/v1/cart/items/{open}", only(*SHOPPERS, **A)),
    ("POST", "/api/v1/requests", only(*SHOPPERS, **A)),
    ("GET", "/api/v1/requests", signed_in(**A)),
    ("POST", "/requests/{request}/lines/{line}/decision", {"anonymous": 302, "officer_own": OK, "operator": OK,
                                                           "officer_other": 404, "_": 403}),
    # the approver asked for more information (ASK below): only the requester answers or withdraws; parties
    # who can see the line are refused with 403 (not yours), not 409 (wrong state)
    ("POST", "/requests/{request}/lines/{line}/answer", {**OWNER_ONLY, "officer_own": 403, "operator": 403}),
    ("POST", "/api/v1/requests/{request}/lines/{line}/answer", {**OWNER_ONLY_API, "officer_own": 403,
                                                                 "operator": 403}),
    ("POST", "/api/v1/requests/{request}/lines/{line}/withdraw", {**OWNER_ONLY_API, "officer_own": 403, "operator": 403}),
    ("PUT", "/api/v1/routing-rules", only("operator", **A)),
    # delivery: API keys are the owner's; data upload is the owning department's; queries need a grant
    ("GET", "/account/api-keys", signed_in()),
    ("POST", "/account/api-keys", signed_in()),
    ("POST", "/account/api-keys/{key}/revoke", {**OWNER_ONLY, "operator": OK}),  # operators revoke any key
    ("GET", "/api/v1/api-keys", signed_in(**A)),
    ("POST", "/api/v1/api-keys", signed_in(**A)),
    ("DELETE", "/api/v1/api-keys/{key}", {**OWNER_ONLY_API, "operator": OK}),
    ("GET", "/datasets/{open}/data", only("officer_own", "operator")),
    ("POST", "/datasets/{open}/data", only("officer_own", "operator")),
    ("GET", "/api/v1/datasets/{open}/data", only("officer_own", "operator", **A)),
    ("POST", "/api/v1/datasets/{open}/data", only("officer_own", "operator", **A)),
    ("GET", "/api/v1/datasets/{open}/download", anyone()),
    ("GET", "/api/v1/datasets/{closed}/download", {"anonymous": 404, "public": 404, "officer_own": OK,
                                                   "operator": OK, "_": 403}),
    ("GET", "/api/v1/datasets/{open}/records", signed_in(**A)),  # open data: an API key or a sign-in
    ("GET", "/api/v1/datasets/{closed}/records", {"anonymous": 401, "public": 404, "officer_own": OK,
                                                  "operator": OK, "_": 403}),
    ("POST", "/api/v1/datasets/{closed}/query", {"anonymous": 401, "public": 404, "officer_own": OK,
                                                 "operator": OK, "_": 403}),
    ("GET", "/datasets/{closed}/query", {"anonymous": 302, "public": 404, "_": 200}),
    ("POST", "/datasets/{closed}/query", {"anonymous": 302, "public": 404, "officer_own": OK, "operator": OK,
                                          "_": REFUSED}),
    ("GET", "/api/v1/grants/{none}/download", signed_in(ok=404, **A)),
    ("GET", "/grants", signed_in(200)),
    ("POST", "/grants/{none}/renew", signed_in(404)),
    # notify: a notification is its addressee's
    ("GET", "/notifications", signed_in(200)),
    ("POST", "/notifications/read", signed_in()),
    ("POST", "/notifications/{note}/open", OWNER_ONLY),
    ("GET", "/api/v1/notifications", signed_in(200, **A)),
    ("POST", "/api/v1/notifications/read", signed_in(**A)),
    # demands: anyone signed in posts and supports; operators route; the routed department answers
    ("GET", "/demands", signed_in(200)),
    ("GET", "/demands/new", signed_in(200)),
    ("POST", "/demands/new", signed_in()),
    ("GET", "/demands/{demand}", signed_in(200)),
    ("POST", "/demands/{demand}/me-too", signed_in()),
    ("POST", "/demands/{demand}/route", only("operator")),
    ("POST", "/demands/{demand}/answer", only("officer")),
    ("POST", "/demands/{demand}/link", only("officer")),
    ("POST", "/demands/{demand}/withdraw", {"anonymous": 302, "requester": OK, "_": REFUSED}),
    ("GET", "/api/v1/demands", signed_in(200, **A)),
    ("POST", "/api/v1/demands", signed_in(**A)),
    ("GET", "/api/v1/demands/{demand}", signed_in(200, **A)),
    ("POST", "/api/v1/demands/{demand}/me-too", signed_in(**A)),
    ("POST", "/api/v1/demands/{demand}/route", only("operator", **A)),
    ("POST", "/api/v1/demands/{demand}/answer", only("officer", **A)),
    ("POST", "/api/v1/demands/{demand}/link", only("officer", **A)),
    ("POST", "/api/v1/demands/{demand}/withdraw", {"anonymous": 401, "requester": OK, "_": 403}),
    ("GET", "/objections", signed_in(200)),
    ("GET", "/objections/new", signed_in(200)),
    ("POST", "/objections/new", signed_in()),
    ("GET", "/objections/{objection}", PARTIES),
    ("POST", "/objections/{objection}/answer", {"anonymous": 302, "officer_own": OK, "officer_other": 404, "_": 403}),
    ("GET", "/api/v1/objections", signed_in(200, **A)),
    ("POST", "/api/v1/objections", signed_in(**A)),
    ("GET", "/api/v1/objections/{objection}", PARTIES_API),
    ("POST", "/api/v1/objections/{objection}/answer", {"anonymous": 401, "officer_own": OK, "officer_other": 404,
                                                          "_": 403}),
    ("GET", "/api/v1/datasets/{closed}/quality", {"anonymous": 404, "public": 404, "_": 200}),
    # ratings: reviews of the requester on officer_own's open entry; only the owner department replies
    ("GET", "/api/v1/datasets/{open}/reviews", anyone(200)),
    ("POST", "/datasets/{open}/reviews", {"anonymous": 302, "_": REFUSED}),  # nothing received yet
    ("POST", "/api/v1/datasets/{open}/reviews", {"anonymous": 401, "requester": 403, "_": 403}),  # nothing received
    ("PUT", "/api/v1/datasets/{open}/reviews/mine", {"anonymous": 401, "requester": OK, "_": 404}),
    ("PUT", "/api/v1/reviews/{review}", {"anonymous": 401, "requester": OK, "_": 403}),
    ("POST", "/reviews/{review}/reply", {"anonymous": 302, "officer_own": OK, "_": REFUSED}),
    ("POST", "/api/v1/reviews/{review}/reply", {"anonymous": 401, "officer_own": OK, "_": 403}),
    ("POST", "/reviews/{review}/report", {"anonymous": 302, "requester": REFUSED, "_": OK}),
    ("POST", "/api/v1/reviews/{review}/report", {"anonymous": 401, "requester": 403, "_": OK}),
    ("POST", "/reviews/{review}/hide", only("operator")),
    ("POST", "/reviews/{review}/unhide", only("operator")),
    ("POST", "/reviews/{review}/dismiss", only("operator")),
    ("POST", "/api/v1/reviews/{review}/hide", only("operator", **A)),
    ("POST", "/api/v1/reviews/{review}/unhide", only("operator", **A)),
    ("GET", "/ratings/reports", only("operator")),
    ("GET", "/ratings/improvements", only(*STAFF)),
    ("GET", "/api/v1/ratings/improvements", only("officer", **A)),
    # recs
    ("GET", "/bundles", anyone(200)),
    ("GET", "/api/v1/bundles", anyone(200)),
    ("GET", "/api/v1/recommendations", signed_in(200, **A)),
    ("GET", "/api/v1/datasets/{open}/recommendations", anyone(200)),
    ("GET", "/api/v1/datasets/{closed}/recommendations", {"anonymous": 404, "public": 404, "_": 200}),
    ("POST", "/bundles/{none}/cart", only("requester", "officer")),  # bundles are for department staff
    ("GET", "/bundles/new", only("operator")),
    ("POST", "/bundles/new", only("operator")),
    ("GET", "/bundles/{none}/edit", only("operator")),
    ("POST", "/bundles/{none}/edit", only("operator")),
    ("POST", "/bundles/{none}/delete", only("operator")),
    # kb: everyone reads, operators write
    ("GET", "/kb", anyone(200)),
    ("GET", "/kb/{none}", anyone(404)),
    ("GET", "/kb/{none}/attachments/{none}", anyone(404)),
    ("GET", "/kb/new", only("operator")),
    ("POST", "/kb/new", only("operator")),
    ("GET", "/kb/{none}/edit", only("operator")),
    ("POST", "/kb/{none}/edit", only("operator")),
    ("POST", "/kb/{none}/publish", only("operator")),
    ("POST", "/kb/{none}/delete", only("operator")),
    ("POST", "/kb/{none}/attachments", only("operator")),
    ("POST", "/kb/{none}/attachments/{none}/delete", only("operator")),
    # rules: officers and operators read, operators edit
    ("GET", "/rules", only(*STAFF)),
    ("GET", "/rules/routing", only(*STAFF)),
    ("POST", "/rules/routing", only("operator")),
    ("GET", "/rules/deadlines", only(*STAFF)),
    ("POST", "/rules/deadlines", only("operator")),
    ("GET", "/rules/calendar", only(*STAFF)),
    ("POST", "/rules/calendar/day", only("operator")),
    ("POST", "/rules/calendar/day/2026-10-01/delete", only("operator")),
    ("POST", "/rules/calendar/import", only("operator")),
    ("GET", "/rules/synonyms", only(*STAFF)),
    ("POST", "/rules/synonyms", only("operator")),
    ("POST", "/rules/synonyms/{none}/delete", only("operator")),
    ("GET", "/rules/terms", only(*STAFF)),
    ("GET", "/rules/terms/new", only("operator")),
    ("POST", "/rules/terms/new", only("operator")),
    ("GET", "/rules/terms/{none}/edit", only("operator")),
    ("POST", "/rules/terms/{none}/edit", only("operator")),
    ("POST", "/rules/terms/{none}/delete", only("operator")),
    ("GET", "/rules/standards", only(*STAFF)),
    ("GET", "/rules/standards/{none}", only(*STAFF)),
    ("GET", "/rules/standards/new", only("operator")),
    ("POST", "/rules/standards/new", only("operator")),
    ("GET", "/rules/standards/{none}/edit", only("operator")),
    ("POST", "/rules/standards/{none}/edit", only("operator")),
    ("POST", "/rules/standards/{none}/delete", only("operator")),
    ("POST", "/rules/standards/{none}/link", only("operator")),
    ("GET", "/rules/routing/history", only(*STAFF)),
    # trading: the owning department prices its entries; buyers are department staff; payments are the buyer's
    ("GET", "/api/v1/datasets/{open}/products", anyone(200)),
    ("GET", "/api/v1/payments", signed_in(200, **A)),
    ("GET", "/api/v1/payments/{none}", signed_in(404, **A)),
    ("POST", "/api/v1/payments/{none}/pay", signed_in(404, **A)),
    ("POST", "/api/v1/payments/{none}/cancel", signed_in(404, **A)),
    ("POST", "/api/v1/payments/{none}/refund", signed_in(404, **A)),
    ("POST", "/api/v1/payments/webhook", anyone(409)),  # payments not configured in tests
    ("POST", "/trading/datasets/{open}/products", only("officer_own", "operator", deny=REFUSED)),
    ("POST", "/trading/products/{none}/withdraw", signed_in(404)),
    ("POST", "/trading/datasets/{open}/block", only("operator")),
    ("POST", "/trading/departments/{none}/block", only("operator")),
    ("POST", "/trading/datasets/{open}/buy", only("requester", "officer")),
    ("POST", "/trading/payments/{none}/pay", signed_in(404)),
    ("POST", "/trading/payments/{none}/cancel", signed_in(404)),
    ("POST", "/trading/payments/{none}/refund", signed_in(404)),
    ("GET", "/trading/payments/{none}/receipt", signed_in(404)),
    ("GET", "/trading/payments/{none}/receipt.csv", signed_in(404)),
    # the requester's payment to officer_own's department: the buyer, that department and operators see it;
    # only that department and operators refund it
    ("GET", "/trading/payments/{payment}/receipt", PARTIES),
    ("GET", "/trading/payments/{payment}/receipt.csv", PARTIES),
    ("GET", "/api/v1/payments/{payment}", PARTIES_API),
    ("POST", "/api/v1/payments/{payment}/refund", {**PARTIES_API, "requester": 403}),
    ("GET", "/trading/ledger", signed_in(200)),  # everyone their own purchases, staff more
    ("GET", "/trading/ledger.csv", signed_in(200)),
    # opendata: harvest sources and applicant checks are the operator's; identities are the public's
    ("GET", "/harvest/sources", only("operator")),
    ("POST", "/harvest/sources", only("operator")),
    ("POST", "/harvest/sources/{none}/toggle", only("operator")),
    ("POST", "/harvest/sources/{none}/remove", only("operator")),
    ("GET", "/account/applicant", only("public")),
    ("POST", "/account/applicant", only("public")),
    ("GET", "/applicants", only("operator")),
    ("POST", "/applicants/{none}/decide", only("operator")),
]

# valid bodies where validation comes before the permission check (so the check itself is reached)
BODIES = {
    "/api/v1/requests": {"purpose": "权限矩阵测试用途说明", "period_days": 30},
    "/api/v1/requests/{request}/lines/{line}/answer": {"comment": "补充说明材料"},
    "/requests/{request}/lines/{line}/answer": {"comment": "补充说明材料"},
    "/api/v1/datasets/{closed}/query": {"key": "1", "purpose": "核对企业信息"},
    "/datasets/{closed}/query": {"key": "1", "purpose": "核对企业信息"},
    "/api/v1/datasets/{open}/reviews": {"overall": 4},
    "/datasets/{open}/reviews": {"overall": "4"},
    "/api/v1/reviews/{review}/reply": {"text": "感谢反馈"},
    "/reviews/{review}/reply": {"text": "感谢反馈"},
    "/api/v1/reviews/{review}/report": {"reason": "内容不实"},
    "/reviews/{review}/report": {"reason": "内容不实"},
    "/api/v1/reviews/{review}/hide": {"reason": "违规内容"},
    "/api/v1/reviews/{review}/unhide": {},
    "/trading/datasets/{open}/products": {"kind": "download", "amount": "10.00"},
    "/api/v1/payments/{payment}/refund": {"reason": "误购退款"},
}

# roles that change shared objects (the requester withdraws, the operator routes) go last
ROW_ORDER = ["anonymous", "public", "officer_other", "officer_own", "operator", "requester"]


@pytest.fixture
def owned(world):
    """Objects of every new kind, each the requester's, on officer_own's entries."""
    from delivery.keys import create_key
    from demands.objections import create_objection
    from demands.services import create_demand
    from notify.services import notify
    from ratings.models import Review

    requester = world["users"]["requester"]
    ids = world["ids"]
    demand = create_demand(requester, {"title": "公交到站数据需求", "purpose": "矩阵测试用途", "items": ["线路"]})
    objection = create_objection(requester, {"dataset_id": ids["open"], "kind": "wrong", "description": "数值有误"})
    review = Review(dataset_id=ids["open"], user_id=requester.id, department_id=requester.department_id, overall=4,
                    text="好用")
    db.session.add(review)
    key, _secret = create_key(requester, "矩阵测试")
    note = notify([requester], "matrix.test", "矩阵测试通知", link="/")[0]
    from orders.models import RequestLine
    from trading.models import LedgerEntry, Payment

    line = db.session.get(RequestLine, ids["line"])
    payment = Payment(line_id=line.id, request_id=ids["request"], buyer_id=requester.id,
                      department_id=line.dataset.department_id, dataset_id=line.dataset_id, kind="download",
                      amount_fen=1000, provider="stripe", intent_id="pi_matrix", status="succeeded",
                      expires_at=datetime.datetime(2099, 1, 1), paid_at=datetime.datetime(2026, 11, 1))
    db.session.add(payment)
    db.session.flush()
    db.session.add(LedgerEntry(payment_id=payment.id, request_id=ids["request"], line_id=line.id,
                               buyer_id=requester.id, department_id=payment.department_id, kind="charge",
                               amount_fen=1000, currency="cny", provider="stripe", provider_ref="ch_matrix"))
    db.session.flush()
    ids.update(demand=demand.id, objection=objection.id, review=review.id, key=key.id, note=note.id,
               payment=payment.id, none=999999)
    db.session.commit()
    return world


def _endpoint_of(app, method, url):
    from werkzeug.exceptions import HTTPException

    adapter = app.url_map.bind("localhost")
    try:
        endpoint, _args = adapter.match(url.split("?")[0], method=method)
    except HTTPException:
        return None
    return endpoint


def _sample(template):
    return template.format_map({k: 1 for k in ("open", "closed", "draft", "retired", "request", "line", "demand",
                                               "objection", "review", "key", "note", "payment", "none")})


def test_every_route_is_classified(app):
    """A new route must get a row in PAGES or ROUTES: the authorisation rules of a route are a deliberate choice."""
    classified = {(m, _endpoint_of(app, m, _sample(p))) for m, p, _w in PAGES + ROUTES}
    stale = [f"{m} {p}" for m, p, _w in PAGES + ROUTES if _endpoint_of(app, m, _sample(p)) is None]
    assert not stale, f"rows that match no route (renamed or removed?): {stale}"
    missing = []
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            if (method, rule.endpoint) not in classified:
                missing.append(f"{method} {rule.rule} ({rule.endpoint})")
    assert not missing, "routes without an authorisation row in tests/test_permission_matrix.py:\n" + "\n".join(missing)


def _let_in(resp):
    if resp.status_code in (401, 403) or resp.status_code >= 500:
        return False
    return not (resp.status_code in (301, 302, 303) and "/login" in resp.headers.get("Location", ""))


@pytest.mark.parametrize(("method", "path", "expected"), ROUTES, ids=[f"{m} {p}" for m, p, _ in ROUTES])
def test_route_matrix(app, owned, method, path, expected):
    url = path.format(**owned["ids"])
    if "/lines/{line}/answer" in path:  # ASK: the owning officer asks the requester for more information
        from orders.decisions import decide_line
        from orders.models import RequestLine

        decide_line(db.session.get(RequestLine, owned["ids"]["line"]), approver=owned["users"]["officer_own"],
                    decision="ask", comment="请补充用途证明")
        db.session.commit()
    wrong = []
    for role in ROW_ORDER:
        client = app.test_client()
        if role != "anonymous":
            token = csrf_token(client, "/login")
            user = owned["users"][role]
            assert client.post("/login", data={"username": user.username, "password": "passw0rd!",
                                               "csrf_token": token}).status_code == 302
        want = expected.get(role, expected.get("_"))
        kwargs = {}
        if method != "GET":
            token = csrf_token(client)
            body = BODIES.get(path, {})
            if url.startswith("/api/"):
                kwargs = {"json": body, "headers": {"X-CSRFToken": token}}
            else:
                kwargs = {"data": {**body, "csrf_token": token}}
        resp = client.open(url, method=method, **kwargs)
        got = resp.status_code
        if want == REFUSED:
            if got == 302 and "/login" not in resp.headers["Location"]:
                resp = client.get(resp.headers["Location"])
            ok = got == 403 or (resp.status_code in (200, 422) and "flash-error" in resp.get_data(as_text=True))
            if not ok:
                wrong.append(f"{role}: want refused, got {got} {resp.headers.get('Location', '')}")
        elif (want == OK and not _let_in(resp)) or (want != OK and got != want):
            wrong.append(f"{role}: want {want}, got {got} {resp.headers.get('Location', '')} "
                         f"{resp.get_data(as_text=True)[:160]!r}")
        if url.startswith("/api/") and got >= 400 and resp.is_json:
            assert resp.get_json()["error"]["code"], (role, url)
        resp.close()
        db.session.rollback()
    assert not wrong, f"{method} {url}:\n" + "\n".join(wrong)
