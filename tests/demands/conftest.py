"""Fixtures for the demand and objection tests: an owning department (公安) with published entries on
residence data, another department, staff of a requesting department, public accounts, an operator."""

import pytest

from tests.orders.conftest import as_user  # noqa: F401  (bearer headers per user, cached for the test)


@pytest.fixture
def city(make_department, make_user, make_dataset):
    owner = make_department(code="GA", name="无锡市公安局")
    owner.description = "人口户籍、出入境、道路交通与社会治安管理。"
    other = make_department(code="JYJ", name="无锡市教育局")
    other.description = "各级各类学校管理、招生考试、学籍与教师管理。"
    requesting = make_department(code="MZJ", name="无锡市民政局")
    entries = {
        "residence": make_dataset("户籍人口信息", department=owner, share_attribute="unconditional", level=1,
                                  items=[("姓名", False), ("户籍地址", False)]),
        "movement": make_dataset("户籍迁移登记", department=owner, items=[("姓名", False), ("迁入地", False)]),
        "schools": make_dataset("学校名录", department=other, items=[("学校名称", False), ("地址", False)]),
        "closed": make_dataset("出入境记录", department=owner, share_attribute="none", open_attribute="closed",
                               items=[("姓名", False), ("出境日期", False)]),
    }
    users = {
        "citizen": make_user("public"),
        "enterprise": make_user("public"),
        "requester": make_user("requester", department=requesting),
        "requester2": make_user("requester", department=requesting),
        "officer": make_user("officer", department=owner),
        "officer_other": make_user("officer", department=other),
        "operator": make_user("operator"),
    }
    from market.db import db

    db.session.commit()
    return {"owner": owner, "other": other, "requesting": requesting, "data": entries, "users": users}


@pytest.fixture
def notes():
    """The notifications of a kind, as {user_id: [subject, …]}."""
    from sqlalchemy import select

    from market.db import db
    from notify.models import Notification

    def of_kind(kind: str) -> dict[int, list[str]]:
        out: dict[int, list[str]] = {}
        for n in db.session.scalars(select(Notification).where(Notification.kind == kind).order_by(Notification.id)):
            out.setdefault(n.user_id, []).append(n.subject)
        return out

    return of_kind
