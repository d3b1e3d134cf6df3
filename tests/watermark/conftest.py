"""Watermark fixtures: a company-register entry with 5,000 stored rows, grants made the way orders makes
them, and helpers that produce a delivered copy and the ways a leaker mangles it."""

from __future__ import annotations

import csv
import io
import random
from datetime import date, timedelta
from itertools import count

import pytest

from market.db import db, utcnow

_seq = count(1)

ITEMS = [("统一社会信用代码", "string", False), ("企业名称", "string", False), ("法定代表人", "string", True),
         ("注册资本", "decimal", False), ("成立日期", "date", False), ("从业人数", "integer", False),
         ("住所", "string", False), ("登记状态", "string", False)]
NAMES = [n for n, _t, _s in ITEMS]
DISTRICTS = ("梁溪区", "锡山区", "惠山区", "滨湖区", "新吴区", "江阴市", "宜兴市")
TRADES = ("科技", "贸易", "机械", "物流", "餐饮", "建材", "软件", "纺织")


def company_rows(n: int, seed: int = 7, prefix: str = "91320200MA") -> list[dict]:
    """Reproducible synthetic company registrations, typed the way an upload stores them."""
    rnd = random.Random(seed)
    rows = []
    for i in range(n):
        district = rnd.choice(DISTRICTS)
        rows.append({
            "统一社会信用代码": f"{prefix}{i:07d}{rnd.choice('0123456789ABCDEFGHJKLMNPQRTUWXY')}",
            "企业名称": f"无锡{rnd.choice(TRADES)}{i}号有限公司",
            "法定代表人": rnd.choice("王李张刘陈杨赵黄周吴") + rnd.choice(("伟", "芳", "娜", "敏", "静", "强")),
            "注册资本": round(rnd.uniform(10, 90000), 2),
            "成立日期": (date(2000, 1, 1) + timedelta(days=rnd.randrange(9000))).isoformat(),
            "从业人数": rnd.randrange(1, 6000),
            "住所": f"无锡市{district}{rnd.choice(('人民路', '解放路', '太湖大道', '中山路'))}{rnd.randrange(1, 999)}号"
                    + (f"（{rnd.randrange(1, 30)}楼）" if rnd.random() < 0.4 else ""),
            "登记状态": rnd.choice(("存续（在营、开业、在册）", "在业", "迁出")),
        })
    return rows


@pytest.fixture
def company_entry(make_dataset):
    """An entry with typed items (法定代表人 sensitive) and ``n`` stored rows."""
    from catalog.models import DataItem
    from delivery import store

    def make(n: int = 5000, *, seed: int = 7, prefix: str = "91320200MA", title: str = "企业登记基本信息", **kw):
        ds = make_dataset(title, items=[], **kw)
        for pos, (name, kind, sensitive) in enumerate(ITEMS):
            ds.items.append(DataItem(position=pos, name=name, type=kind, sensitive=sensitive))
        db.session.commit()
        store.replace_rows(ds.id, company_rows(n, seed, prefix), source="test")
        db.session.commit()
        return ds

    return make


@pytest.fixture
def make_grant(app):
    from orders.models import AccessRequest, Grant, RequestLine, SubOrder

    def make(user, dataset, fields=None, *, days_ago: int = 1):
        n = next(_seq)
        fields = list(fields or NAMES)
        req = AccessRequest(requester_id=user.id, department_id=user.department_id, purpose="企业信用监管",
                            period_days=90, idempotency_key=f"wm-test:{n}")
        order = SubOrder(request=req, department_id=dataset.department_id)
        line = RequestLine(request=req, order=order, dataset_id=dataset.id, fields=fields, state="granted")
        grant = Grant(line=line, user_id=user.id, dataset_id=dataset.id, fields=fields,
                      delivery_modes=["download", "api"], granted_at=utcnow() - timedelta(days=days_ago),
                      expires_at=utcnow() + timedelta(days=90))
        db.session.add_all([req, order, line, grant])
        db.session.commit()
        return grant

    return make


@pytest.fixture
def fifty_grants(company_entry, make_user, make_department, make_grant):
    """One entry with 5,000 rows and 50 grants of it, held by 10 requesters of 5 departments."""
    ds = company_entry()
    depts = [make_department() for _ in range(5)]
    users = [make_user("requester", department=depts[i % 5]) for i in range(10)]
    grants = [make_grant(users[i % 10], ds, days_ago=1 + i) for i in range(50)]
    return ds, grants


def delivered(grant, columns=None) -> list[dict]:
    """The rows of the copy ``grant`` receives, through the real store and mark_rows."""
    from delivery import store
    from watermark import mark_rows

    columns = columns or list(grant.fields)
    return list(mark_rows(grant.id, grant.dataset_id, columns, store.iter_rows(grant.dataset_id, columns)))


def csv_text(rows: list[dict], columns: list[str], *, header: bool = True) -> str:
    buf = io.StringIO()
    w = csv.writer(buf)
    if header:
        w.writerow(columns)
    for r in rows:
        w.writerow(["" if r.get(c) is None else r.get(c) for c in columns])
    return buf.getvalue()


def leak(rows: list[dict], *, keep: float = 0.7, seed: int = 3) -> list[dict]:
    """What a leaker does to rows: shuffle them and keep only a share."""
    rnd = random.Random(seed)
    rows = list(rows)
    rnd.shuffle(rows)
    return rows[: int(len(rows) * keep)]


def excel_like(value: str):
    """What a spreadsheet makes of a CSV cell: numbers become numbers (3.10 → 3.1), the rest stays text."""
    try:
        number = float(value)
    except ValueError:
        return value
    if value != value.strip() or not any(ch.isdigit() for ch in value) or "e" in value.lower():
        return value
    return int(number) if number.is_integer() and "." not in value else number


def csv_via_xlsx(text: str, tmp_path) -> str:
    """CSV → XLSX → CSV through openpyxl, converting numbers the way a spreadsheet does."""
    from openpyxl import Workbook, load_workbook

    wb = Workbook()
    ws = wb.active
    for row in csv.reader(io.StringIO(text)):
        ws.append([excel_like(v) for v in row])
    path = tmp_path / "leak.xlsx"
    wb.save(path)
    wb2 = load_workbook(path, read_only=True)
    out = io.StringIO()
    w = csv.writer(out)
    for row in wb2.active.iter_rows(values_only=True):
        w.writerow(["" if v is None else v for v in row])
    wb2.close()
    return out.getvalue()
