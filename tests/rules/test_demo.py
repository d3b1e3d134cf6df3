"""The rules library's part of the demo city."""

from datetime import datetime

from sqlalchemy import func, select

from catalog.models import DataItem
from market.db import db
from orders.deadlines import due_at
from rules.demo import seed_demo_extra
from rules.models import DataStandard, RuleChange


def test_demo_seeds_the_2026_calendar_standards_terms_and_synonyms(app, make_user, make_dataset):
    make_user("operator", username="operator")
    make_dataset(items=[("公民身份号码", True), ("姓名", False), ("其他", False)])
    summary = seed_demo_extra(None)
    db.session.commit()
    assert "39 calendar days" in summary
    # National Day 2026: Wed 30 Sep + 1 working day skips 1–7 Oct → Thu 8 Oct
    assert due_at(datetime(2026, 9, 30, 9), 1) == datetime(2026, 10, 8, 9)
    assert db.session.scalar(select(func.count()).select_from(DataStandard)) == 6
    assert db.session.scalar(select(func.count()).select_from(DataItem).where(DataItem.standard_id.is_not(None))) == 2
    assert db.session.scalar(select(func.count()).select_from(RuleChange).where(RuleChange.reason == "")) == 0
