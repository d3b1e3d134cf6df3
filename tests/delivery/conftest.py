"""Delivery fixtures: an entry with typed items and rows, and grants made the way orders makes them."""

from __future__ import annotations

from datetime import timedelta
from itertools import count

import pytest

from market.db import db, utcnow

_seq = count(1)

ITEMS = [("统一社会信用代码", "string", False), ("企业名称", "string", False), ("法定代表人", "string", True),
         ("注册资本", "decimal", False), ("成立日期", "date", False)]


@pytest.fixture
def company_dataset(make_dataset):
    """An entry with five items (法定代表人 sensitive) and 30 rows."""
    from catalog.models import DataItem
    from delivery import store

    def make(n: int = 30, **kw):
        ds = make_dataset("企业登记基本信息", items=[], **kw)
        for pos, (name, kind, sensitive) in enumerate(ITEMS):
            ds.items.append(DataItem(position=pos, name=name, type=kind, sensitive=sensitive))
        db.session.commit()
        rows = [{"统一社会信用代码": f"91320213MA{i:08d}", "企业名称": f"无锡测试{i}有限公司",
                 "法定代表人": f"王{i}", "注册资本": float(100 + i), "成立日期": f"2020-01-{1 + i % 28:02d}"}
                for i in range(n)]
        store.replace_rows(ds.id, rows, source="test")
        db.session.commit()
        return ds

    return make


@pytest.fixture
def make_grant(app):
    from orders.models import AccessRequest, Grant, RequestLine, SubOrder

    def make(user, dataset, fields, *, modes=("download", "api"), days: int = 30, state: str = "granted"):
        n = next(_seq)
        req = AccessRequest(requester_id=user.id, department_id=user.department_id, purpose="测试用途",
                            period_days=30, idempotency_key=f"test:{n}")
        order = SubOrder(request=req, department_id=dataset.department_id)
        line = RequestLine(request=req, order=order, dataset_id=dataset.id, fields=list(fields), state=state)
        grant = Grant(line=line, user_id=user.id, dataset_id=dataset.id, fields=list(fields),
                      delivery_modes=list(modes), granted_at=utcnow() - timedelta(days=1),
                      expires_at=utcnow() + timedelta(days=days))
        db.session.add_all([req, order, line, grant])
        db.session.commit()
        return grant

    return make
