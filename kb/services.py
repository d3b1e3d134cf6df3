"""Knowledge-base services: save, publish and unpublish articles, attachments on disk, and search.

Search segments text with the catalog's analyser (``search.analysis``: rjieba + the government-term user
dictionary) and stores the tokens space-delimited in ``search_text``; a query matches an article when every
query word (or one of its operator synonyms) is one of its tokens — a bounded LIKE per word, portable SQL.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import unicodedata
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import and_, func, or_, select

from audit import record_event
from market.db import db, utcnow
from market.errors import NotFound, ValidationFailed
from search import analysis
from search.synonyms import current_synonyms

from .markdown import MAX_BODY, render
from .models import Article, ArticleKind, ArticleStatus, Attachment

PER_PAGE = 20
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
MAX_ATTACHMENTS = 20
MAX_ALTERNATIVES = 6
# extension → (content type served, accepted leading bytes; empty = any text)
SAFE_TYPES = {
    "pdf": ("application/pdf", (b"%PDF-",)),
    "ofd": ("application/ofd", (b"PK\x03\x04",)),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", (b"PK\x03\x04",)),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (b"PK\x03\x04",)),
    "pptx": ("application/vnd.openxmlformats-officedocument.presentationml.presentation", (b"PK\x03\x04",)),
    "doc": ("application/msword", (b"\xd0\xcf\x11\xe0",)),
    "xls": ("application/vnd.ms-excel", (b"\xd0\xcf\x11\xe0",)),
    "zip": ("application/zip", (b"PK\x03\x04",)),
    "png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    "jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "csv": ("text/csv; charset=utf-8", ()),
    "txt": ("text/plain; charset=utf-8", ()),
}


# --- articles --------------------------------------------------------------------------------------------
def article_or_404(article_id: int, user) -> Article:
    art = db.session.get(Article, article_id)
    if art is None or (art.status != ArticleStatus.published and not can_manage(user)):
        raise NotFound(_("没有编号为 %(id)s 的文章（或尚未发布）。", id=article_id))
    return art


def can_manage(user) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and str(user.role) == "operator"


def clean_article(data) -> dict:
    title = " ".join((data.get("title") or "").split())
    kind = (data.get("kind") or "").strip()
    summary = " ".join((data.get("summary") or "").split())
    body = (data.get("body") or "").replace("\r\n", "\n")
    errors: dict[str, list[str]] = {}
    if not 2 <= len(title) <= 200:
        errors["title"] = [_("标题需 2–200 个字")]
    if kind not in ArticleKind.__members__:
        errors["kind"] = [_("请选择类别：政策法规、标准规范、操作指南或应用案例")]
    if len(summary) > 500:
        errors["summary"] = [_("摘要最多 500 个字")]
    if not body.strip():
        errors["body"] = [_("请填写正文（支持 Markdown）")]
    elif len(body) > MAX_BODY:
        errors["body"] = [_("正文最多 %(n)s 个字符", n=MAX_BODY)]
    if errors:
        raise ValidationFailed(_("文章有误：%(e)s", e="；".join(v[0] for v in errors.values())), fields=errors)
    return {"title": title, "kind": ArticleKind(kind), "summary": summary, "body": body}


def _index(art: Article) -> None:
    art.body_html = render(art.body)
    text = f"{art.title}\n{art.summary}\n{art.body}"
    art.search_text = f" {analysis.index_text(text)} "


def save_article(art: Article | None, data, *, actor) -> Article:
    values = clean_article(data)
    created = art is None
    if created:
        art = Article(author_id=actor.id, status=ArticleStatus.draft)
        db.session.add(art)
    changed = [k for k, v in values.items() if getattr(art, k, None) != v]
    for k, v in values.items():
        setattr(art, k, v)
    art.updated_by_id = actor.id
    _index(art)
    db.session.flush()
    record_event("kb.article.created" if created else "kb.article.updated", "kb_article", art.id, actor=actor,
                 payload={"title": art.title, "kind": str(art.kind), "fields": changed})
    return art


def set_published(art: Article, published: bool, *, actor) -> Article:
    target = ArticleStatus.published if published else ArticleStatus.draft
    if art.status == target:
        return art
    art.status = target
    if published:
        art.published_at = utcnow()
    art.updated_by_id = actor.id
    db.session.flush()
    record_event("kb.article.published" if published else "kb.article.unpublished", "kb_article", art.id,
                 actor=actor, payload={"title": art.title})
    return art


def delete_article(art: Article, *, actor) -> list[str]:
    """Delete the article; returns its stored file names for ``remove_files`` once the caller committed."""
    files = [a.stored_name for a in art.attachments]
    record_event("kb.article.deleted", "kb_article", art.id, actor=actor,
                 payload={"title": art.title, "attachments": len(files)})
    db.session.delete(art)
    db.session.flush()
    return files


# --- search and lists ------------------------------------------------------------------------------------
def _word_filters(q: str):
    words = analysis.query_words(q, current_synonyms())
    filters = []
    for alternatives in words[: analysis.MAX_QUERY_WORDS]:
        alts = [a for a in alternatives[:MAX_ALTERNATIVES] if a]
        if alts:
            filters.append(or_(*(Article.search_text.like(f"% {_escape(a)} %", escape="\\") for a in alts)))
    return filters


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def find_articles(*, q: str = "", kind: str | None = None, user=None, page: int = 1,
                  per_page: int = PER_PAGE) -> tuple[list[Article], int, int]:
    """(articles on ``page``, total, pages): published ones (operators also see drafts), newest first."""
    stmt = select(Article)
    if not can_manage(user):
        stmt = stmt.where(Article.status == ArticleStatus.published)
    if kind in ArticleKind.__members__:
        stmt = stmt.where(Article.kind == ArticleKind(kind))
    q = (q or "").strip()[:200]
    if q:
        filters = _word_filters(q)
        if not filters:
            return [], 0, 1
        stmt = stmt.where(and_(*filters))
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    rows = db.session.scalars(stmt.order_by(Article.published_at.desc().nulls_first(), Article.id.desc())
                              .offset((page - 1) * per_page).limit(per_page)).all()
    return list(rows), total, pages


def kind_counts(user) -> dict[str, int]:
    stmt = select(Article.kind, func.count()).group_by(Article.kind)
    if not can_manage(user):
        stmt = stmt.where(Article.status == ArticleStatus.published)
    return {str(k): n for k, n in db.session.execute(stmt).all()}


# --- attachments -----------------------------------------------------------------------------------------
def storage_dir() -> Path:
    folder = Path(current_app.config["MARKET"].data_dir) / "kb"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


_UNSAFE = re.compile(r"[^\w.\-（）()\[\] ]+")


def clean_filename(name: str) -> str:
    name = unicodedata.normalize("NFC", Path((name or "").replace("\\", "/")).name).strip()
    name = _UNSAFE.sub("_", name).strip(". ")
    if len(name) > 150:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: 140] + dot + ext[:8]) if dot else name[:150]
    return name


def add_attachment(art: Article, upload, *, actor) -> Attachment:
    """Store an uploaded file (``werkzeug.FileStorage``) after checking its name, type, content and size."""
    filename = clean_filename(getattr(upload, "filename", "") or "")
    ext = filename.rpartition(".")[2].lower() if "." in filename else ""
    if not filename or ext not in SAFE_TYPES:
        raise ValidationFailed(_("只能上传以下类型的附件：%(t)s。", t="、".join(sorted(SAFE_TYPES))),
                               fields={"file": [f"allowed: {', '.join(sorted(SAFE_TYPES))}"]})
    if len(art.attachments) >= MAX_ATTACHMENTS:
        raise ValidationFailed(_("每篇文章最多 %(n)s 个附件。", n=MAX_ATTACHMENTS), fields={"file": ["too many"]})
    data = upload.stream.read(MAX_ATTACHMENT_BYTES + 1)
    if not data:
        raise ValidationFailed(_("附件是空文件。"), fields={"file": ["empty"]})
    if len(data) > MAX_ATTACHMENT_BYTES:
        raise ValidationFailed(_("附件不能超过 %(n)s MB。", n=MAX_ATTACHMENT_BYTES // (1024 * 1024)),
                               fields={"file": ["too large"]})
    content_type, magics = SAFE_TYPES[ext]
    if magics and not any(data.startswith(m) for m in magics):
        raise ValidationFailed(_("文件内容与扩展名 .%(e)s 不符。", e=ext), fields={"file": ["content does not match type"]})
    if not magics:
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            raise ValidationFailed(_(".%(e)s 附件应为 UTF-8 文本。", e=ext), fields={"file": ["not UTF-8 text"]}) from None
        if re.search(rb"<\s*(script|html|svg|iframe)", data[:65536], re.IGNORECASE):
            raise ValidationFailed(_("文本附件中不能含有网页代码。"), fields={"file": ["looks like HTML"]})
    stored = f"{secrets.token_hex(16)}.{ext}"
    path = storage_dir() / stored
    path.write_bytes(data)
    att = Attachment(article=art, filename=filename, stored_name=stored, content_type=content_type, size=len(data),
                     sha256=hashlib.sha256(data).hexdigest(), uploaded_by_id=actor.id)
    db.session.add(att)
    try:
        db.session.flush()
        record_event("kb.attachment.added", "kb_article", art.id, actor=actor,
                     payload={"attachment": att.id, "filename": filename, "size": len(data), "sha256": att.sha256})
    except Exception:
        path.unlink(missing_ok=True)
        raise
    return att


def remove_attachment(att: Attachment, *, actor) -> list[str]:
    """Forget the attachment; returns its stored file name for ``remove_files`` once the caller committed."""
    record_event("kb.attachment.removed", "kb_article", att.article_id, actor=actor,
                 payload={"attachment": att.id, "filename": att.filename})
    name = att.stored_name
    db.session.delete(att)
    db.session.flush()
    return [name]


def attachment_path(att: Attachment) -> Path:
    path = (storage_dir() / att.stored_name).resolve()
    if path.parent != storage_dir().resolve() or not path.is_file():
        raise NotFound(_("附件文件不存在。"))
    return path


def remove_files(names: list[str]) -> None:
    for name in names:
        (storage_dir() / Path(name).name).unlink(missing_ok=True)
