"""Reminders and escalation at simulated times (through the jobs runner and the CLI), demand search,
and the dashboard figures from a known history."""

from datetime import date, datetime, timedelta

from sqlalchemy import select

from audit.models import AuditEvent
from demands import services, stats
from demands.deadlines import run_due
from demands.models import Demand, Objection
from demands.objections import answer_objection, create_objection
from market.cli import cli
from market.db import db
from notify.models import Notification
from orders.deadlines import due_at, remind_at


def _kinds(user) -> list[str]:
    db.session.expire_all()
    return list(db.session.scalars(select(Notification.kind).where(Notification.user_id == user.id)
                                   .order_by(Notification.id)))


def _demand(user, title="户籍人口年龄结构统计", items=("街道", "年龄段")) -> Demand:
    d = services.create_demand(user, {"title": title, "purpose": "养老服务规划研究", "items": list(items)})
    db.session.commit()
    return d


def test_routing_then_answer_deadlines_remind_and_escalate_once_through_the_job(app, city):
    from jobs.runner import run_due as run_jobs

    u = city["users"]
    d = _demand(u["citizen"])
    assert d.due_at == due_at(d.created_at, 2)

    def tick(now):
        (outcome,) = run_jobs(now, force=True, names=["demands.deadlines"])
        assert outcome.ok, outcome.error
        return outcome.result

    remind = remind_at(d.due_at)
    assert tick(remind - timedelta(minutes=1)) == "0 reminders, 0 escalations"
    assert tick(remind) == "1 reminders, 0 escalations"
    assert _kinds(u["operator"])[-1] == "demand.reminder"
    assert tick(d.due_at) == "0 reminders, 1 escalations"
    assert _kinds(u["operator"])[-1] == "demand.overdue"
    assert tick(d.due_at + timedelta(days=2)) == "0 reminders, 0 escalations"

    # routing starts a new stage: 5 working days for the owner, reminded and escalated afresh
    d = db.session.get(Demand, d.id)
    services.route(d, u["operator"], "GA")
    db.session.commit()
    assert d.reminded_at is None and d.escalated_at is None
    routed_at = d.routed_at
    assert d.due_at == due_at(routed_at, 5)
    assert tick(remind_at(d.due_at)) == "1 reminders, 0 escalations"
    assert _kinds(u["officer"])[-1] == "demand.reminder"
    assert "demand.reminder" not in _kinds(u["officer_other"])
    assert tick(d.due_at + timedelta(minutes=1)) == "0 reminders, 1 escalations"
    actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.object_type == "demand",
                                                                 AuditEvent.object_id == str(d.id))).all()
    assert actions.count("demand.reminded") == 2 and actions.count("demand.escalated") == 2


def test_objection_deadline_and_cli(app, city, runner):
    u, data = city["users"], city["data"]
    o = create_objection(u["citizen"], {"dataset_id": data["residence"].id, "kind": "missing",
                                        "description": "缺少 2025 年的记录"})
    db.session.commit()
    assert o.due_at == due_at(o.created_at, 5)
    assert run_due(remind_at(o.due_at)) == ([f"objection:{o.id}"], [])
    assert _kinds(u["officer"])[-1] == "objection.reminder"
    assert run_due(o.due_at) == ([], [f"objection:{o.id}"])
    assert _kinds(u["operator"])[-1] == "objection.overdue"
    db.session.commit()
    out = runner.invoke(cli, ["demands", "remind"])
    assert out.exit_code == 0 and "0 reminders, 0 escalations" in out.output
    out = runner.invoke(cli, ["demands", "stats", "--department", "GA"])
    assert out.exit_code == 0 and '"open": 1' in out.output
    assert runner.invoke(cli, ["demands", "stats", "--department", "NOPE"]).exit_code != 0


def test_search_matches_every_word_in_title_description_or_items(client, city, as_user):
    u = city["users"]
    _demand(u["citizen"], "企业用水月度数据", items=("统一社会信用代码", "用水量"))
    _demand(u["enterprise"], "学校招生计划", items=("学校名称", "招生人数"))
    h = as_user(u["requester"])

    def titles(**q):
        resp = client.get("/api/v1/demands", headers=h, query_string=q)
        assert resp.status_code == 200, resp.get_json()
        return [i["title"] for i in resp.get_json()["items"]]

    assert titles(q="用水") == ["企业用水月度数据"]
    assert titles(q="招生人数") == ["学校招生计划"]  # a wanted item
    assert titles(q="学校 用水") == []  # every word must match
    assert titles(q="100%_") == []  # LIKE wildcards are literal
    assert sorted(titles()) == ["企业用水月度数据", "学校招生计划"]
    assert titles(scope="mine") == []
    assert client.get("/api/v1/demands", headers=h, query_string={"per_page": 1000}).status_code == 422


def test_stats_from_a_known_history(app, city):
    u, data = city["users"], city["data"]
    t0 = datetime(2026, 3, 2, 9, 0)  # a Monday
    made = []
    for n, (state, days) in enumerate([("fulfilled", 4), ("existing", 2), ("fulfilled", 10), ("refused", None),
                                       ("routed", None), ("withdrawn", None)]):
        d = Demand(title=f"需求{n}", purpose="研究用途说明", requester_id=u["citizen"].id, state=state,
                   department_id=city["owner"].id, created_at=t0 + timedelta(hours=n),
                   publish_by=date(2026, 4, 1), linked_dataset_id=data["residence"].id if days else None,
                   closed_at=t0 + timedelta(hours=n, days=days) if days else None)
        db.session.add(d)
        made.append(d)
    # one more, posted in another month, met within a day
    db.session.add(Demand(title="四月需求", purpose="研究用途说明", requester_id=u["citizen"].id, state="existing",
                          department_id=city["other"].id, created_at=datetime(2026, 4, 6, 9),
                          linked_dataset_id=data["schools"].id, closed_at=datetime(2026, 4, 6, 21)))
    db.session.commit()

    march = stats.demand_fulfilment(datetime(2026, 3, 1), datetime(2026, 4, 1))
    assert march["posted"] == 5 and march["met"] == 3  # the withdrawn one does not count
    assert march["rate"] == 0.6 and march["open"] == 1 and march["refused"] == 1
    assert march["median_days"] == 4.0 and march["p90_days"] == 10.0
    everything = stats.demand_fulfilment()
    assert everything["posted"] == 6 and everything["rate"] == round(4 / 6, 4) and everything["median_days"] == 2.0
    assert stats.demand_fulfilment(department_id=city["other"].id)["rate"] == 1.0
    assert stats.demand_fulfilment(datetime(2030, 1, 1))["rate"] is None

    # objections: answered after 10 h (on time) and after 8 days (late); one still open and overdue
    objs = []
    for hours in (10, 8 * 24, None):
        o = create_objection(u["citizen"], {"dataset_id": data["residence"].id, "kind": "wrong",
                                            "description": "地址字段有误"})
        objs.append((o, hours))
    db.session.commit()
    for o, hours in objs:
        o.created_at = t0
        o.due_at = due_at(t0, 5)
    db.session.commit()
    for o, hours in objs:
        if hours is not None:
            answer_objection(o, u["officer"], outcome="explained", comment="数据来源为户籍登记，准确")
            o.answered_at = t0 + timedelta(hours=hours)
    db.session.commit()
    res = stats.objection_resolution(now=datetime(2026, 3, 20))
    assert res["answered"] == 2 and res["median_hours"] == 10.0 and res["p90_hours"] == 192.0
    assert res["on_time_rate"] == 0.5 and res["by_outcome"] == {"explained": 2}
    assert res["open"] == 1 and res["overdue_open"] == 1
    assert stats.objection_resolution(department_id=city["other"].id)["answered"] == 0
    assert stats.percentile([], 50) is None and stats.percentile([3, 1, 2], 50) == 2


def test_quality_formula(app, city):
    from demands.quality import compute, dataset_quality, grade

    assert compute(0, 0, 0, 0, 0) == (100, 1.0)
    assert compute(2, 1, 1, 4, 2) == (100 - 20 - 5 - 5 - 5, 0.5)
    assert compute(20, 0, 0, 20, 20)[0] == 0
    assert [grade(s) for s in (95, 80, 60, 10)] == ["excellent", "good", "fair", "poor"]
    q = dataset_quality(city["data"]["residence"].id)
    assert q.score == 100 and q.total == 0
    old = Objection(dataset_id=city["data"]["residence"].id, department_id=city["owner"].id, kind="wrong",
                    description="很久以前的异议", raised_by_id=city["users"]["citizen"].id, state="open",
                    created_at=datetime(2020, 1, 1), due_at=datetime(2020, 1, 8))
    db.session.add(old)
    db.session.commit()
    assert dataset_quality(city["data"]["residence"].id).total == 0  # outside the 365-day window
