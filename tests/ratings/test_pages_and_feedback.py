"""The product page's review panel (form, escaping, CSRF), the officers' improvement list and the
operators' report queue."""

import ratings
from market.db import db
from ratings.models import Review
from tests.conftest import csrf_token


def _switch(client, login, user):
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login(user)


def test_panel_shows_form_only_to_recipients_and_escapes_text(client, login, world, receive):
    u, ds = world["users"], world["data"]["good"]
    login(u["reviewer"])
    page = client.get(f"/datasets/{ds.id}").get_data(as_text=True)
    assert 'id="reviews"' in page and "获得该数据" in page and 'name="overall"' not in page
    receive(u["reviewer"], ds)
    page = client.get(f"/datasets/{ds.id}").get_data(as_text=True)
    assert 'name="overall"' in page
    token = csrf_token(client, f"/datasets/{ds.id}")
    resp = client.post(f"/datasets/{ds.id}/reviews", data={"overall": "2", "timeliness": "1", "csrf_token": token,
                                                           "text": "<script>alert(1)</script>更新慢"})
    assert resp.status_code == 302
    page = client.get(f"/datasets/{ds.id}").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;更新慢" in page
    assert "修改我的评价" in page
    # without the CSRF token the form is refused and nothing changes
    client.post(f"/datasets/{ds.id}/reviews", data={"overall": "5"})
    db.session.expire_all()
    assert db.session.query(Review).one().overall == 2


def test_officer_replies_and_operator_hides_from_the_page(client, login, world, receive):
    u, ds = world["users"], world["data"]["good"]
    receive(u["reviewer"], ds)
    from ratings.services import save_review

    review, _ = save_review(ds, user=u["reviewer"], data={"overall": 1, "text": "数据错误较多"})
    db.session.commit()
    login(u["officer"])
    token = csrf_token(client, f"/datasets/{ds.id}")
    client.post(f"/reviews/{review.id}/reply", data={"text": "已核查更正", "csrf_token": token})
    assert "已核查更正" in client.get(f"/datasets/{ds.id}").get_data(as_text=True)
    assert client.post(f"/reviews/{review.id}/hide", data={"reason": "x", "csrf_token": token}).status_code == 403

    _switch(client, login, u["operator"])
    token = csrf_token(client, "/ratings/reports")
    client.post(f"/reviews/{review.id}/hide", data={"reason": "含个人信息", "csrf_token": token})
    db.session.expire_all()
    assert db.session.get(Review, review.id).hidden is True


def test_improvement_list_names_recurring_complaints(client, login, world, receive, make_user):
    u, data = world["users"], world["data"]
    from ratings.services import save_review

    third = make_user("requester", department=u["reviewer"].department)
    for user, score in ((u["reviewer"], 2), (u["colleague"], 1), (third, 3)):
        receive(user, data["bad"], data["good"])
        save_review(data["bad"], user=user, data={"overall": score, "timeliness": 1, "quality": 4,
                                                 "text": "数据更新滞后"})
        save_review(data["good"], user=user, data={"overall": 5, "timeliness": 5})
    db.session.commit()
    items = ratings.improvement_list(world["owner"].id)
    assert [i["dataset_id"] for i in items] == [data["bad"].id]
    item = items[0]
    assert item["low_reviews"] == 2 and item["rating_count"] == 3
    assert [i["dimension"] for i in item["issues"]] == ["timeliness"]
    assert item["issues"][0]["complaints"] == 3
    assert {r["text"] for r in item["recent"]} == {"数据更新滞后"}

    login(u["officer"])
    page = client.get("/ratings/improvements").get_data(as_text=True)
    assert data["bad"].title in page and "及时性" in page and data["good"].title not in page
    api = client.get("/api/v1/ratings/improvements").get_json()
    assert api["department"]["id"] == world["owner"].id and len(api["items"]) == 1

    _switch(client, login, u["officer_other"])
    assert data["bad"].title not in client.get("/ratings/improvements").get_data(as_text=True)
    _switch(client, login, u["reviewer"])
    assert client.get("/ratings/improvements").status_code == 403
    _switch(client, login, u["operator"])
    page = client.get(f"/ratings/improvements?department={world['owner'].code}").get_data(as_text=True)
    assert data["bad"].title in page


def test_report_queue_lists_open_reports_and_dismissal_closes_them(client, login, world, receive):
    u, ds = world["users"], world["data"]["good"]
    from ratings.services import report_review, save_review

    receive(u["reviewer"], ds)
    review, _ = save_review(ds, user=u["reviewer"], data={"overall": 3, "text": "一般"})
    report_review(review, user=u["colleague"], reason="恶意差评")
    db.session.commit()
    login(u["operator"])
    page = client.get("/ratings/reports").get_data(as_text=True)
    assert "恶意差评" in page
    token = csrf_token(client, "/ratings/reports")
    client.post(f"/reviews/{review.id}/dismiss", data={"csrf_token": token})
    assert "恶意差评" not in client.get("/ratings/reports").get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Review, review.id).hidden is False
