"""Rows handed out through the records API and the authorised query under a grant carry the grant's
watermark, the same marks as the grant's download: a copy assembled from API pages is traced to its
grant, while the owner's pages stay equal to the stored rows."""

from __future__ import annotations

import json

import pytest

from market.db import db
from watermark import trace_file

from .conftest import NAMES, csv_text

ROWS = 600


@pytest.fixture
def entry_with_grants(company_entry, make_user, make_department, make_grant):
    """One entry with 600 stored rows and five grants of it, held by five requesters."""
    ds = company_entry(ROWS)
    users = [make_user("requester", department=make_department()) for _ in range(5)]
    grants = [make_grant(u, ds, days_ago=1 + i) for i, u in enumerate(users)]
    return ds, users, grants


def _all_pages(client, headers, dataset_id: int, *, limit: int = 250, **params) -> list[dict]:
    """Every record of the entry through the records API, following ``next_cursor``."""
    items, cursor, calls = [], None, 0
    while True:
        query = {"limit": limit, **params, **({"cursor": cursor} if cursor else {})}
        resp = client.get(f"/api/v1/datasets/{dataset_id}/records", query_string=query, headers=headers)
        assert resp.status_code == 200, resp.get_json()
        body = resp.get_json()
        items.extend(body["items"])
        cursor, calls = body["next_cursor"], calls + 1
        if not cursor:
            return items
        assert calls < 100


def _stored(dataset_id: int) -> list[dict]:
    from delivery import store

    return list(store.iter_rows(dataset_id, NAMES))


def _by_key(rows: list[dict]) -> dict[str, dict]:
    return {r["统一社会信用代码"]: r for r in rows}


def test_a_copy_assembled_from_api_pages_names_its_grant(client, api_token, entry_with_grants, tmp_path):
    ds, users, grants = entry_with_grants
    holder, grant = users[2], grants[2]
    items = _all_pages(client, api_token(holder), ds.id)
    assert len(items) == ROWS
    stored = _stored(ds.id)
    changed = sum(a != b for a, b in zip(items, stored, strict=True))
    assert ROWS * 0.1 < changed < ROWS * 0.3  # about a fifth of the rows carry one mark

    path = tmp_path / "from-api.csv"
    path.write_text(csv_text(items, NAMES), encoding="utf-8")
    result = trace_file(str(path))

    assert result.matched, result.reason
    assert [f.grant_id for f in result.findings] == [grant.id]  # that grant, none of the other four
    assert result.best.score.found >= 0.9 * result.best.score.expected


def test_the_owner_gets_the_stored_rows_unmarked(client, api_token, make_user, entry_with_grants, tmp_path):
    ds, _users, _grants = entry_with_grants
    officer = make_user("officer", department=ds.department)
    items = _all_pages(client, api_token(officer), ds.id)
    assert items == _stored(ds.id)
    path = tmp_path / "owner.csv"
    path.write_text(csv_text(items, NAMES), encoding="utf-8")
    assert not trace_file(str(path)).matched


def test_download_and_api_pages_of_a_grant_carry_identical_values(client, api_token, entry_with_grants):
    ds, users, grants = entry_with_grants
    headers = api_token(users[0])
    resp = client.get(f"/api/v1/grants/{grants[0].id}/download", query_string={"format": "json"}, headers=headers)
    assert resp.status_code == 200
    downloaded = _by_key(json.loads(resp.get_data(as_text=True))["rows"])
    assert len(downloaded) == ROWS

    pages = _all_pages(client, headers, ds.id, limit=97)
    assert _by_key(pages) == downloaded
    assert pages != _stored(ds.id)  # the values are marked, not merely equal to the store
    # sorted, filtered, and with only some fields: the same values for the same rows
    subset = _all_pages(client, headers, ds.id, limit=50, sort="-注册资本", fields="统一社会信用代码,注册资本,住所",
                        从业人数__gte="1000")
    assert subset and len(subset) < ROWS
    for row in subset:
        full = downloaded[row["统一社会信用代码"]]
        assert row == {c: full[c] for c in ("统一社会信用代码", "注册资本", "住所")}
    # another grant's pages differ from this grant's in some rows (each grant its own marks)
    other = _by_key(_all_pages(client, api_token(users[1]), ds.id))
    assert other.keys() == downloaded.keys() and other != downloaded


def test_query_answers_under_a_grant_carry_its_marks_and_the_owners_do_not(client, api_token, make_user,
                                                                          entry_with_grants):
    ds, users, grants = entry_with_grants
    grant = grants[3]
    grant.delivery_modes = ["download", "api", "query"]
    db.session.commit()
    headers = api_token(users[3])
    resp = client.get(f"/api/v1/grants/{grant.id}/download", query_string={"format": "json"}, headers=headers)
    downloaded = _by_key(json.loads(resp.get_data(as_text=True))["rows"])
    stored = _by_key(_stored(ds.id))
    marked_keys = [k for k, row in downloaded.items() if row != stored[k]][:3]
    assert len(marked_keys) == 3
    officer_headers = api_token(make_user("officer", department=ds.department))
    for key in marked_keys:
        body = {"key": key, "purpose": "核对企业登记信息"}
        answer = client.post(f"/api/v1/datasets/{ds.id}/query", json=body, headers=headers).get_json()
        assert answer["count"] == 1 and answer["items"] == [downloaded[key]]
        owner = client.post(f"/api/v1/datasets/{ds.id}/query", json=body, headers=officer_headers).get_json()
        assert owner["items"] == [stored[key]]


def test_open_entry_pages_are_not_marked(client, company_entry, make_user, api_token):
    """Open data has no grant to name: its pages are the stored rows with sensitive items masked."""
    from delivery.access import mask_value

    ds = company_entry(120, open_attribute="open")
    items = _all_pages(client, api_token(make_user("requester")), ds.id)
    want = [{**r, "法定代表人": mask_value(r["法定代表人"])} for r in _stored(ds.id)]
    assert items == want


def test_ckan_datastore_search_under_a_grant_carries_the_same_marks(client, api_token, entry_with_grants):
    """The CKAN-compatible ``datastore_search`` is another way to page through a grant's rows."""
    ds, users, grants = entry_with_grants
    headers = api_token(users[4])
    resp = client.get(f"/api/v1/grants/{grants[4].id}/download", query_string={"format": "json"}, headers=headers)
    downloaded = _by_key(json.loads(resp.get_data(as_text=True))["rows"])
    records = []
    for offset in range(0, ROWS, 200):
        resp = client.post("/api/3/action/datastore_search", headers=headers,
                           json={"resource_id": f"{ds.code}--datastore", "limit": 200, "offset": offset,
                                 "sort": "统一社会信用代码"})
        assert resp.status_code == 200, resp.get_json()
        records.extend({k: v for k, v in r.items() if k != "_id"} for r in resp.get_json()["result"]["records"])
    assert _by_key(records) == downloaded
    assert _by_key(records) != _by_key(_stored(ds.id))
