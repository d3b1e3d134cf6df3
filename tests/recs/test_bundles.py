"""Scenario bundles: operators curate them; department users add the requestable rest to the cart."""

from orders.models import Cart
from recs.models import Bundle
from tests.conftest import csrf_token


def _switch(client, login, user):
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login(user)


def test_operator_curates_and_requester_adds_the_requestable_rest(client, login, market, make_user):
    d, user = market["data"], market["user"]
    operator = make_user("operator")
    login(operator)
    token = csrf_token(client, "/bundles/new")
    codes = "\n".join(d[k].code for k in ("A", "B", "C", "D", "E"))
    bad = client.post("/bundles/new", data={"name": "企业开办", "datasets": "NOPE-1", "csrf_token": token})
    assert bad.status_code == 422 and "NOPE-1" in bad.get_data(as_text=True)
    resp = client.post("/bundles/new", data={"name": "企业开办", "description": "营业执照 + 税务登记",
                                             "datasets": codes, "active": "on", "csrf_token": token})
    assert resp.status_code == 302
    from market.db import db

    bundle = db.session.query(Bundle).one()
    assert [i.dataset_id for i in bundle.items] == [d[k].id for k in ("A", "B", "C", "D", "E")]

    _switch(client, login, user)
    assert client.get("/bundles/new").status_code == 403
    page = client.get(f"/datasets/{d['A'].id}").get_data(as_text=True)
    assert "企业开办" in page and "把其余 2 项加入数据篮" in page  # A, B; not C (none), D (own), E (held)
    token = csrf_token(client, "/bundles")
    resp = client.post(f"/bundles/{bundle.id}/cart", data={"csrf_token": token})
    assert resp.status_code == 302
    db.session.expire_all()
    cart = db.session.query(Cart).filter_by(user_id=user.id).one()
    assert sorted(i.dataset_id for i in cart.items) == sorted([d["A"].id, d["B"].id])

    api = client.get("/api/v1/bundles").get_json()["items"]
    assert api[0]["name"] == "企业开办" and len(api[0]["datasets"]) == 5


def test_bundle_rules(app, market, make_user):
    import pytest

    from market.errors import Conflict, Forbidden, ValidationFailed
    from recs.bundles import save_bundle

    d = market["data"]
    operator = make_user("operator")
    with pytest.raises(Forbidden):
        save_bundle(None, user=market["user"], name="x", description="", codes=[d["A"].code, d["B"].code])
    with pytest.raises(ValidationFailed):
        save_bundle(None, user=operator, name="只有一个", description="", codes=[d["A"].code])
    save_bundle(None, user=operator, name="同名", description="", codes=[d["A"].code, d["B"].code])
    with pytest.raises(Conflict):
        save_bundle(None, user=operator, name="同名", description="", codes=[d["A"].code, d["F"].code])


def test_evaluate_says_when_there_is_no_history(runner, market):
    from market.cli import cli

    out = runner.invoke(cli, ["recs", "evaluate"])
    assert out.exit_code == 0 and "nothing to hold out" in out.output
