"""The known history of conftest.py gives exactly these figures, in the API and on the page.

Percentiles: linear interpolation between closest ranks (P(p) = x[k] + (h-k)(x[k+1]-x[k]), h=(n-1)p).
City owner-step hours, sorted: 1 2 4 6 8 12 20 30 → median (h=3.5) 6+0.5·2 = 7, p90 (h=6.3) 20+0.3·10 = 23.
Department A: 2 4 8 20 → median 6, p90 (h=2.7) 8+0.7·12 = 16.4. Platform: 3 10 → 6.5 and 9.3.
"""

from __future__ import annotations

import re

PERIOD = "from=2026-03-01&to=2026-03-31"


def _get(client, headers, query=""):
    resp = client.get(f"/api/v1/dashboard?{PERIOD}{query}", headers=headers)
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()


def test_city_figures_for_operator(client, api_token, history):
    d = _get(client, api_token(history.operator))
    assert d["period"] == {"from": "2026-03-01", "to": "2026-03-31"}
    assert d["scope"]["department"] is None
    share = d["on_demand_share_rate"]
    assert (share["rate"], share["fulfilled"], share["decided"], share["rejected"]) == (0.6667, 6, 9, 3)
    assert (share["withdrawn"], share["open"], share["lines"]) == (1, 3, 13)
    by_dept = {r["department"]: r for r in share["by_department"]}
    assert (by_dept["甲局"]["rate"], by_dept["甲局"]["decided"]) == (0.75, 4)
    assert (by_dept["乙局"]["rate"], by_dept["乙局"]["decided"]) == (0.6, 5)
    assert [r["month"] for r in share["by_month"]] == ["2026-03"]
    assert d["approval_time_hours"] == {
        "compliance": {"count": 1, "median": 2.0, "p90": 2.0},
        "owner": {"count": 8, "median": 7.0, "p90": 23.0},
        "platform": {"count": 2, "median": 6.5, "p90": 9.3},
    }
    assert d["deadline_breaches"] == {
        "compliance": {"decided_on_time": 1, "decided_late": 0, "open_overdue": 0, "open_in_time": 0, "total": 0},
        "owner": {"decided_on_time": 6, "decided_late": 2, "open_overdue": 1, "open_in_time": 1, "total": 3},
        "platform": {"decided_on_time": 1, "decided_late": 1, "open_overdue": 0, "open_in_time": 0, "total": 1},
        "all": {"decided_on_time": 8, "decided_late": 3, "open_overdue": 1, "open_in_time": 1, "total": 4},
    }
    top = d["top_requested"]
    assert {(r["title"], r["requests"], r["granted"]) for r in top[:2]} == {("乙一", 4, 2), ("甲二", 4, 2)}
    assert [(r["title"], r["requests"]) for r in top[2:]] == [("甲一", 4), ("=乙二", 1)]
    league = d["department_league"]
    assert [(r["rank"], r["department"], r["share_rate"], r["deadline_breaches"]) for r in league[:2]] == [
        (1, "甲局", 0.75, 3), (2, "乙局", 0.6, 1)]
    libs = {r["library"]: r["entries"] for r in d["catalog_coverage"]["libraries"]}
    assert libs == {"base": 1, "theme": 2, None: 1}


def test_department_scope_for_operator(client, api_token, history):
    d = _get(client, api_token(history.operator), "&department=DA")
    assert d["scope"]["department"]["code"] == "DA"
    assert d["on_demand_share_rate"]["rate"] == 0.75
    assert d["approval_time_hours"]["owner"] == {"count": 4, "median": 6.0, "p90": 16.4}
    assert d["deadline_breaches"]["all"]["total"] == 3
    b = _get(client, api_token(history.operator), f"&department={history.dept_b.id}")
    assert b["approval_time_hours"]["owner"] == {"count": 4, "median": 9.0, "p90": 24.6}
    assert b["on_demand_share_rate"]["rate"] == 0.6


def test_officer_sees_only_own_department(client, api_token, history):
    headers = api_token(history.officer_a)
    d = _get(client, headers)
    assert d["scope"]["department"]["code"] == "DA"
    assert d["on_demand_share_rate"]["rate"] == 0.75
    assert [r["department"] for r in d["on_demand_share_rate"]["by_department"]] == ["甲局"]
    assert d["approval_time_hours"]["owner"]["median"] == 6.0
    assert d["approval_time_hours"]["platform"] == {"count": 1, "median": 10.0, "p90": 10.0}
    assert [(r["department"], r["rank"]) for r in d["department_league"]] == [("甲局", 1)]
    assert all(r["department"] == "甲局" for r in d["top_requested"])
    assert _get(client, headers, "&department=DA")["scope"]["department"]["code"] == "DA"
    resp = client.get(f"/api/v1/dashboard?{PERIOD}&department=DB", headers=headers)
    assert resp.status_code == 403 and resp.get_json()["error"]["code"] == "other_department"


def test_page_renders_the_same_numbers(client, login, history):
    login(history.operator)
    html = client.get(f"/dashboard?{PERIOD}").get_data(as_text=True)
    assert re.search(r'id="kpi-share-rate">.*?<p class="kpi-value">66\.67%</p>', html, re.DOTALL)
    assert re.search(r'<tr data-kind="owner">.*?<td>8</td><td class="median">7\.00</td><td class="p90">23\.00</td>',
                     html)
    assert re.search(r'<tr data-kind="platform">.*?<td class="median">6\.50</td><td class="p90">9\.30</td>', html)
    assert re.search(r'<tr data-kind="all">.*?<td class="late">3</td><td class="overdue">1</td>.*?'
                     r'<td class="total">4</td>', html)
    assert 'src="/static/vendor/echarts.min.js"' in html and 'data-chart="approval_time"' in html
    assert "<script>" not in html  # charts come from static JS only (CSP)


def test_officer_page_is_their_department(client, login, history):
    login(history.officer_a)
    html = client.get(f"/dashboard?{PERIOD}").get_data(as_text=True)
    assert re.search(r'<p class="kpi-value">75\.00%</p>', html)
    assert re.search(r'<tr data-kind="owner">.*?<td class="median">6\.00</td><td class="p90">16\.40</td>', html)
    assert "乙局" not in html
    assert client.get(f"/dashboard?{PERIOD}&department=DB").status_code == 403


def test_dashboard_link_in_portal_bar(client, login, history):
    login(history.officer_a)
    assert 'href="/dashboard"' in client.get("/").get_data(as_text=True)
