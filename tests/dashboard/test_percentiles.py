"""The SQL percentile (ORDER BY … OFFSET k LIMIT 2) equals the textbook method on any number of rows:
statistics.median and statistics.quantiles(method="inclusive") (linear interpolation, Excel PERCENTILE.INC)."""

from __future__ import annotations

import random
import statistics
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from dashboard.sql import percentiles_of_durations
from market.db import db


@pytest.mark.parametrize("n", [1, 2, 3, 7, 10, 23])
def test_sql_percentiles_match_the_reference(app, make_user, make_dataset, n):
    from orders.models import AccessRequest, ApprovalStep, RequestLine, SubOrder

    rng = random.Random(n)
    minutes = [rng.randint(0, 60 * 24 * 9) for _ in range(n)]
    officer = make_user("officer")
    ds = make_dataset(department=officer.department)
    req = AccessRequest(requester_id=officer.id, purpose="测试", period_days=30, idempotency_key=f"pct:{n}")
    line = RequestLine(request=req, order=SubOrder(request=req, department_id=ds.department_id), dataset_id=ds.id)
    start = datetime(2026, 1, 5, 9, 0)
    for pos, m in enumerate(minutes, start=1):
        line.steps.append(ApprovalStep(position=pos, kind="owner", state="approved", started_at=start + timedelta(hours=pos),
                                       decided_at=start + timedelta(hours=pos, minutes=m), decided_by_id=officer.id))
    db.session.add(req)
    db.session.commit()
    count, ps = percentiles_of_durations(select(ApprovalStep.id), ApprovalStep.started_at, ApprovalStep.decided_at,
                                         (0.5, 0.9))
    hours = [m / 60 for m in minutes]
    assert count == n
    assert ps[0.5] == pytest.approx(statistics.median(hours))
    expected_p90 = hours[0] if n == 1 else statistics.quantiles(hours, n=10, method="inclusive")[8]
    assert ps[0.9] == pytest.approx(expected_p90)


def test_best_rated_uses_the_bayesian_average(client, api_token, make_user, make_dataset, make_department):
    pytest.importorskip("ratings.services")
    dept = make_department()
    make_dataset("一条好评", department=dept, rating_avg=5.0, rating_count=1)
    make_dataset("很多好评", department=dept, rating_avg=4.8, rating_count=20)
    make_dataset("没有评价", department=dept)
    operator = make_user("operator")
    d = client.get("/api/v1/dashboard", headers=api_token(operator)).get_json()
    # prior 4.0 (no reviews yet), weight 5: (5·4 + 4.8·20)/25 = 4.64 beats (5·4 + 5)/6 = 4.17
    assert [(r["title"], r["bayesian_avg"]) for r in d["best_rated"]] == [("很多好评", 4.64), ("一条好评", 4.17)]
