"""A known request history for the dashboard tests: requests, lines and approval steps written directly
with fixed timestamps, so every figure can be worked out by hand (see test_figures.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest

from market.db import db

T0 = datetime(2026, 3, 2, 9, 0)  # a Monday
PAST_DUE = datetime(2026, 3, 10, 9, 0)  # long gone when the tests run
FAR_DUE = datetime(2099, 1, 1)


@dataclass
class History:
    dept_a: object
    dept_b: object
    requester: object
    officer_a: object
    officer_b: object
    operator: object
    datasets: dict


@pytest.fixture
def history(make_department, make_user, make_dataset, make_category):
    from orders.models import AccessRequest, ApprovalStep, RequestLine, SubOrder

    dept_a = make_department("DA", "甲局")
    dept_b = make_department("DB", "乙局")
    dept_r = make_department("DR", "申请局")
    requester = make_user("requester", department=dept_r)
    officer_a = make_user("officer", department=dept_a)
    officer_b = make_user("officer", department=dept_b)
    operator = make_user("operator")
    base = make_category("renkou", "人口库", library="base")
    theme = make_category("jiaoyu", "教育", library="theme")
    ds = {
        "a1": make_dataset("甲一", department=dept_a, category=base),
        "a2": make_dataset("甲二", department=dept_a, category=theme),
        "b1": make_dataset("乙一", department=dept_b, category=theme),
        "b2": make_dataset("=乙二", department=dept_b, category=None, share_attribute="unconditional"),
    }
    seq = iter(range(1, 1000))

    def line(dataset, state, created, steps=()):
        """One request with one line; ``steps``: (kind, state, start offset h, decided offset h | None, due)."""
        req = AccessRequest(requester_id=requester.id, department_id=dept_r.id, purpose="测试", period_days=30,
                            idempotency_key=f"hist:{next(seq)}", created_at=created)
        order = SubOrder(request=req, department_id=dataset.department_id)
        ln = RequestLine(request=req, order=order, dataset_id=dataset.id, fields=["姓名"], state=state)
        for pos, (kind, st, start_h, decided_h, due) in enumerate(steps, start=1):
            decided = decided_h is not None and st in ("approved", "rejected")
            ln.steps.append(ApprovalStep(
                position=pos, kind=kind, state=st,
                department_id=dataset.department_id if kind == "owner" else None,
                started_at=None if start_h is None else created + timedelta(hours=start_h),
                due_at=due, decided_at=created + timedelta(hours=decided_h) if decided else None,
                decided_by_id=(operator.id if kind != "owner" else officer_a.id) if decided else None,
                comment="不符合条件" if st == "rejected" else ""))
        db.session.add(req)
        return ln

    on_time = T0 + timedelta(days=7)
    # department A (甲局): owner hours 2, 4, 8, 20 decided; one waiting past due, one in time, one asking
    line(ds["a1"], "granted", T0, [("owner", "approved", 0, 2, on_time)])
    line(ds["a2"], "granted", T0 + timedelta(days=1), [
        ("compliance", "approved", 0, 2, on_time),
        ("owner", "approved", 2, 6, on_time + timedelta(days=1)),
        ("platform", "approved", 6, 16, T0 + timedelta(days=1, hours=12))])  # platform decided late
    line(ds["a1"], "rejected", T0 + timedelta(days=2), [("owner", "rejected", 0, 8, on_time + timedelta(days=2))])
    line(ds["a2"], "expired", T0 + timedelta(days=3), [("owner", "approved", 0, 20, T0 + timedelta(days=3, hours=10))])
    line(ds["a1"], "withdrawn", T0 + timedelta(days=4), [("owner", "cancelled", 0, None, on_time)])
    line(ds["a2"], "waiting", T0 + timedelta(days=5), [("owner", "waiting", 0, None, PAST_DUE)])
    line(ds["a1"], "waiting", T0 + timedelta(days=6), [("owner", "waiting", 0, None, FAR_DUE)])
    line(ds["a2"], "info_requested", T0 + timedelta(days=7), [("owner", "info_requested", 0, None, PAST_DUE)])
    # department B (乙局): owner hours 1, 30 (late), 6, 12; platform 3 h; one granted without any step
    line(ds["b1"], "granted", T0, [("owner", "approved", 0, 1, on_time), ("platform", "approved", 1, 4, on_time)])
    line(ds["b1"], "rejected", T0 + timedelta(days=1), [("owner", "rejected", 0, 30, T0 + timedelta(days=1, hours=24))])
    line(ds["b1"], "revoked", T0 + timedelta(days=2), [("owner", "approved", 0, 6, on_time + timedelta(days=2))])
    line(ds["b2"], "granted", datetime(2026, 3, 31, 23, 30))  # last minute of the period, granted at once
    line(ds["b1"], "rejected", T0 + timedelta(days=8), [("owner", "rejected", 0, 12, on_time + timedelta(days=8))])
    # outside the period: must not count anywhere
    line(ds["a1"], "granted", datetime(2026, 2, 28, 23, 59), [("owner", "approved", 0, 100, T0)])
    line(ds["b1"], "rejected", datetime(2026, 4, 1, 0, 0), [("owner", "rejected", 0, 50, T0)])
    db.session.commit()
    return History(dept_a, dept_b, requester, officer_a, officer_b, operator, ds)
