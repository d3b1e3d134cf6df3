"""The operator's trace page (数据溯源): upload a suspected copy, see which grant it came from."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from market.auth import Role, require_roles
from market.db import db

from .readers import UnreadableFile
from .services import MAX_TRACE_BYTES, record_trace, trace_upload

bp = Blueprint("watermark", __name__)
ACCEPTED = (".csv", ".tsv", ".txt", ".xlsx", ".json", ".jsonl")


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


@bp.get("/trace")
@require_roles(Role.operator)
def trace_page():
    return render_template("watermark/trace.html", result=None, error=None, filename="",
                           limit_mb=_limit() // (1024 * 1024), accepted=ACCEPTED)


@bp.post("/trace")
@require_roles(Role.operator)
def trace_submit():
    upload = request.files.get("file")
    filename = (upload.filename or "") if upload else ""
    error = result = None
    if upload is None or not filename:
        error = _("请选择要溯源的文件（CSV、XLSX 或 JSON）。")
    elif not filename.lower().endswith(ACCEPTED):
        error = _("不支持该文件类型：请上传 CSV、XLSX 或 JSON 文件。")
    else:
        try:
            result = trace_upload(upload.stream, filename, limit=_limit())
        except UnreadableFile as exc:
            error = _unreadable(exc.code)
        except ValueError:
            error = _("文件超过 %(mb)s MB 上限，请截取其中几千行后再上传。", mb=_limit() // (1024 * 1024))
    if result is not None:
        record_trace(result, filename, actor=current_user)
        db.session.commit()
    status = 400 if error else 200
    return render_template("watermark/trace.html", result=result, error=error, filename=filename,
                           limit_mb=_limit() // (1024 * 1024), accepted=ACCEPTED), status
