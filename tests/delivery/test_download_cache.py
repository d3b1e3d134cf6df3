"""Open-data downloads from the file cache: rendered once, then sent as a file until the rows or items
change; grant copies never cached; a broken or full cache never breaks a download; every copy is still
in the ledger and the audit chain."""

from __future__ import annotations

import csv
import errno
import io
import json

import pytest
from sqlalchemy import func, select

from market.db import db

from .conftest import ITEMS

HEADER = ",".join(name for name, _kind, _sensitive in ITEMS)
NAMES = [name for name, _kind, _sensitive in ITEMS]


@pytest.fixture
def cache_dir(app):
    from delivery import filecache

    filecache.clear()
    yield filecache.folder()
    filecache.clear()


def _files(folder) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def _csv(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def _get(client, ds, fmt: str = "csv", **kw):
    """The download read to the end and closed (as a WSGI server closes a sent file)."""
    resp = client.get(f"/api/v1/datasets/{ds.id}/download?format={fmt}", **kw)
    resp.get_data()
    resp.close()
    return resp


@pytest.mark.parametrize("fmt", ["csv", "json", "xlsx"])
def test_second_open_download_is_the_same_file_from_the_cache(client, company_dataset, cache_dir, fmt):
    ds = company_dataset(1200, open_attribute="open")
    first = _get(client, ds, fmt)
    assert first.status_code == 200 and first.headers["X-Download-Cache"] == "miss"
    body = first.get_data()
    assert _files(cache_dir) == [f"{ds.id}-{_version(cache_dir)}.{fmt}"]
    second = _get(client, ds, fmt)
    assert second.status_code == 200 and second.headers["X-Download-Cache"] == "hit"
    assert second.get_data() == body
    assert second.headers["Content-Length"] == str(len(body))
    for header in ("Content-Disposition", "Content-Type", "Cache-Control"):
        assert second.headers[header] == first.headers[header]
    assert second.headers["X-Usage-Id"] != first.headers["X-Usage-Id"]
    if fmt == "csv":
        rows = _csv(body)
        assert rows[0] == NAMES and len(rows) == 1201 and rows[1][2] == "王*"  # still masked


def _version(folder) -> str:
    return _files(folder)[0].split("-", 1)[1].split(".")[0]


def test_each_download_hit_or_miss_is_in_the_ledger_and_audit_chain(client, company_dataset, cache_dir):
    from audit.models import AuditEvent
    from delivery.models import UsageEvent

    ds = company_dataset(40, open_attribute="open")
    ids = []
    for expected in ("miss", "hit", "hit"):
        resp = _get(client, ds)
        assert resp.headers["X-Download-Cache"] == expected
        resp.get_data()
        ids.append(int(resp.headers["X-Usage-Id"]))
    events = db.session.scalars(select(UsageEvent).order_by(UsageEvent.id)).all()
    assert [e.id for e in events] == ids
    assert {(e.action, e.format, e.rows, e.dataset_id) for e in events} == {("download", "csv", 40, ds.id)}
    audited = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "delivery.download")).all()
    assert sorted(a.payload["usage"] for a in audited) == ids


@pytest.mark.parametrize("mode", ["replace", "append"])
def test_an_upload_shows_its_rows_at_once_and_drops_the_old_file(client, company_dataset, cache_dir, make_user,
                                                                  api_token, mode):
    ds = company_dataset(30, open_attribute="open")
    old = _get(client, ds).get_data()
    old_files = _files(cache_dir)
    assert _get(client, ds).headers["X-Download-Cache"] == "hit"
    officer = make_user("officer", department=ds.department)
    upload = (HEADER + "\n91320200MANEW0001,新上传有限公司,周九,8.5,2024-02-03\n").encode("utf-8-sig")
    resp = client.post(f"/api/v1/datasets/{ds.id}/data", headers=api_token(officer),
                       data={"file": (io.BytesIO(upload), "new.csv"), "mode": mode},
                       content_type="multipart/form-data")
    assert resp.status_code == 201, resp.get_json()
    fresh = _get(client, ds)
    assert fresh.headers["X-Download-Cache"] == "miss"
    rows = _csv(fresh.get_data())
    assert rows[-1][:2] == ["91320200MANEW0001", "新上传有限公司"]
    assert len(rows) == (2 if mode == "replace" else 32)
    assert fresh.get_data() != old
    files = _files(cache_dir)
    assert len(files) == 1 and files != old_files  # the outdated version is gone
    assert _csv(_get(client, ds).get_data()) == rows


def test_marking_an_item_sensitive_masks_it_in_the_next_download(client, company_dataset, cache_dir, make_user,
                                                                 api_token):
    ds = company_dataset(10, open_attribute="open")
    assert _csv(_get(client, ds).get_data())[1][1] == "无锡测试0有限公司"
    assert _get(client, ds).headers["X-Download-Cache"] == "hit"
    officer = make_user("officer", department=ds.department)
    items = [{"name": n, "type": k, "sensitive": s or n == "企业名称"} for n, k, s in ITEMS]
    resp = client.patch(f"/api/v1/datasets/{ds.id}", json={"items": items}, headers=api_token(officer))
    assert resp.status_code == 200, resp.get_json()
    after = _get(client, ds)
    assert after.headers["X-Download-Cache"] == "miss"
    row = _csv(after.get_data())[1]
    assert row[1] != "无锡测试0有限公司" and "*" in row[1] and row[2] == "王*"


def test_grant_copies_are_never_cached_and_stay_watermarked(client, company_dataset, cache_dir, make_user,
                                                            make_grant, api_token, monkeypatch):
    import sys
    import types

    calls = []

    def mark_rows(grant_id, dataset_id, columns, rows):
        calls.append(grant_id)
        for row in rows:
            yield dict(row, 企业名称=row["企业名称"] + f"·{grant_id}")

    monkeypatch.setitem(sys.modules, "watermark", types.SimpleNamespace(mark_rows=mark_rows))
    monkeypatch.setattr("importlib.util.find_spec", lambda name, *a: object() if name == "watermark" else None)
    ds = company_dataset(20, open_attribute="open")
    assert _get(client, ds).headers["X-Download-Cache"] == "miss"  # the open copy is cached …
    user = make_user("requester")
    grant = make_grant(user, ds, NAMES[:3])
    for via in (f"/api/v1/grants/{grant.id}/download", f"/api/v1/datasets/{ds.id}/download"):
        resp = client.get(via, headers=api_token(user))
        assert resp.status_code == 200 and "X-Download-Cache" not in resp.headers
        rows = _csv(resp.get_data())
        assert rows[0] == NAMES[:3] and rows[1][1].endswith(f"·{grant.id}") and rows[1][2] == "王0"
    assert calls == [grant.id, grant.id]
    assert len(_files(cache_dir)) == 1  # … the grant copies are not


def test_owner_copies_are_not_cached(client, company_dataset, cache_dir, make_user, api_token):
    ds = company_dataset(5, open_attribute="open")
    officer = make_user("officer", department=ds.department)
    resp = _get(client, ds, headers=api_token(officer))
    assert resp.status_code == 200 and "X-Download-Cache" not in resp.headers
    assert _csv(resp.get_data())[1][2] == "王0"  # unmasked for the owner
    assert _files(cache_dir) == []


def test_a_client_that_stops_reading_leaves_nothing_in_the_cache(client, company_dataset, cache_dir):
    ds = company_dataset(3000, open_attribute="open")
    resp = client.get(f"/api/v1/datasets/{ds.id}/download?format=csv", buffered=False)
    chunks = iter(resp.response)
    assert next(chunks)
    assert any(cache_dir.iterdir())  # the render is being copied …
    resp.close()  # … the client goes away
    assert _files(cache_dir) == []
    again = _get(client, ds)
    assert again.headers["X-Download-Cache"] == "miss" and len(_csv(again.get_data())) == 3001


@pytest.mark.parametrize("where", ["write", "fsync"])
def test_a_full_disk_still_delivers_the_whole_file(client, company_dataset, cache_dir, monkeypatch, where):
    from delivery import filecache

    ds = company_dataset(1500, open_attribute="open")

    def full(*_a, **_kw):
        raise OSError(errno.ENOSPC, "No space left on device")

    if where == "write":
        monkeypatch.setattr(filecache._Partial, "write", full)
    else:
        monkeypatch.setattr(filecache.os, "fsync", full)
    resp = _get(client, ds)
    assert resp.status_code == 200
    rows = _csv(resp.get_data())
    assert len(rows) == 1501 and rows[1500][0] == "91320213MA00001499" and rows[1][2] == "王*"
    assert _files(cache_dir) == []
    monkeypatch.undo()
    again = _get(client, ds)
    assert again.headers["X-Download-Cache"] == "miss" and _csv(again.get_data()) == rows


def test_an_unwritable_cache_folder_still_delivers(client, company_dataset, cache_dir, monkeypatch):
    from delivery import filecache

    ds = company_dataset(50, open_attribute="open")
    blocker = cache_dir.parent / "blocked"
    blocker.parent.mkdir(parents=True, exist_ok=True)
    blocker.write_text("not a folder")
    monkeypatch.setattr(filecache, "FOLDER", ("cache", "blocked", "open-downloads"))
    try:
        resp = _get(client, ds)
        assert resp.status_code == 200 and len(_csv(resp.get_data())) == 51
    finally:
        blocker.unlink()


def test_range_and_conditional_requests_on_a_cached_file(client, company_dataset, cache_dir):
    ds = company_dataset(200, open_attribute="open")
    full = _get(client, ds, "json").get_data()
    part = _get(client, ds, "json", headers={"Range": "bytes=10-"})
    assert part.status_code == 206 and part.get_data() == full[10:]
    etag = part.headers["ETag"]
    assert _get(client, ds, "json", headers={"If-None-Match": etag}).status_code == 304
    assert json.loads(_get(client, ds, "json").get_data())["rows"][199]["企业名称"] == "无锡测试199有限公司"


def test_concurrent_first_renders_do_not_corrupt_each_other(app, company_dataset, cache_dir):
    from delivery import filecache
    from delivery.access import for_entry
    from delivery.formats import stream

    ds = company_dataset(2000, open_attribute="open")
    delivery = for_entry(ds, None, "download")
    entry = filecache.entry_for(delivery, "csv")

    def render():
        from delivery.access import delivered_rows

        return filecache.tee(entry, stream("csv", delivery.columns, delivered_rows(delivery)))

    a, b = render(), render()
    out_a, out_b = [], []
    for chunk_a, chunk_b in zip(a, b, strict=True):  # interleaved: two temp files open at once
        out_a.append(chunk_a)
        out_b.append(chunk_b)
    assert b"".join(out_a) == b"".join(out_b)
    assert _files(cache_dir) == [entry.name]
    assert entry.path.read_bytes() == b"".join(out_a)


def test_the_folder_stays_within_its_bound_least_recently_sent_first(client, company_dataset, cache_dir,
                                                                     monkeypatch):
    from delivery import filecache

    first, second, third = (company_dataset(300, open_attribute="open") for _ in range(3))
    size = len(_get(client, first).get_data())
    monkeypatch.setattr(filecache, "MAX_BYTES", int(size * 2.5))  # room for two
    _get(client, second).get_data()
    assert _get(client, first).headers["X-Download-Cache"] == "hit"  # first sent more recently than second
    _get(client, third).get_data()
    kept = {name.split("-", 1)[0] for name in _files(cache_dir)}
    assert kept == {str(first.id), str(third.id)}
    assert _get(client, second).headers["X-Download-Cache"] == "miss"


def test_a_file_larger_than_the_bound_is_streamed_but_not_kept(client, company_dataset, cache_dir, monkeypatch):
    from delivery import filecache

    monkeypatch.setattr(filecache, "MAX_BYTES", 10_000)
    ds = company_dataset(2000, open_attribute="open")
    rows = _csv(_get(client, ds).get_data())
    assert len(rows) == 2001 and _files(cache_dir) == []


def test_backups_leave_the_cache_out(client, company_dataset, cache_dir, settings):
    from market.backup import iter_data_files

    ds = company_dataset(5, open_attribute="open")
    _get(client, ds).get_data()
    assert _files(cache_dir)
    kept = [rel.as_posix() for _full, rel in iter_data_files(settings.data_dir)]
    assert not [rel for rel in kept if rel.startswith("cache/")]


def test_a_table_changed_during_the_render_is_not_cached(app, company_dataset, cache_dir):
    from delivery import filecache, store
    from delivery.access import delivered_rows, for_entry
    from delivery.formats import stream
    from delivery.models import DataRow

    ds = company_dataset(20, open_attribute="open")
    delivery = for_entry(ds, None, "download")
    entry = filecache.entry_for(delivery, "csv")
    body = filecache.tee(entry, stream("csv", delivery.columns, delivered_rows(delivery)))
    next(body)
    store.append_rows(ds.id, [{"统一社会信用代码": "X", "企业名称": "迟到公司"}])
    db.session.commit()
    assert b"".join(body)
    assert _files(cache_dir) == []
    assert db.session.scalar(select(func.count()).select_from(DataRow)) == 21
