"""Verified reviews through the API: 403 without a delivery, 201 with one, one per person, editable,
owner replies, abuse reports, operator moderation, and averages that follow at once."""

from catalog.models import Dataset
from market.db import db
from notify.models import Notification

REVIEW = {"overall": 4, "quality": 5, "timeliness": 3, "text": "字段齐全，更新略慢。"}


def _reviews_url(ds):
    return f"/api/v1/datasets/{ds.id}/reviews"


def test_review_needs_a_delivery_then_counts_at_once(client, world, receive, as_user):
    u, ds = world["users"], world["data"]["good"]
    resp = client.post(_reviews_url(ds), json=REVIEW, headers=as_user(u["reviewer"]))
    assert resp.status_code == 403
    assert resp.get_json()["error"]["code"] == "not_received"

    receive(u["reviewer"], ds)
    resp = client.post(_reviews_url(ds), json=REVIEW, headers=as_user(u["reviewer"]))
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    assert body["overall"] == 4 and body["scores"]["quality"] == 5 and body["scores"]["usability"] is None
    assert body["author"] == u["reviewer"].username[0] + "**"  # others see a masked name
    db.session.expire_all()
    fresh = db.session.get(Dataset, ds.id)
    assert (fresh.rating_avg, fresh.rating_count) == (4.0, 1)

    listing = client.get(_reviews_url(ds)).get_json()
    assert listing["summary"]["count"] == 1 and listing["summary"]["avg"] == 4.0
    assert listing["summary"]["dimensions"]["quality"] == {"avg": 5.0, "count": 1}
    # Bayesian average pulls a single review towards the platform mean (here: the same 4.0)
    assert listing["summary"]["bayesian_avg"] == 4.0
    assert [r["text"] for r in listing["items"]] == [REVIEW["text"]]
    # the owner is told
    assert db.session.query(Notification).filter_by(user_id=u["officer"].id, kind="review.created").count() == 1


def test_one_review_per_person_editable_with_put(client, world, receive, as_user):
    u, ds = world["users"], world["data"]["good"]
    receive(u["reviewer"], ds)
    h = as_user(u["reviewer"])
    first = client.post(_reviews_url(ds), json=REVIEW, headers=h).get_json()
    again = client.post(_reviews_url(ds), json={"overall": 1}, headers=h)
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "review_exists"
    edited = client.put(f"{_reviews_url(ds)}/mine", json={"overall": 2, "text": "改了"}, headers=h)
    assert edited.status_code == 200 and edited.get_json()["id"] == first["id"]
    by_id = client.put(f"/api/v1/reviews/{first['id']}", json={"overall": 3}, headers=h)
    assert by_id.status_code == 200 and by_id.get_json()["overall"] == 3
    db.session.expire_all()
    assert db.session.get(Dataset, ds.id).rating_avg == 3.0
    # someone else cannot edit it
    receive(u["colleague"], ds)
    other = client.put(f"/api/v1/reviews/{first['id']}", json={"overall": 5}, headers=as_user(u["colleague"]))
    assert other.status_code == 403


def test_scores_and_text_are_validated(client, world, receive, as_user):
    u, ds = world["users"], world["data"]["good"]
    receive(u["reviewer"], ds)
    h = as_user(u["reviewer"])
    for body, field in (({"overall": 6}, "overall"), ({}, "overall"), ({"overall": 3, "service": 0}, "service"),
                        ({"overall": 3, "text": "长" * 2001}, "text")):
        resp = client.post(_reviews_url(ds), json=body, headers=h)
        assert resp.status_code == 422, body
        assert field in resp.get_json()["error"]["fields"]


def test_average_and_rating_sort_follow_new_reviews(client, world, receive, as_user):
    u, data = world["users"], world["data"]
    receive(u["reviewer"], data["good"], data["bad"])
    h = as_user(u["reviewer"])
    client.post(_reviews_url(data["bad"]), json={"overall": 2}, headers=h)
    client.post(_reviews_url(data["good"]), json={"overall": 5}, headers=h)
    order = [d["id"] for d in client.get("/api/v1/datasets?sort=rating", headers=h).get_json()["items"]]
    assert order.index(data["good"].id) < order.index(data["bad"].id)
    client.put(f"{_reviews_url(data['good'])}/mine", json={"overall": 1}, headers=h)
    order = [d["id"] for d in client.get("/api/v1/datasets?sort=rating", headers=h).get_json()["items"]]
    assert order.index(data["bad"].id) < order.index(data["good"].id)
    detail = client.get(f"/api/v1/datasets/{data['good'].id}", headers=h).get_json()
    assert detail["rating"] == 1.0 and detail["rating_count"] == 1


def test_owner_replies_others_cannot(client, world, receive, as_user):
    u, ds = world["users"], world["data"]["good"]
    receive(u["reviewer"], ds)
    rid = client.post(_reviews_url(ds), json=REVIEW, headers=as_user(u["reviewer"])).get_json()["id"]
    for who in ("officer_other", "reviewer", "operator"):
        resp = client.post(f"/api/v1/reviews/{rid}/reply", json={"text": "谢谢"}, headers=as_user(u[who]))
        assert resp.status_code == 403, who
    resp = client.post(f"/api/v1/reviews/{rid}/reply", json={"text": "已加快更新。"}, headers=as_user(u["officer"]))
    assert resp.status_code == 200 and resp.get_json()["reply"]["text"] == "已加快更新。"
    assert db.session.query(Notification).filter_by(user_id=u["reviewer"].id, kind="review.replied").count() == 1
    empty = client.post(f"/api/v1/reviews/{rid}/reply", json={"text": "   "}, headers=as_user(u["officer"]))
    assert empty.status_code == 422


def test_report_then_operator_hides_and_unhides(client, world, receive, as_user):
    u, ds = world["users"], world["data"]["good"]
    receive(u["reviewer"], ds)
    rid = client.post(_reviews_url(ds), json={"overall": 1, "text": "广告内容"},
                      headers=as_user(u["reviewer"])).get_json()["id"]
    own = client.post(f"/api/v1/reviews/{rid}/report", json={"reason": "x"}, headers=as_user(u["reviewer"]))
    assert own.status_code == 403
    first = client.post(f"/api/v1/reviews/{rid}/report", json={"reason": "与数据无关的广告"},
                        headers=as_user(u["colleague"]))
    again = client.post(f"/api/v1/reviews/{rid}/report", json={"reason": "重复"}, headers=as_user(u["colleague"]))
    assert (first.status_code, again.status_code) == (201, 200)
    assert db.session.query(Notification).filter_by(user_id=u["operator"].id, kind="review.reported").count() == 1

    not_op = client.post(f"/api/v1/reviews/{rid}/hide", json={"reason": "广告"}, headers=as_user(u["officer"]))
    assert not_op.status_code == 403
    no_reason = client.post(f"/api/v1/reviews/{rid}/hide", json={}, headers=as_user(u["operator"]))
    assert no_reason.status_code == 422
    hidden = client.post(f"/api/v1/reviews/{rid}/hide", json={"reason": "广告"}, headers=as_user(u["operator"]))
    assert hidden.status_code == 200 and hidden.get_json()["hidden"] is True
    assert hidden.get_json()["open_reports"] == 0  # the report is resolved by hiding
    db.session.expire_all()
    assert (db.session.get(Dataset, ds.id).rating_count, db.session.get(Dataset, ds.id).rating_avg) == (0, None)
    assert client.get(_reviews_url(ds)).get_json()["items"] == []  # anonymous: hidden
    assert len(client.get(_reviews_url(ds), headers=as_user(u["operator"])).get_json()["items"]) == 1
    shown = client.post(f"/api/v1/reviews/{rid}/unhide", json={}, headers=as_user(u["operator"]))
    assert shown.status_code == 200 and shown.get_json()["hidden"] is False
    db.session.expire_all()
    assert db.session.get(Dataset, ds.id).rating_count == 1


def test_reviews_of_entries_you_cannot_see_are_404(client, world, make_dataset, as_user):
    draft = make_dataset("草稿数据", department=world["owner"], status="draft")
    resp = client.get(_reviews_url(draft), headers=as_user(world["users"]["reviewer"]))
    assert resp.status_code == 404
    assert client.post(_reviews_url(draft), json=REVIEW).status_code in (401, 404)


def test_a_download_in_the_delivery_ledger_also_counts(client, world, make_user, as_user):
    import pytest

    ledger = pytest.importorskip("delivery.ledger")
    citizen = make_user("public")
    ds = world["data"]["good"]
    assert client.post(_reviews_url(ds), json=REVIEW, headers=as_user(citizen)).status_code == 403
    ledger.record_usage(action="download", dataset_id=ds.id, user=citizen, fmt="csv", rows=10)
    db.session.commit()
    resp = client.post(_reviews_url(ds), json=REVIEW, headers=as_user(citizen))
    assert resp.status_code == 201
    assert resp.get_json()["department"] is None
