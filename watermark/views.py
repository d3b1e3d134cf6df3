"""The operator's trace page (数据溯源): upload a suspected copy, see which grant it came from."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from market.auth import Role, require_roles
from market.db import db

from .readers import UnreadableFile
from .services import MAX_TRACE_BYTES, FileTooLarge, record_trace, trace_upload

bp = Blueprint("watermark", __name__)
ACCEPTED = (".csv", ".tsv", ".txt", ".xlsx", ".json", ".jsonl")
PAGE_MAX_ROWS = 20_000  # plenty of evidence, and an answer within seconds; the CLI reads up to 200,000


def _limit() -> int:
    return min(MAX_TRACE_BYTES, current_app.config.get("MAX_CONTENT_LENGTH") or MAX_TRACE_BYTES)


def _unreadable(code: str) -> str:
    why = {
        "encoding": _("文本编码既不是 UTF-8 也不是 GB18030，请另存为 UTF-8 后再上传。"),
        "empty": _("文件中没有数据行。"),
        "xlsx": _("不是有效的 XLSX 工作簿，请在表格软件中另存为 .xlsx 或 CSV。"),
        "json": _("JSON 格式有误，请检查文件是否完整。"),
        "json_shape": _("JSON 中没有数据行：应为对象数组，或含 items、rows、records、data 列表的对象。"),
    }.get(code, "")
    return _("无法读取该文件：%(why)s", why=why)


def _page(result=None, error=None, filename: str = "", status: int = 200):
    return render_template("watermark/trace.html", result=result, error=error, filename=filename,
                           limit_mb=_limit() // (1024 * 1024), accepted=ACCEPTED, max_rows=PAGE_MAX_ROWS), status


@bp.get("/trace")
@require_roles(Role.operator)
def trace_page():
    return _page()


@bp.post("/trace")
@require_roles(Role.operator)
def trace_submit():
    upload = request.files.get("file")
    filename = (upload.filename or "") if upload else ""
    if upload is None or not filename:
        return _page(error=_("请选择要溯源的文件（CSV、XLSX 或 JSON）。"), status=400)
    if not filename.lower().endswith(ACCEPTED):
        return _page(error=_("不支持该文件类型：请上传 CSV、XLSX 或 JSON 文件。"), filename=filename, status=400)
    try:
        result = trace_upload(upload.stream, filename, limit=_limit(), max_rows=PAGE_MAX_ROWS)
    except UnreadableFile as exc:
        return _page(error=_unreadable(exc.code), filename=filename, status=400)
    except FileTooLarge:
        return _page(error=_("文件超过 %(mb)s MB 上限，请截取其中几千行后再上传。", mb=_limit() // (1024 * 1024)),
                     filename=filename, status=400)
    record_trace(result, filename, actor=current_user)
    db.session.commit()
    return _page(result=result, filename=filename)
