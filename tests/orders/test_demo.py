"""The orders part of the demo city: requests in every interesting state, through the real services."""

from __future__ import annotations

from types import SimpleNamespace

from sqlalchemy import select

from catalog.models import Dataset
from market.auth.models import User
from market.db import db
from notify.models import Notification
from orders.demo import seed_demo_extra
from orders.models import AccessRequest
from orders.queries import escalated_steps, overdue_steps
from orders.state import LineState, StepState


def test_demo_requests_cover_the_workflow(app, shop, make_user, make_dataset, make_department):
    for n in range(3):
        make_dataset(f"有条件数据{n}", department=shop["other"], share_attribute="conditional", level=2,
                     items=[("名称", False)])
    for name in ("mzj", "jyj", "gjj", "lxq"):
        make_user("requester", username=f"{name}_requester", department=make_department())
    make_user("operator", username="operator")
    ids = list(db.session.scalars(select(Dataset.id)))
    summary = seed_demo_extra(SimpleNamespace(dataset_ids=ids))
    db.session.commit()
    assert summary == "Seeded 4 demo access requests (6 lines)"
    reqs = db.session.scalars(select(AccessRequest).order_by(AccessRequest.id)).all()
    first = {ln.dataset.title: ln for ln in reqs[0].lines}
    assert first["无条件共享数据"].state == LineState.granted
    assert first["有条件二级数据"].state == LineState.waiting
    platform = first["有条件三级数据"]
    assert [s.state for s in platform.steps] == [StepState.approved, StepState.waiting]
    assert reqs[1].lines[0].state == LineState.info_requested
    assert [s.line.request_id for s in overdue_steps()] == [reqs[2].id]
    assert [s.line.request_id for s in escalated_steps()] == [reqs[2].id]
    assert reqs[3].lines[0].state == LineState.rejected
    told = db.session.scalars(select(Notification.user_id).where(Notification.kind == "request.escalated")).all()
    demo_operator = db.session.scalar(select(User.id).where(User.username == "operator"))
    assert sorted(told) == sorted([shop["users"]["operator"].id, demo_operator])
