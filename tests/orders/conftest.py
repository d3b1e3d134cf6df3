"""Fixtures for the orders tests: an owning department with its officer, a requesting department
with its staff, an operator, and datasets for every routing outcome."""

import pytest

from market.db import db


@pytest.fixture
def shop(make_department, make_user, make_dataset):
    owner, other, requesting = make_department(), make_department(), make_department()
    users = {
        "requester": make_user("requester", department=requesting),
        "officer": make_user("officer", department=owner),
        "officer_other": make_user("officer", department=other),
        "operator": make_user("operator"),
        "public": make_user("public"),
    }
    plain = [("姓名", False), ("地址", False)]
    data = {
        "unconditional": make_dataset("无条件共享数据", department=owner, share_attribute="unconditional",
                                      level=1, items=plain),
        "conditional2": make_dataset("有条件二级数据", department=owner, share_attribute="conditional",
                                     level=2, items=plain),
        "conditional3": make_dataset("有条件三级数据", department=owner, share_attribute="conditional",
                                     level=3, items=plain),
        "sensitive2": make_dataset("含敏感项二级数据", department=owner, share_attribute="conditional", level=2,
                                   items=[("姓名", False), ("公民身份号码", True)]),
        "level4": make_dataset("四级数据", department=other, share_attribute="conditional", level=4,
                               items=plain),
        "none": make_dataset("不予共享数据", department=owner, share_attribute="none", items=plain),
    }
    # an owner may list bulk download on a level-4 entry; grants must still never allow it
    data["level4"].delivery_modes = ["download", "api", "query"]
    db.session.commit()
    return {"users": users, "data": data, "owner": owner, "other": other, "requesting": requesting}


@pytest.fixture
def as_user(client, api_token):
    """Bearer headers per user, cached for the test."""
    cache = {}

    def headers(user):
        if user.id not in cache:
            cache[user.id] = api_token(user)
        return cache[user.id]

    return headers
