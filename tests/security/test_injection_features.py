"""Injection probes through the filters and sorts of the later packages (records API field names, dashboard
period/department, demands and KB search, CKAN datastore), path traversal in upload and attachment names,
oversize uploads (413 with a clear message) and a zip-bomb XLSX (refused from its declared sizes, never
expanded into memory)."""

from __future__ import annotations

import io
import zipfile
from urllib.parse import quote

import pytest

from market.db import db
from tests.conftest import csrf_token

PROBES = ["' OR '1'='1", "1; DROP TABLE datasets; --", "\" OR 1=1 --", "%' UNION SELECT password_hash FROM users --",
          "名称) OR (1=1", "../../etc/passwd", "\x00", "名称\"; --", "*", "-id", "__class__", "a" * 2000]


@pytest.fixture
def table(make_department, make_user, make_dataset):
    from delivery.upload import ingest

    owner = make_department()
    officer = make_user("officer", department=owner)
    ds = make_dataset("公交站点", department=owner, open_attribute="open", share_attribute="unconditional",
                      items=[("站点名称", False), ("线路", False)])
    csv = "站点名称,线路\n市民中心,1路\n火车站,2路\n学前街,3路\n".encode()
    ingest(ds, "stops.csv", csv, mode="replace", actor=officer)
    db.session.commit()
    return {"ds": ds, "officer": officer, "owner": owner}


def test_records_filters_and_sort_take_only_known_field_names(client, login, table, make_user):
    login(make_user("requester"))
    base = f"/api/v1/datasets/{table['ds'].id}/records"
    full = client.get(base)
    assert full.status_code == 200, full.get_json()
    assert len(full.get_json()["items"]) == 3
    for probe in PROBES:
        q = quote(probe)
        for url in (f"{base}?sort={q}", f"{base}?{q}=1", f"{base}?站点名称={q}", f"{base}?fields={q}",
                    f"{base}?cursor={q}", f"{base}?limit={q}"):
            resp = client.get(url)
            assert resp.status_code in (200, 400, 422), (url, resp.status_code)
            if resp.status_code == 200:  # a value probe is a literal: it can only narrow the rows
                assert len(resp.get_json()["items"]) <= 3, url
            else:
                assert resp.get_json()["error"]["message"], url
    # the value of a known field is compared as a value: an always-true SQL string matches nothing
    assert client.get(f"{base}?站点名称={quote(PROBES[0])}").get_json()["items"] == []


@pytest.mark.parametrize("probe", PROBES[:6])
def test_dashboard_demands_kb_and_ckan_probes_stay_in_scope(client, login, table, make_user, probe):
    login(make_user("operator"))
    q = quote(probe)
    for url in (f"/dashboard?period={q}&department={q}", f"/api/v1/dashboard?period={q}&department={q}",
                f"/api/v1/dashboard?format=csv&table={q}", f"/demands?q={q}&state={q}&scope={q}",
                f"/api/v1/demands?q={q}&state={q}", f"/kb?q={q}&kind={q}", f"/objections?state={q}",
                f"/api/3/action/datastore_search?resource_id={q}&q={q}&sort={q}",
                f"/api/3/action/package_search?q={q}&sort={q}&fq={q}", f"/rules/terms?q={q}",
                f"/trading/ledger?department={q}&page={q}"):
        resp = client.get(url)
        assert resp.status_code in (200, 400, 403, 404, 409, 422), (url, resp.status_code)
    # the demand search treats the probe as text: the always-true string matches no demand
    body = client.get(f"/api/v1/demands?q={q}").get_json()
    assert body.get("items", []) == [], body


def test_upload_file_name_cannot_traverse(client, login, table, tmp_path):
    login(table["officer"])
    url = f"/datasets/{table['ds'].id}/data"
    token = csrf_token(client, url)
    csv = "站点名称,线路\n新站,9路\n".encode()
    resp = client.post(url, data={"csrf_token": token, "mode": "append",
                                  "file": (io.BytesIO(csv), "../../../../tmp/evil.csv")},
                       content_type="multipart/form-data")
    assert resp.status_code in (200, 302, 422)
    from delivery.models import DataUpload

    for up in db.session.scalars(db.select(DataUpload)):
        for attr in ("filename", "name", "stored_name", "path"):
            value = getattr(up, attr, None)
            if isinstance(value, str) and attr != "filename":
                assert ".." not in value, (attr, value)


def test_kb_attachment_names_cannot_traverse(client, login, make_user):
    from kb.services import clean_filename, save_article

    op = make_user("operator")
    for name in ("../../etc/passwd.txt", "..\\..\\windows\\win.ini.txt", "/abs/path.txt", "a/../../b.pdf"):
        cleaned = clean_filename(name)
        assert "/" not in cleaned and "\\" not in cleaned and not cleaned.startswith("."), cleaned
    art = save_article(None, {"title": "附件测试", "kind": "guide", "summary": "", "body": "正文"}, actor=op)
    db.session.commit()
    login(op)
    token = csrf_token(client, f"/kb/{art.id}")
    resp = client.post(f"/kb/{art.id}/attachments", data={"csrf_token": token,
                                                          "file": (io.BytesIO(b"plain text"), "../../../evil.txt")},
                       content_type="multipart/form-data")
    assert resp.status_code in (200, 302, 422)
    from kb.models import Attachment
    from kb.services import attachment_path, storage_dir

    for att in db.session.scalars(db.select(Attachment)):
        assert ".." not in att.filename and "/" not in att.filename
        assert attachment_path(att).resolve().parent == storage_dir().resolve()
    # a traversal in the download URL is just a route that does not exist
    assert client.get(f"/kb/{art.id}/attachments/..%2F..%2Fetc%2Fpasswd").status_code == 404


def test_oversize_upload_is_413_with_a_clear_message(app, client, login, table, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 64 * 1024)
    login(table["officer"])
    token = csrf_token(client, f"/datasets/{table['ds'].id}/data")
    big = b"x" * (80 * 1024)
    resp = client.post(f"/api/v1/datasets/{table['ds'].id}/data", data={"file": (io.BytesIO(big), "big.csv")},
                       headers={"X-CSRFToken": token}, content_type="multipart/form-data")
    assert resp.status_code == 413, resp.status_code
    err = resp.get_json()["error"]
    assert err["code"] == "too_large" and "0.0625 MB" in err["message"] and err["fields"]["file"], err
    resp = client.post(f"/datasets/{table['ds'].id}/data", data={"csrf_token": token,
                                                                 "file": (io.BytesIO(big), "big.csv")},
                       content_type="multipart/form-data")
    assert resp.status_code == 413
    assert "0.0625 MB" in resp.get_data(as_text=True)


def _zip_bomb_xlsx(expanded_mb: int) -> bytes:
    """A workbook whose sheet expands to ``expanded_mb`` MB from a few hundred KB (streamed, never in memory)."""
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.append(["站点名称", "线路"])
    small = io.BytesIO()
    wb.save(small)
    out = io.BytesIO()
    with zipfile.ZipFile(small) as src, zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if info.filename != "xl/worksheets/sheet1.xml":
                dst.writestr(info, src.read(info))
                continue
            with dst.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
                sheet.write(b'<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/'
                            b'spreadsheetml/2006/main"><sheetData>')
                chunk = b" " * (1024 * 1024)
                for _ in range(expanded_mb):
                    sheet.write(chunk)
                sheet.write(b"</sheetData></worksheet>")
    return out.getvalue()


def test_zip_bomb_xlsx_is_refused_from_its_declared_size(client, login, table, monkeypatch):
    from delivery import upload

    monkeypatch.setattr(upload, "MAX_XLSX_EXPANDED", 32 * 1024 * 1024)  # the same check, a cheaper bomb
    bomb = _zip_bomb_xlsx(upload.MAX_XLSX_EXPANDED // (1024 * 1024) + 8)
    assert len(bomb) < 2 * 1024 * 1024  # small on the wire
    login(table["officer"])
    token = csrf_token(client, f"/datasets/{table['ds'].id}/data")
    resp = client.post(f"/api/v1/datasets/{table['ds'].id}/data", data={"file": (io.BytesIO(bomb), "bomb.xlsx")},
                       headers={"X-CSRFToken": token}, content_type="multipart/form-data")
    assert resp.status_code == 422, resp.get_data(as_text=True)[:300]
    assert resp.get_json()["error"]["fields"]["file"] == ["expands too much"]
    # and the table is as before
    assert len(client.get(f"/api/v1/datasets/{table['ds'].id}/records").get_json()["items"]) == 3
