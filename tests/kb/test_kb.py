"""Knowledge base: operators write and publish, everyone reads; Markdown is sanitised; attachments are
bounded, typed and served as downloads; search segments Chinese and honours synonyms."""

import io
from html.parser import HTMLParser

import pytest
from sqlalchemy import select

from audit.models import AuditEvent
from kb import services
from kb.markdown import render
from kb.models import Article, Attachment
from market.db import db
from tests.conftest import csrf_token

XSS_PROBES = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "[click](javascript:alert(1))",
    "[click](JAVASCRIPT:alert(1))",
    "[data](data:text/html;base64,PHNjcmlwdD4=)",
    "![x](javascript:alert(1))",
    '<a href="https://example.org" onclick="alert(1)">x</a>',
    "<iframe src=https://evil.example></iframe>",
    "<svg onload=alert(1)>",
    "<style>body{display:none}</style>",
    "[x](https://ok.example \"t\" onmouseover=alert(1))",
]


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


@pytest.mark.parametrize("probe", XSS_PROBES)
def test_no_raw_html_or_script_url_survives(probe):
    html = render(f"正文\n\n{probe}\n\n**粗体**")
    parser = _Tags()
    parser.feed(html)
    for tag, attrs in parser.tags:
        assert tag in {"p", "strong", "a", "img", "br"}, (probe, html)
        assert not any(name.startswith("on") or name == "style" for name in attrs), (probe, html)
        for name in ("href", "src"):
            if name in attrs:
                assert attrs[name].lower().startswith(("https:", "http:", "mailto:")), (probe, html)
    assert "<strong>粗体</strong>" in html


def test_markdown_features_render():
    html = render("# 标题\n\n- 一\n- 二\n\n|a|b|\n|-|-|\n|1|2|\n\n[政策](https://www.gov.cn/zhengce/)")
    assert "<h2>标题</h2>" in html and "<li>一</li>" in html and "<td>1</td>" in html
    assert 'href="https://www.gov.cn/zhengce/"' in html and 'rel="noopener noreferrer nofollow"' in html


@pytest.fixture
def operator_client(client, make_user, login):
    login(make_user("operator"))
    return client


def _create(client, **fields):
    data = {"title": "数据分级分类指南", "kind": "guide", "summary": "如何确定数据分级",
            "body": "# 分级\n\n公共数据按敏感程度分为四级。<script>alert(1)</script>", "action": "save",
            "csrf_token": csrf_token(client, "/kb/new"), **fields}
    resp = client.post("/kb/new", data=data)
    assert resp.status_code == 302, resp.get_data(as_text=True)[:500]
    return db.session.scalar(select(Article).order_by(Article.id.desc()))


def test_operator_writes_publishes_unpublishes_and_everyone_reads(operator_client, app, make_user):
    art = _create(operator_client)
    anon = app.test_client()
    assert anon.get(f"/kb/{art.id}").status_code == 404  # a draft is invisible outside the operators
    assert "数据分级分类指南" not in anon.get("/kb").get_data(as_text=True)
    token = csrf_token(operator_client, f"/kb/{art.id}")
    assert operator_client.post(f"/kb/{art.id}/publish", data={"publish": "1", "csrf_token": token}).status_code == 302
    page = anon.get(f"/kb/{art.id}").get_data(as_text=True)
    assert "公共数据按敏感程度分为四级" in page and "<script>alert(1)" not in page and "&lt;script&gt;" in page
    assert "数据分级分类指南" in anon.get("/kb?kind=guide").get_data(as_text=True)
    assert "数据分级分类指南" not in anon.get("/kb?kind=policy").get_data(as_text=True)
    assert operator_client.post(f"/kb/{art.id}/publish", data={"publish": "0", "csrf_token": token}).status_code == 302
    assert anon.get(f"/kb/{art.id}").status_code == 404
    actions = [e.action for e in db.session.scalars(select(AuditEvent).where(AuditEvent.object_type == "kb_article").order_by(AuditEvent.id))]
    assert actions == ["kb.article.created", "kb.article.published", "kb.article.unpublished"]


def test_only_operators_manage(app, client, make_user, login):
    login(make_user("officer"))
    assert client.get("/kb/new").status_code == 403
    token = csrf_token(client, "/kb")
    assert client.post("/kb/new", data={"title": "x", "kind": "guide", "body": "y", "csrf_token": token}
                       ).status_code == 403
    assert app.test_client().get("/kb/new").status_code == 302  # anonymous → login


def test_validation_messages_per_field(operator_client):
    resp = operator_client.post("/kb/new", data={"title": "", "kind": "blog", "body": "", "action": "save",
                                                 "csrf_token": csrf_token(operator_client, "/kb/new")})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422
    for field in ("title", "kind", "body"):
        assert f'id="{field}-error"' in html
    assert db.session.scalar(select(Article)) is None


def test_preview_renders_without_saving(operator_client):
    resp = operator_client.post("/kb/new", data={"title": "t", "kind": "guide", "body": "**预览**<img src=x onerror=1>",
                                                 "action": "preview",
                                                 "csrf_token": csrf_token(operator_client, "/kb/new")})
    html = resp.get_data(as_text=True)
    assert "<strong>预览</strong>" in html and "<img src=x" not in html
    assert db.session.scalar(select(Article)) is None


def test_search_segments_chinese_and_uses_synonyms(app, operator_client):
    from search.synonyms import add_synonym

    a = _create(operator_client, title="公共数据共享管理办法（摘要）", kind="policy",
                body="政务部门之间共享公共数据，应当通过公共数据平台进行。", action="publish")
    _create(operator_client, title="开放数据申请指南", kind="guide", body="企业和个人如何申请开放数据。",
            action="publish")
    anon = app.test_client()
    html = anon.get("/kb?q=共享管理").get_data(as_text=True)
    assert a.title in html and "开放数据申请指南" not in html
    assert "开放数据申请指南" in anon.get("/kb?q=申请 指南").get_data(as_text=True)
    assert "没有找到" in anon.get("/kb?q=气象卫星").get_data(as_text=True)
    assert "没有找到" in anon.get("/kb?q=%25").get_data(as_text=True)  # LIKE wildcards are literal
    add_synonym("法人", "企业")
    db.session.commit()
    assert "开放数据申请指南" in anon.get("/kb?q=法人").get_data(as_text=True)


def _upload(client, art, name, content):
    token = csrf_token(client, f"/kb/{art.id}")
    return client.post(f"/kb/{art.id}/attachments", data={"file": (io.BytesIO(content), name), "csrf_token": token},
                       content_type="multipart/form-data", follow_redirects=True)


def test_attachments_are_checked_stored_and_downloaded_safely(app, operator_client, monkeypatch):
    art = _create(operator_client, action="publish")
    pdf = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n%%EOF\n"
    page = _upload(operator_client, art, "数据分级 指南.pdf", pdf).get_data(as_text=True)
    assert "已上传附件" in page
    att = db.session.scalar(select(Attachment))
    path = services.storage_dir() / att.stored_name
    assert path.read_bytes() == pdf and str(app.config["MARKET"].data_dir) in str(path)

    resp = app.test_client().get(f"/kb/{art.id}/attachments/{att.id}")
    assert resp.status_code == 200 and resp.data == pdf
    assert resp.headers["Content-Disposition"].startswith("attachment;")
    assert "filename*=UTF-8''" in resp.headers["Content-Disposition"]
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.mimetype == "application/pdf"
    resp.close()

    for name, content, message in [("page.html", b"<html>", "只能上传以下类型"),
                                   ("fake.pdf", b"<script>alert(1)</script>", "不符"),
                                   ("notes.txt", b"<script>alert(1)</script>", "网页代码"),
                                   ("empty.csv", b"", "请选择要上传的文件" if False else "空文件")]:
        page = _upload(operator_client, art, name, content).get_data(as_text=True)
        assert message in page, name
    monkeypatch.setattr(services, "MAX_ATTACHMENT_BYTES", 64)
    page = _upload(operator_client, art, "big.txt", b"x" * 65).get_data(as_text=True)
    assert "不能超过" in page
    assert db.session.scalar(select(db.func.count()).select_from(Attachment)) == 1

    token = csrf_token(operator_client, f"/kb/{art.id}")
    assert operator_client.post(f"/kb/{art.id}/attachments/{att.id}/delete", data={"csrf_token": token}
                                ).status_code == 302
    assert not path.exists()


def test_filenames_cannot_escape_the_folder():
    assert services.clean_filename("../../etc/passwd.txt") == "passwd.txt"
    assert services.clean_filename("..\\..\\win.ini") == "win.ini"
    assert "/" not in services.clean_filename("a/b<c>.pdf")


def test_demo_articles(app, make_user):
    from kb.demo import ARTICLES, seed_demo_extra

    make_user("operator", username="operator")
    assert "6 published articles" in seed_demo_extra(None)
    db.session.commit()
    rows, total, _pages = services.find_articles(q="分级", user=None)
    assert total >= 1 and any(r.title == "公共数据分级分类指南" for r in rows)
    assert services.find_articles(kind="case", user=None)[1] == 2
    assert len(ARTICLES) == 6
    att = db.session.scalar(select(Attachment))
    assert att.filename == "申请材料清单.csv" and services.attachment_path(att).read_bytes().startswith("场景".encode())


def test_the_portal_bar_marks_the_zone_on_its_inner_pages(app, operator_client):
    art = _create(operator_client, action="publish")
    html = app.test_client().get(f"/kb/{art.id}").get_data(as_text=True)
    assert '<a href="/kb" aria-current="page">' in html
