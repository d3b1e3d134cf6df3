"""The working-day calendar and step deadlines: orders' due times follow them at once; changes are logged."""

from datetime import date, datetime

import pytest
from sqlalchemy import select

from market.db import db
from market.errors import ValidationFailed
from orders.deadlines import due_at, is_working_day, working_days_for
from orders.state import StepKind
from rules import calendar
from rules.models import RuleChange
from tests.conftest import csrf_token

HOLIDAYS_2026 = """
2026-10-01 休 国庆节
2026-10-02 休 国庆节
2026-10-05 休 国庆节
2026-10-06 休 国庆节
2026-10-07 休 国庆节
2026-10-10 班 国庆节调休
"""


def test_holidays_and_make_up_days_change_due_times(app, make_user):
    operator = make_user("operator")
    start = datetime(2026, 9, 30, 10)  # Wednesday
    assert due_at(start, 2) == datetime(2026, 10, 2, 10)  # plain weekdays without a calendar
    calendar.replace_year(2026, HOLIDAYS_2026, actor=operator, reason="2026 年国庆节放假安排")
    db.session.commit()
    assert not is_working_day(datetime(2026, 10, 1, 9))
    assert is_working_day(datetime(2026, 10, 10, 9))  # Saturday, a make-up working day
    # Thu 1, Fri 2, Mon 5 … Wed 7 are holidays, Sat 10 works: 2 working days after Wed 30 Sep → Fri 9 Oct
    assert due_at(start, 2) == datetime(2026, 10, 9, 10)
    assert due_at(start, 3) == datetime(2026, 10, 10, 10)
    change = db.session.scalar(select(RuleChange).where(RuleChange.rule_set == "calendar"))
    assert change.action == "replaced" and change.before == [] and len(change.after) == 6

    calendar.delete_day(date(2026, 10, 10), actor=operator, reason="调休取消")
    assert due_at(start, 3) == datetime(2026, 10, 12, 10)  # the cached calendar was dropped at once


def test_calendar_lines_are_checked_one_by_one(app, make_user):
    operator = make_user("operator")
    with pytest.raises(ValidationFailed) as err:
        calendar.replace_year(2026, "2026-10-01 休 国庆节\n2026-10-09 班 周五\n2025-01-01 休\n2026-13-01 休\n乱写",
                              actor=operator, reason="测试逐行校验")
    fields = err.value.fields
    assert set(fields) == {"第 2 行", "第 3 行", "第 4 行", "第 5 行"}
    assert "本来就是工作日" in fields["第 2 行"][0] and "不属于 2026 年" in fields["第 3 行"][0]
    assert calendar.year_days(2026) == []


def test_step_deadlines_are_read_by_orders(app, make_user):
    operator = make_user("operator")
    assert working_days_for(StepKind.owner) == 5 and working_days_for(StepKind.compliance) == 2
    calendar.set_step_deadlines({"compliance": "1", "owner": "3", "platform": "5"}, actor=operator,
                                reason="提速：数源部门 3 个工作日")
    db.session.commit()
    assert working_days_for(StepKind.owner) == 3 and working_days_for(StepKind.compliance) == 1
    change = db.session.scalar(select(RuleChange).where(RuleChange.rule_set == "deadlines"))
    assert change.before == {"compliance": 2, "owner": 5, "platform": 5}
    assert change.after == {"compliance": 1, "owner": 3, "platform": 5}
    with pytest.raises(ValidationFailed) as err:
        calendar.set_step_deadlines({"compliance": "0", "owner": "x", "platform": "5"}, actor=operator,
                                    reason="错误的值")
    assert set(err.value.fields) == {"compliance", "owner"}


def test_new_approval_steps_use_the_new_deadline(app, client, make_user, make_dataset, api_token):
    from orders.models import ApprovalStep

    operator = make_user("operator")
    calendar.set_step_deadlines({"compliance": "2", "owner": "10", "platform": "5"}, actor=operator,
                                reason="数源部门时限放宽到 10 个工作日")
    db.session.commit()
    ds = make_dataset(share_attribute="conditional", level=2, items=[("姓名", False)])
    headers = api_token(make_user("requester"))
    assert client.post("/api/v1/cart/items", json={"dataset_id": ds.id}, headers=headers).status_code == 201
    assert client.post("/api/v1/requests", json={"purpose": "核对时限设置", "period_days": 30},
                       headers=headers).status_code == 201
    step = db.session.scalar(select(ApprovalStep))
    assert step.due_at == due_at(step.started_at, 10)


def test_calendar_and_deadline_pages(client, make_user, login):
    login(make_user("operator"))
    token = csrf_token(client, "/rules/calendar?year=2026")
    resp = client.post("/rules/calendar/day", data={"day": "2026-10-09", "kind": "workday", "name": "",
                                                    "reason": "测试", "csrf_token": token})
    assert resp.status_code == 422 and "本来就是工作日" in resp.get_data(as_text=True)
    resp = client.post("/rules/calendar/day", data={"day": "2026-10-01", "kind": "holiday", "name": "国庆节",
                                                    "reason": "国务院办公厅通知", "csrf_token": token})
    assert resp.status_code == 302
    html = client.get("/rules/calendar?year=2026").get_data(as_text=True)
    assert "2026-10-01" in html and "国庆节" in html
    resp = client.post("/rules/deadlines", data={"compliance": "2", "owner": "99", "platform": "5",
                                                 "reason": "测试", "csrf_token": token})
    assert resp.status_code == 422 and 'id="owner-error"' in resp.get_data(as_text=True)
    resp = client.post("/rules/deadlines", data={"compliance": "2", "owner": "4", "platform": "5",
                                                 "reason": "按新规定调整", "csrf_token": token})
    assert resp.status_code == 302 and working_days_for(StepKind.owner) == 4
    html = client.get("/rules/deadlines/history").get_data(as_text=True)
    assert "按新规定调整" in html and "owner" in html
