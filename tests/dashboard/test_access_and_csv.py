"""Who may see the dashboard, argument checks, and the CSV export of every table (the same rows as the JSON)."""

from __future__ import annotations

import csv
import io

import pytest

from dashboard.tables import TABLES

PERIOD = "from=2026-03-01&to=2026-03-31"


def test_anonymous_gets_401_and_login_redirect(client, history):
    resp = client.get("/api/v1/dashboard")
    assert resp.status_code == 401
    page = client.get("/dashboard")
    assert page.status_code == 302 and "/login" in page.headers["Location"]


@pytest.mark.parametrize("role", ["requester", "public"])
def test_other_roles_are_refused(client, api_token, make_user, role, history):
    user = make_user(role)
    assert client.get("/api/v1/dashboard", headers=api_token(user)).status_code == 403


def test_nav_hidden_from_requesters(client, login, make_user, history):
    login(history.requester)
    assert 'href="/dashboard"' not in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize("query, field", [
    ("from=2026-04-01&to=2026-03-01", "from"),
    ("from=not-a-date", "from"),
    ("from=1999-12-31&to=2000-01-05", "from"),
    ("from=2001-01-01&to=2026-01-01", "to"),
    ("format=csv", "table"),
    ("format=csv&table=nope", "table"),
    ("format=xml", "format"),
])
def test_bad_arguments_are_422_naming_the_field(client, api_token, history, query, field):
    resp = client.get(f"/api/v1/dashboard?{query}", headers=api_token(history.operator))
    assert resp.status_code == 422, resp.get_json()
    assert field in resp.get_json()["error"]["fields"]


def test_unknown_department_is_404(client, api_token, history):
    resp = client.get("/api/v1/dashboard?department=NOPE", headers=api_token(history.operator))
    assert resp.status_code == 404 and resp.get_json()["error"]["code"] == "department_not_found"


def test_bad_date_on_the_page_falls_back_with_a_message(client, login, history):
    login(history.operator)
    resp = client.get("/dashboard?from=yesterday")
    assert resp.status_code == 200
    assert "flash-error" in resp.get_data(as_text=True)


def _rows(text: str) -> list[list[str]]:
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, str) and value[:1] in "=+-@":
        return "'" + value
    return str(value)


@pytest.mark.parametrize("query", [PERIOD, PERIOD + "&department=DA"])
def test_every_csv_table_matches_the_json(client, api_token, history, query):
    headers = api_token(history.operator)
    data = client.get(f"/api/v1/dashboard?{query}", headers=headers).get_json()
    exported = 0
    for name, table in TABLES.items():
        resp = client.get(f"/api/v1/dashboard?{query}&format=csv&table={name}", headers=headers)
        expected = table.rows(data)
        if expected is None:  # the feeding package is not installed
            assert resp.status_code == 404
            continue
        assert resp.status_code == 200 and resp.mimetype == "text/csv"
        assert "attachment" in resp.headers["Content-Disposition"]
        rows = _rows(resp.get_data(as_text=True))
        assert rows[0] == list(table.columns)
        assert rows[1:] == [[_cell(r.get(c)) for c in table.columns] for r in expected]
        exported += 1
    assert exported >= 9


def test_csv_numbers_and_formula_guard(client, api_token, history):
    headers = api_token(history.operator)
    text = client.get(f"/api/v1/dashboard?{PERIOD}&format=csv&table=approval_time", headers=headers).get_data(
        as_text=True)
    assert _rows(text)[1:] == [["compliance", "1", "2.0", "2.0"], ["owner", "8", "7.0", "23.0"],
                               ["platform", "2", "6.5", "9.3"]]
    top = _rows(client.get(f"/api/v1/dashboard?{PERIOD}&format=csv&table=top_requested",
                           headers=headers).get_data(as_text=True))
    assert ["'=乙二"] == [r[2] for r in top[1:] if "乙二" in r[2]]


def test_page_export_links_download_csv(client, login, history):
    login(history.officer_a)
    html = client.get(f"/dashboard?{PERIOD}").get_data(as_text=True)
    assert "format=csv" in html and "table=approval_time" in html
    resp = client.get(f"/dashboard?{PERIOD}&format=csv&table=share_rate_by_department")
    assert resp.status_code == 200
    rows = _rows(resp.get_data(as_text=True))
    assert [r[1] for r in rows[1:]] == ["甲局"] and rows[1][2] == "0.75"


def test_openapi_documents_the_endpoint(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    params = {p["name"] for p in spec["paths"]["/api/v1/dashboard"]["get"]["parameters"]}
    assert {"from", "to", "department", "format", "table"} <= params
