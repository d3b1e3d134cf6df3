"""Fixtures for the review tests: an owning department with its officer, two requesting users, an
operator, and entries; ``receive(user, ds)`` gives a user the entry through a real (unconditional) request."""

import pytest

from market.db import db
from tests.orders.conftest import as_user  # noqa: F401  (bearer headers per user)


@pytest.fixture
def world(make_department, make_user, make_dataset):
    owner, requesting, other = make_department(), make_department(), make_department()
    users = {
        "reviewer": make_user("requester", department=requesting),
        "colleague": make_user("requester", department=requesting),
        "officer": make_user("officer", department=owner),
        "officer_other": make_user("officer", department=other),
        "operator": make_user("operator"),
    }
    data = {
        "good": make_dataset("企业登记基本信息", department=owner, share_attribute="unconditional", level=1),
        "bad": make_dataset("企业变更登记信息", department=owner, share_attribute="unconditional", level=1),
    }
    db.session.commit()
    return {"users": users, "data": data, "owner": owner}


@pytest.fixture
def receive(app):
    from orders.services import add_to_cart, submit_access_request

    def do(user, *datasets):
        for ds in datasets:
            add_to_cart(user, ds.id)
        req, _created = submit_access_request(user, purpose="用于企业资格核验", period_days=30)
        db.session.commit()
        return req

    return do
