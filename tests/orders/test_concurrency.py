"""Races against the real database (SQLite here, PostgreSQL with MARKET_TEST_DATABASE_URL): two
approvers on one step → one decision and one 409; two checkouts of one cart → one request."""

import threading

from sqlalchemy import func, select

from audit import verify_chain
from market.auth.models import User
from market.db import db
from market.errors import MarketError
from orders import decisions, services
from orders.models import AccessRequest, ApprovalStep, RequestLine
from orders.state import StepState


def _race(app, n, work):
    """Run ``work(i)`` in ``n`` threads that start together; return each result or exception."""
    barrier = threading.Barrier(n)
    results = [None] * n

    def run(i):
        with app.app_context():
            try:
                results[i] = work(i, barrier)
                db.session.commit()
            except Exception as exc:  # noqa: BLE001 - reported through results
                db.session.rollback()
                results[i] = exc
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_two_approvers_deciding_one_step_make_exactly_one_decision(app, shop, make_user):
    u = shop["users"]
    second_officer = make_user("officer", department=shop["owner"])
    services.add_to_cart(u["requester"], shop["data"]["conditional2"].id)
    req, _ = services.submit_access_request(u["requester"], purpose="用于资格核验", period_days=30)
    db.session.commit()
    line_id, approvers = req.lines[0].id, [u["officer"].id, second_officer.id]
    decisions_wanted = ["approve", "reject"]

    def work(i, barrier):
        line = db.session.get(RequestLine, line_id)
        approver = db.session.get(User, approvers[i])
        assert line.steps[0].state == StepState.waiting
        barrier.wait()
        decisions.decide_line(line, approver=approver, decision=decisions_wanted[i], comment="理由")
        return line.state

    results = _race(app, 2, work)
    wins = [r for r in results if not isinstance(r, Exception)]
    losses = [r for r in results if isinstance(r, Exception)]
    assert len(wins) == 1 and len(losses) == 1, results
    assert isinstance(losses[0], MarketError) and losses[0].status == 409
    db.session.expire_all()
    step = db.session.scalar(select(ApprovalStep).where(ApprovalStep.line_id == line_id))
    assert step.state in (StepState.approved, StepState.rejected) and step.decided_by_id in approvers
    assert verify_chain().ok


def test_parallel_checkouts_of_one_cart_make_one_request(app, shop):
    requester = shop["users"]["requester"]
    services.add_to_cart(requester, shop["data"]["conditional2"].id)
    services.add_to_cart(requester, shop["data"]["unconditional"].id)
    db.session.commit()
    uid = requester.id

    def work(i, barrier):
        user = db.session.get(User, uid)
        services.get_cart(user).items  # noqa: B018 - load the cart before the race starts
        barrier.wait()
        req, created = services.submit_access_request(user, purpose="用于资格核验", period_days=30)
        return req.id, created

    results = _race(app, 3, work)
    ok = [r for r in results if not isinstance(r, Exception)]
    assert ok, results
    # every caller that got an answer got the same request; at most one created it
    assert len({r[0] for r in ok}) == 1 and sum(r[1] for r in ok) == 1
    for r in results:
        if isinstance(r, Exception):
            assert isinstance(r, MarketError) and r.status in (409, 422), r
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(AccessRequest)) == 1
    assert shop["data"]["conditional2"].request_count == 1
    assert verify_chain().ok


def test_parallel_decisions_on_many_lines_lose_no_update_and_tell_each_requester_once(app, shop, make_user,
                                                                                       make_dataset):
    """Six approver threads, two per line, on three lines of one request: one decision per line, every
    line granted or rejected, one notice per outcome, and an intact audit chain."""
    from notify.models import Notification

    u = shop["users"]
    officers = [u["officer"].id, make_user("officer", department=shop["owner"]).id]
    datasets = [make_dataset(f"并发数据{n}", department=shop["owner"], share_attribute="conditional", level=2,
                             items=[("名称", False)]) for n in range(3)]
    for ds in datasets:
        services.add_to_cart(u["requester"], ds.id)
    req, _ = services.submit_access_request(u["requester"], purpose="用于资格核验", period_days=30)
    db.session.commit()
    line_ids = [ln.id for ln in req.lines]

    def work(i, barrier):
        line = db.session.get(RequestLine, line_ids[i // 2])
        approver = db.session.get(User, officers[i % 2])
        line.steps  # noqa: B018 - load before the race
        barrier.wait()
        decision = "approve" if i % 2 == 0 else "reject"
        decisions.decide_line(line, approver=approver, decision=decision, comment="并发审批")
        return line_ids[i // 2], decision

    results = _race(app, 6, work)
    wins = [r for r in results if not isinstance(r, Exception)]
    assert sorted(line for line, _d in wins) == sorted(line_ids), results
    for r in results:
        if isinstance(r, Exception):
            assert isinstance(r, MarketError) and r.status == 409, r
    db.session.expire_all()
    won = dict(wins)
    for line_id in line_ids:
        line = db.session.get(RequestLine, line_id)
        assert line.state == ("granted" if won[line_id] == "approve" else "rejected")
        assert [s.state for s in line.steps] == [StepState.approved if won[line_id] == "approve"
                                                 else StepState.rejected]
    kinds = db.session.scalars(select(Notification.kind).where(Notification.user_id == u["requester"].id,
                                                               Notification.kind != "request.submitted")).all()
    assert sorted(kinds) == sorted("request.granted" if d == "approve" else "request.rejected" for d in won.values())
    assert verify_chain().ok
