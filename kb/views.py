"""Knowledge-base pages (/kb): everyone reads published articles; operators write, publish and attach files."""

from __future__ import annotations

from urllib.parse import quote

from flask import Blueprint, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup

from audit import record_event
from market.auth import require_roles
from market.auth.models import Role
from market.db import db
from market.errors import NotFound, ValidationFailed

from . import services
from .models import ArticleKind, Attachment

bp = Blueprint("kb", __name__, url_prefix="/kb")
operators = require_roles(Role.operator)


def kind_labels() -> dict[str, str]:
    return {"policy": _("政策法规"), "standard": _("标准规范"), "guide": _("操作指南"), "case": _("应用案例")}


@bp.app_context_processor
def _labels():
    return {"kb_kind_labels": kind_labels}


def _page() -> int:
    raw = request.args.get("page", "1")
    return int(raw) if raw.isdigit() and len(raw) < 6 else 1


@bp.get("")
def index():
    q = request.args.get("q", "")[:200]
    kind = request.args.get("kind", "")
    kind = kind if kind in ArticleKind.__members__ else ""
    rows, total, pages = services.find_articles(q=q, kind=kind or None, user=current_user, page=_page())
    return render_template("kb/index.html", rows=rows, total=total, pages=pages, page=_page(), q=q, kind=kind,
                           counts=services.kind_counts(current_user), can_manage=services.can_manage(current_user))


@bp.get("/<int:article_id>")
def article(article_id: int):
    art = services.article_or_404(article_id, current_user)
    return render_template("kb/article.html", art=art, body=Markup(art.body_html),  # sanitised by kb.markdown
                           can_manage=services.can_manage(current_user), max_mb=services.MAX_ATTACHMENT_BYTES >> 20,
                           types=sorted(services.SAFE_TYPES))


@bp.route("/new", methods=["GET", "POST"])
@bp.route("/<int:article_id>/edit", methods=["GET", "POST"])
@operators
def edit(article_id: int | None = None):
    art = services.article_or_404(article_id, current_user) if article_id is not None else None
    form = {"title": art.title, "kind": str(art.kind), "summary": art.summary, "body": art.body} if art else {}
    errors: dict[str, str] = {}
    preview = None
    if request.method == "POST":
        form = {k: request.form.get(k, "")[: services.MAX_BODY + 10] for k in ("title", "kind", "summary", "body")}
        if request.form.get("action") == "preview":
            preview = Markup(services.render(form["body"][: services.MAX_BODY]))  # sanitised
        else:
            try:
                art = services.save_article(art, form, actor=current_user)
                if request.form.get("action") == "publish":
                    services.set_published(art, True, actor=current_user)
                db.session.commit()
                flash(_("文章已保存。"), "success")
                return redirect(url_for("kb.article", article_id=art.id))
            except ValidationFailed as exc:
                db.session.rollback()
                errors = {k: v[0] for k, v in exc.fields.items()}
                art = services.article_or_404(article_id, current_user) if article_id is not None else None
    return render_template("kb/form.html", art=art, form=form, errors=errors, preview=preview,
                           kinds=list(ArticleKind)), 422 if errors else 200


@bp.post("/<int:article_id>/publish")
@operators
def publish(article_id: int):
    art = services.article_or_404(article_id, current_user)
    publish = request.form.get("publish") == "1"
    services.set_published(art, publish, actor=current_user)
    db.session.commit()
    flash(_("文章已发布，所有人可见。") if publish else _("文章已撤回为草稿，仅运营人员可见。"), "success")
    return redirect(url_for("kb.article", article_id=art.id))


@bp.post("/<int:article_id>/delete")
@operators
def delete(article_id: int):
    art = services.article_or_404(article_id, current_user)
    files = services.delete_article(art, actor=current_user)
    db.session.commit()
    services.remove_files(files)
    flash(_("文章已删除。"), "success")
    return redirect(url_for("kb.index"))


@bp.post("/<int:article_id>/attachments")
@operators
def upload(article_id: int):
    art = services.article_or_404(article_id, current_user)
    file = request.files.get("file")
    if file is None or not file.filename:
        flash(_("请选择要上传的文件。"), "error")
        return redirect(url_for("kb.article", article_id=art.id))
    try:
        att = services.add_attachment(art, file, actor=current_user)
        db.session.commit()
        flash(_("已上传附件“%(f)s”。", f=att.filename), "success")
    except ValidationFailed as exc:
        db.session.rollback()
        flash(_("没有上传：%(m)s", m=exc.message), "error")
    return redirect(url_for("kb.article", article_id=article_id))


def _attachment_or_404(article_id: int, attachment_id: int) -> Attachment:
    art = services.article_or_404(article_id, current_user)
    att = next((a for a in art.attachments if a.id == attachment_id), None)
    if att is None:
        raise NotFound(_("没有这个附件。"))
    return att


@bp.post("/<int:article_id>/attachments/<int:attachment_id>/delete")
@operators
def remove(article_id: int, attachment_id: int):
    att = _attachment_or_404(article_id, attachment_id)
    files = services.remove_attachment(att, actor=current_user)
    db.session.commit()
    services.remove_files(files)
    flash(_("附件已删除。"), "success")
    return redirect(url_for("kb.article", article_id=article_id))


@bp.get("/<int:article_id>/attachments/<int:attachment_id>")
def download(article_id: int, attachment_id: int):
    att = _attachment_or_404(article_id, attachment_id)
    path = services.attachment_path(att)
    record_event("kb.attachment.downloaded", "kb_article", article_id,
                 actor=current_user if current_user.is_authenticated else None,
                 payload={"attachment": att.id, "filename": att.filename})
    db.session.commit()
    resp = send_file(path, mimetype=att.content_type, conditional=True, max_age=0)
    ascii_name = "".join(ch if ch.isascii() and (ch.isalnum() or ch in "-_.") else "_" for ch in att.filename)
    resp.headers["Content-Disposition"] = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(att.filename)}"
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return resp


