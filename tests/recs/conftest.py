"""A small market for recommendation tests: entries A and B that other departments request together,
a not-shared twin of A (C), an entry of the user's own department (D), an entry the user holds (E), and
a plain requestable one (F)."""

import pytest

from market.db import db

ITEMS = [("统一社会信用代码", False), ("企业名称", False), ("法定代表人", False)]


@pytest.fixture
def market(make_department, make_category, make_user, make_dataset):
    from orders.services import add_to_cart, submit_access_request

    o1, o2, mine = make_department(), make_department(), make_department()
    legal, tax = make_category(), make_category()
    user = make_user("requester", department=mine)
    d = {
        "A": make_dataset("企业登记基本信息", department=o1, category=legal, share_attribute="unconditional",
                          tags=("企业", "登记"), items=ITEMS),
        "B": make_dataset("纳税人登记信息", department=o2, category=tax, share_attribute="unconditional",
                          items=[("统一社会信用代码", False), ("纳税人名称", False)]),
        "C": make_dataset("企业股东出资信息", department=o1, category=legal, share_attribute="none",
                          tags=("企业", "登记"), items=ITEMS),
        "D": make_dataset("本部门企业名录信息", department=mine, category=legal, share_attribute="unconditional",
                          tags=("企业", "登记"), items=ITEMS),
        "E": make_dataset("企业变更登记信息", department=o1, category=legal, share_attribute="unconditional",
                          tags=("企业", "登记"), items=ITEMS),
        "F": make_dataset("企业注销登记信息", department=o1, category=legal, share_attribute="conditional",
                          tags=("企业", "登记"), items=ITEMS),
    }
    add_to_cart(user, d["E"].id)
    submit_access_request(user, purpose="核验企业变更", period_days=90)
    db.session.commit()

    def co_request(n: int) -> None:
        """n users of n other departments ask for A and B together."""
        for _ in range(n):
            other = make_user("requester", department=make_department())
            add_to_cart(other, d["A"].id)
            add_to_cart(other, d["B"].id)
            submit_access_request(other, purpose="企业开办联办", period_days=90)
        db.session.commit()

    return {"user": user, "data": d, "co_request": co_request, "mine": mine}
