"""Chinese first, English on request: every message is translated, pages switch language completely,
and form and API validation messages follow the reader's locale."""

from __future__ import annotations

import re
from fnmatch import fnmatch
from html import unescape
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from babel.support import Translations
from marshmallow import Schema, ValidationError, fields, validate

from market import ROOT
from market.validation_messages import LocalizedSchema
from tests.conftest import csrf_token

PO = ROOT / "translations" / "en" / "LC_MESSAGES" / "messages.po"
CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef]+")
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]|\{(\w+)[^}]*\}")
# what scripts/i18n.sh leaves out of extraction (keep the two lists alike)
IGNORED_DIRS = (".*", "._", "tests", "bench", "docs", "scripts", "static", "translations", "instance", "build",
                "dist", "*.egg-info", "node_modules")


def _catalog():
    with PO.open("rb") as fh:
        return read_po(fh)


def _placeholders(text: str) -> set[str]:
    return {a or b for a, b in PLACEHOLDER.findall(text)}


# --- the catalogs ------------------------------------------------------------------------------------
def test_every_message_has_an_english_translation_with_the_same_placeholders():
    catalog = _catalog()
    assert len(catalog) > 100
    untranslated = [m.id for m in catalog if m.id and not m.string]
    assert not untranslated, f"untranslated in {PO.name} (run scripts/i18n.sh, then translate): {untranslated}"
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    assert not fuzzy, f"fuzzy (unchecked) translations: {fuzzy}"
    for m in catalog:
        if m.id:
            assert _placeholders(m.string) == _placeholders(m.id), f"placeholders differ: {m.id!r} -> {m.string!r}"
            assert not CJK.search(m.string), f"Chinese left in the English text: {m.id!r} -> {m.string!r}"


def test_catalog_holds_every_message_in_the_code_and_templates():
    with (ROOT / "babel.cfg").open() as fh:
        method_map, options_map = parse_mapping_cfg(fh)
    keywords = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}

    def keep_dir(path: str) -> bool:
        return not any(fnmatch(Path(path).name, pattern) for pattern in IGNORED_DIRS)

    in_code = {msg[2] if isinstance(msg[2], str) else msg[2][0]
               for msg in extract_from_dir(str(ROOT), method_map, options_map, keywords=keywords,
                                           directory_filter=keep_dir)}
    in_catalog = {m.id for m in _catalog() if m.id}
    missing = sorted(in_code - in_catalog)
    assert not missing, f"messages not in {PO.name} yet (run scripts/i18n.sh, then translate): {missing}"
    assert "长度需在 %(min)s 到 %(max)s 个字符之间" in in_code and "登录" in in_code  # extraction saw both kinds


def test_compiled_catalog_matches_the_po_file():
    mo = PO.with_suffix(".mo")
    assert mo.exists(), "translations are not compiled: run `make translations`"
    with mo.open("rb") as fh:
        compiled = Translations(fh)
    stale = [m.id for m in _catalog() if m.id and isinstance(m.id, str) and compiled.gettext(m.id) != m.string]
    assert not stale, f"{mo} is older than the .po file (run `make translations`): {stale[:5]}"


# --- pages ---------------------------------------------------------------------------------------------
def _get(client, url: str, status: int = 200) -> str:
    resp = client.get(url)
    assert resp.status_code == status, f"{url}: {resp.status_code}\n{resp.get_data(as_text=True)[:800]}"
    return resp.get_data(as_text=True)


def _chinese_left(html: str) -> list[str]:
    """CJK text in the page, outside elements marked as Chinese (the 中文 switch, the logo glyph)."""
    html = re.sub(r'<(\w+)\b[^>]*\blang="zh[^"]*"[^>]*>.*?</\1>', "", html, flags=re.DOTALL)
    found = []
    for m in CJK.finditer(html):
        found.append(unescape(html[max(0, m.start() - 60):m.end() + 20]).replace("\n", " "))
    return found


@pytest.fixture
def ascii_catalog(make_department, make_category, make_dataset):
    """Datasets, departments and categories with English names: whatever Chinese is left on an English
    page then comes from the page itself, not from user data."""
    dept = make_department("tr", "Transport Bureau")
    cat = make_category("TRANS", "Transport")
    ds = make_dataset("Bus routes", department=dept, category=cat, summary="Routes and stops of city buses",
                      items=[("route_name", False), ("driver_phone", True)], tags=("bus",), level=3,
                      share_attribute="conditional", open_attribute="conditional", region="Wuxi",
                      record_count=1200)
    make_dataset("Bus stops", department=dept, category=cat, summary="Stops", items=[("stop", False)],
                 share_attribute="unconditional", open_attribute="open", level=1, region="Wuxi")
    return dept, ds


def test_english_pages_have_no_chinese_chrome(client, login, make_user, ascii_catalog):
    dept, ds = ascii_catalog
    assert '<html lang="zh-CN">' in _get(client, "/")
    assert "数据篮" not in _get(client, "/?lang=en")

    pages = ["/", "/datasets", "/datasets?q=bus&share_attribute=conditional", "/datasets?q=zzzzqqq",
             f"/datasets/{ds.id}", "/login", "/datasets/999999"]
    for url in pages:
        html = _get(client, url, 404 if url.endswith("999999") else 200)
        assert '<html lang="en">' in html, url
        assert not _chinese_left(html), f"{url}: {_chinese_left(html)}"

    officer = make_user("officer", department=dept)
    login(officer)
    for url in ["/", f"/datasets/{ds.id}", "/datasets/new", f"/datasets/{ds.id}/edit", "/manage",
                f"/datasets/{ds.id}/history"]:
        html = _get(client, url)
        assert '<html lang="en">' in html, url
        assert not _chinese_left(html), f"{url}: {_chinese_left(html)}"
    # vocabulary labels come in English too
    html = _get(client, f"/datasets/{ds.id}")
    assert "Conditional sharing" in html and "Level 3 (sensitive)" in html and "Data owner department" in html


def test_chinese_pages_stay_chinese(client, ascii_catalog):
    _dept, ds = ascii_catalog
    html = _get(client, f"/datasets/{ds.id}")
    assert '<html lang="zh-CN">' in html
    assert "有条件共享" in html and "数源部门" in html and "Conditional sharing" not in html


def test_header_shows_role_and_department_in_the_page_language(client, login, make_department, make_user):
    from market.db import db

    dept = make_department("jt", "市交通运输局")
    dept.name_en = "Transport Bureau"
    db.session.commit()
    user = login(make_user("officer", department=dept))
    who = re.compile(r'<span class="who">(.*?)</span>')
    assert who.search(_get(client, "/")).group(1) == f"{user.username} · 部门数据官 · 市交通运输局"
    assert who.search(_get(client, "/?lang=en")).group(1) == (
        f"{user.username} · Department data officer · Transport Bureau")


# --- validation messages -------------------------------------------------------------------------------
def _entry_form(token: str, **overrides) -> dict:
    data = {"csrf_token": token, "title": "Bus routes", "summary": "Routes", "tags": "bus", "formats": "CSV",
            "update_frequency": "monthly", "share_attribute": "conditional", "open_attribute": "open",
            "level": "2", "item-0-name": "route", "item-0-type": "string"}
    data.update(overrides)
    return data


def test_form_length_message_follows_the_locale(client, login, make_department, make_user):
    login(make_user("officer", department=make_department("tr", "Transport Bureau")))
    token = csrf_token(client, "/datasets/new")
    resp = client.post("/datasets/new", data=_entry_form(token, title="X", level="9"))
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    assert "长度需在 2 到 300 个字符之间" in html and "需在 1 到 4 之间" in html
    assert "Length must be" not in html and "between" not in html

    token = csrf_token(client, "/datasets/new?lang=en")  # the switch is remembered in the session
    resp = client.post("/datasets/new", data=_entry_form(token, title="X", level="9"))
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    assert "Must be between 2 and 300 characters long." in html and "Must be between 1 and 4." in html
    assert "长度需在" not in html and not _chinese_left(html)


def test_api_field_errors_follow_the_locale(client, make_user, api_token):
    headers = api_token(make_user("officer"))
    body = {"title": "X", "share_attribute": "sometimes", "level": 2, "tags": [""]}
    resp = client.post("/api/v1/datasets", json=body, headers=headers)
    assert resp.status_code == 422
    fields_ = resp.get_json()["error"]["fields"]
    assert fields_["title"] == ["长度需在 2 到 300 个字符之间"]
    assert fields_["open_attribute"] == ["此项为必填项"]
    assert fields_["share_attribute"] == ["必须是以下之一：unconditional, conditional, none"]
    assert fields_["tags"] == {"0": ["不能为空"]}

    resp = client.post("/api/v1/datasets?lang=en", json=body, headers=headers)
    fields_ = resp.get_json()["error"]["fields"]
    assert fields_["title"] == ["Must be between 2 and 300 characters long."]
    assert fields_["open_attribute"] == ["This field is required."]
    assert fields_["share_attribute"] == ["Must be one of: unconditional, conditional, none."]
    assert fields_["tags"] == {"0": ["Cannot be empty."]}


def test_token_request_errors_follow_the_locale(client):
    resp = client.post("/api/v1/auth/token", json={"username": ""})
    assert resp.status_code == 422
    assert resp.get_json()["error"]["fields"] == {"username": ["不能为空"], "password": ["此项为必填项"]}
    resp = client.post("/api/v1/auth/token?lang=en", json={"username": "", "password": 5})
    assert resp.get_json()["error"]["fields"] == {"username": ["Cannot be empty."], "password": ["Must be text."]}


def test_validation_outside_a_request_is_chinese(app):
    # CLI commands (market import) validate in an app context without a request
    from catalog.schemas import DatasetInput

    with pytest.raises(ValidationError) as exc:
        DatasetInput().load({"title": "X", "share_attribute": "none", "open_attribute": "closed", "level": 0})
    assert exc.value.messages == {"title": ["长度需在 2 到 300 个字符之间"], "level": ["需在 1 到 4 之间"]}


class _Sample(LocalizedSchema):
    name = fields.String(validate=validate.Length(max=3))
    code = fields.String(validate=validate.Length(min=2, error="code too short"))
    count = fields.Integer(validate=validate.Range(min=0, min_inclusive=False))
    ratio = fields.Float(validate=validate.Range(max=1))
    kind = fields.String(validate=validate.OneOf(["a", "b"], error="pick a or b"))
    pattern = fields.String(validate=validate.Regexp(r"^\d+$"))
    when = fields.Date()
    tags = fields.List(fields.String(), validate=validate.Length(min=1, max=2))
    modes = fields.List(fields.String(), validate=validate.Length(min=1))


def test_localized_schema_keeps_authors_messages_and_localizes_the_rest(app):
    with pytest.raises(ValidationError) as exc:
        _Sample().load({"name": "abcd", "code": "x", "count": 0, "ratio": 2, "kind": "c", "pattern": "x1",
                        "when": "tomorrow", "tags": ["a", "b", "c"], "modes": [], "extra": 1})
    assert exc.value.messages == {
        "name": ["不能超过 3 个字符"], "code": ["code too short"], "count": ["必须大于 0"], "ratio": ["不能大于 1"],
        "kind": ["pick a or b"], "pattern": ["格式不正确"], "when": ["日期格式无效，应为 YYYY-MM-DD"],
        "tags": ["需有 1 到 2 项"], "modes": ["不能为空"], "extra": ["不认识的字段"]}


def test_plain_marshmallow_schemas_are_left_alone(app):
    class Plain(Schema):
        name = fields.String(required=True, validate=validate.Length(2, 5))

    with pytest.raises(ValidationError) as exc:
        Plain().load({})
    assert exc.value.messages == {"name": ["Missing data for required field."]}
