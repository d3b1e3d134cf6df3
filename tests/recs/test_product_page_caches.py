"""The product page keeps a few things per process that every visitor sees alike (each entry's candidate
list, the entry cards of the shelf, bundle membership, which entries are harvested, the rating prior):
one user's holdings never show up in another user's shelf, and a change shows on the next page view."""

from market.db import db
from recs import services
from tests.conftest import signed_in_client


def _shelf(page: str) -> str:
    """The related-entries shelf of a product page (empty when there is none)."""
    start = page.find('id="recs-related-title"')
    return page[start:page.find("</section>", start)] if start >= 0 else ""




def test_one_users_holdings_do_not_shape_another_users_shelf(app, market, make_user, make_department):
    d, holder = market["data"], market["user"]  # holder has asked for E
    market["co_request"](2)
    other = make_user("requester", department=make_department())
    held_title = d["E"].title
    page = f"/datasets/{d['A'].id}"
    assert held_title in _shelf(signed_in_client(app, other).get(page).get_data(as_text=True))
    assert held_title not in _shelf(signed_in_client(app, holder).get(page).get_data(as_text=True))
    assert held_title in _shelf(signed_in_client(app, other).get(page).get_data(as_text=True))
    # and the other way round: the holder's (narrower) list is not what the other user gets next
    assert d["E"].id in [r.dataset.id for r in services.for_dataset(d["A"], other, k=10)]
    assert d["E"].id not in [r.dataset.id for r in services.for_dataset(d["A"], holder, k=10)]


def test_anonymous_shelf_is_not_the_requesters_one(app, client, market, make_dataset):
    d = market["data"]
    market["co_request"](2)
    closed = make_dataset("企业经营异常信息", department=d["B"].department, share_attribute="unconditional",
                          open_attribute="closed", tags=("企业", "登记"), items=[("统一社会信用代码", False)])
    db.session.commit()
    page = f"/datasets/{d['A'].id}"
    assert closed.title in _shelf(signed_in_client(app, market["user"]).get(page).get_data(as_text=True))
    assert closed.title not in _shelf(client.get(page).get_data(as_text=True))


def test_shelf_shows_a_renamed_entry_and_new_request_counts_at_once(client, market):
    d = market["data"]
    market["co_request"](2)
    page = _shelf(client.get(f"/datasets/{d['A'].id}").get_data(as_text=True))
    assert d["B"].title in page and "申请 2 次" in page
    d["B"].title = "纳税人登记信息（2026版）"
    db.session.commit()
    market["co_request"](1)  # a bulk UPDATE of request_count
    page = _shelf(client.get(f"/datasets/{d['A'].id}").get_data(as_text=True))
    assert "纳税人登记信息（2026版）" in page and "申请 3 次" in page


def test_new_bundle_and_harvest_link_show_on_the_next_view(client, market, make_user):
    from datetime import datetime

    from opendata.models import HarvestedDataset, HarvestSource, SourceKind
    from recs.bundles import save_bundle

    d = market["data"]
    operator = make_user("operator")
    page = client.get(f"/datasets/{d['A'].id}").get_data(as_text=True)
    assert "企业开办套餐" not in page and "目录来源" not in page
    save_bundle(None, user=operator, name="企业开办套餐", description="", codes=[d["A"].code, d["B"].code])
    source = HarvestSource(kind=SourceKind.ckan, url="https://data.example.gov.cn", title="省级目录")
    db.session.add(source)
    db.session.flush()
    db.session.add(HarvestedDataset(dataset_id=d["A"].id, source_id=source.id, remote_id="r-1", fingerprint="f",
                                    harvested_at=datetime(2026, 1, 2, 3, 4)))
    db.session.commit()
    page = client.get(f"/datasets/{d['A'].id}").get_data(as_text=True)
    assert "企业开办套餐" in page and "目录来源" in page and "省级目录" in page


def test_review_prior_follows_a_new_review(client, market, make_user):
    from ratings.models import Review
    from ratings.services import PRIOR_WEIGHT, summarize

    d = market["data"]
    reviewer = make_user("requester")
    db.session.add(Review(dataset_id=d["A"].id, user_id=reviewer.id, overall=5, text=""))
    db.session.commit()
    assert summarize(d["A"].id)["bayesian_avg"] == 5.0  # the only review: the prior is its own mean
    other = make_user("requester")
    db.session.add(Review(dataset_id=d["B"].id, user_id=other.id, overall=1, text=""))
    db.session.commit()
    prior = (5 + 1) / 2
    assert summarize(d["A"].id)["bayesian_avg"] == round((PRIOR_WEIGHT * prior + 5) / (PRIOR_WEIGHT + 1), 2)
