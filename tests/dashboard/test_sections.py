"""Sections fed by the demands, delivery and ratings packages, on a known history (skipped when a
package is not installed)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest

from market.db import db

from .conftest import PAST_DUE, T0

PERIOD = "from=2026-03-01&to=2026-03-31"


@pytest.fixture
def extra_history(history, make_user):
    pytest.importorskip("demands.stats")
    pytest.importorskip("delivery.ledger")
    pytest.importorskip("ratings.models")
    from delivery.ledger import UsageEvent
    from demands.models import Demand, Objection
    from ratings.models import Review

    a1, a2, b1 = history.datasets["a1"], history.datasets["a2"], history.datasets["b1"]
    dept_a, dept_b = history.dept_a.id, history.dept_b.id

    def demand(state, dept, created, closed_days=None, linked=None):
        db.session.add(Demand(title="需求", purpose="用途", requester_id=history.requester.id, state=state,
                              department_id=dept, created_at=created, linked_dataset_id=linked,
                              closed_at=None if closed_days is None else created + timedelta(days=closed_days)))

    demand("fulfilled", dept_a, T0, 2, linked=a1.id)
    demand("existing", dept_a, T0 + timedelta(days=1), 4, linked=a2.id)
    demand("routed", dept_a, T0 + timedelta(days=2))
    demand("refused", dept_a, T0 + timedelta(days=3), 1)
    demand("withdrawn", dept_a, T0 + timedelta(days=4), 1)
    demand("fulfilled", dept_b, T0, 10, linked=b1.id)
    demand("fulfilled", dept_a, datetime(2026, 2, 1), 1, linked=a1.id)  # outside the period

    def objection(state, created, answered_h, due_h, **kw):
        db.session.add(Objection(
            dataset_id=a1.id, department_id=dept_a, kind="wrong", description="错误", raised_by_id=history.requester.id,
            state=state, created_at=created, due_at=created + timedelta(hours=due_h),
            answered_at=None if answered_h is None else created + timedelta(hours=answered_h),
            answered_by_id=None if answered_h is None else history.officer_a.id, **kw))

    objection("corrected", T0, 5, 48, corrected_version="v2", answer="已更正")
    objection("explained", T0, 30, 24, answer="数据无误")
    objection("open", datetime(2026, 3, 5), None, (PAST_DUE - datetime(2026, 3, 5)).total_seconds() / 3600)

    for ds, action, rows, at in [(a1, "download", 10, T0), (a1, "download", 10, T0 + timedelta(days=1)),
                                 (a1, "download", 10, T0 + timedelta(days=2)), (b1, "download", 5, T0),
                                 (b1, "api", 99, T0), (b1, "download", 7, datetime(2026, 4, 2))]:
        db.session.add(UsageEvent(user_id=history.requester.id, dataset_id=ds.id, action=action, rows=rows, at=at))

    for overall, quality in ((1, 1), (2, 1)):
        reviewer = make_user("requester")
        db.session.add(Review(dataset_id=a2.id, user_id=reviewer.id, overall=overall, quality=quality, text="不好用"))
    db.session.commit()
    return history


def test_city_sections(client, api_token, extra_history):
    d = client.get(f"/api/v1/dashboard?{PERIOD}", headers=api_token(extra_history.operator)).get_json()
    dem = d["demand_fulfilment_rate"]
    # nearest rank over days 2 4 10: median = 4, p90 = 10
    assert (dem["posted"], dem["met"], dem["open"], dem["refused"], dem["rate"]) == (5, 3, 1, 1, 0.6)
    assert (dem["median_days"], dem["p90_days"]) == (4.0, 10.0)
    obj = d["objection_resolution_time_hours"]
    assert (obj["answered"], obj["median"], obj["p90"], obj["on_time_rate"]) == (2, 5.0, 30.0, 0.5)
    assert (obj["open"], obj["overdue_open"]) == (1, 1)
    assert [(r["title"], r["downloads"], r["rows"]) for r in d["top_downloaded"]] == [("甲一", 3, 30), ("乙一", 1, 5)]
    assert d["improvement_list"] is None  # a department's list: not on the city dashboard


def test_department_sections_and_page(client, login, api_token, extra_history):
    d = client.get(f"/api/v1/dashboard?{PERIOD}", headers=api_token(extra_history.officer_a)).get_json()
    assert (d["demand_fulfilment_rate"]["rate"], d["demand_fulfilment_rate"]["median_days"]) == (0.5, 2.0)
    assert [r["title"] for r in d["top_downloaded"]] == ["甲一"]
    assert [r["title"] for r in d["improvement_list"]] == ["甲二"]
    login(extra_history.officer_a)
    html = client.get(f"/dashboard?{PERIOD}").get_data(as_text=True)
    assert re.search(r'id="kpi-demand-rate">.*?<p class="kpi-value">50\.00%</p>', html, re.DOTALL)
    assert re.search(r'id="kpi-objection-time">.*?<p class="kpi-value">5\.00</p>', html, re.DOTALL)
    assert 'data-chart="demands"' in html and "甲二" in html


def test_every_table_exports_when_all_packages_are_present(client, api_token, extra_history):
    from dashboard.tables import TABLES

    headers = api_token(extra_history.operator)
    for name in TABLES:
        resp = client.get(f"/api/v1/dashboard?{PERIOD}&department=DA&format=csv&table={name}", headers=headers)
        assert resp.status_code == 200, (name, resp.get_json())
    rows = client.get(f"/api/v1/dashboard?{PERIOD}&department=DA&format=csv&table=improvement_list",
                      headers=headers).get_data(as_text=True).splitlines()
    assert len(rows) == 2 and "甲二" in rows[1]
