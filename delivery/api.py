"""JSON API: bulk download (grant and open data), data API (records), authorised query, data upload,
API keys. Every delivery is written to the usage ledger and the audit chain before the first byte."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request, send_file, stream_with_context
from flask_babel import gettext as _
from flask_login import current_user
from marshmallow import Schema, fields, validate
from werkzeug.exceptions import RequestedRangeNotSatisfiable

from catalog.permissions import can_manage
from market.api_utils import load_json
from market.auth import login_required
from market.db import db
from market.errors import Conflict, Forbidden, Unauthorized, ValidationFailed, error_response

from . import filecache, keys, records, store
from .access import Delivery, active_grant, dataset_or_404, delivered_rows, for_entry, for_grant, hand_out
from .formats import FORMATS, MIMETYPES, XLSX_MAX_ROWS, stream
from .ledger import record_usage
from .upload import MODES, ingest

bp = Blueprint("delivery_api", __name__, url_prefix="/api/v1")
MAX_QUERY_MATCHES = 100


@bp.errorhandler(keys.RateLimited)
def _rate_limited(exc: keys.RateLimited):
    response, status = error_response(exc.status, exc.code, exc.message, exc.fields)
    response.headers["Retry-After"] = str(exc.retry_after)
    return response, status


def _user():
    return current_user if current_user.is_authenticated else None


def _format() -> str:
    fmt = (request.args.get("format") or "csv").lower()
    if fmt not in FORMATS:
        raise ValidationFailed(_("format 应为 csv、json 或 xlsx。"), fields={"format": list(FORMATS)})
    return fmt


def _attachment(delivery: Delivery, fmt: str) -> str:
    from urllib.parse import quote

    stem = f"{delivery.dataset.code}" + (f"-grant{delivery.grant_id}" if delivery.grant_id else "")
    ascii_name = "".join(ch if ch.isascii() and (ch.isalnum() or ch in "-_") else "_" for ch in stem)
    full = f"{delivery.dataset.title}-{stem}.{fmt}"
    return f"attachment; filename=\"{ascii_name}.{fmt}\"; filename*=UTF-8''{quote(full)}"


def send_copy(delivery: Delivery, fmt: str, user) -> Response:
    """Record the copy in the ledger (committed), then send it: an open copy from the file cache when it
    is there (``X-Download-Cache: hit``), else streamed as it is rendered — an open copy teed into the
    cache on the way (``miss``); grant and owner copies are always rendered and never cached."""
    if not store.has_rows(delivery.dataset.id):
        raise Conflict(_("该数据目录还没有上传数据，暂时无法下载。"), code="no_data")
    total = store.row_count(delivery.dataset.id)
    if fmt == "xlsx" and total > XLSX_MAX_ROWS:
        raise ValidationFailed(_("共 %(n)s 行，超过 Excel 单表上限，请改用 CSV 或 JSON。", n=total),
                               fields={"format": ["too many rows for xlsx"]})
    entry = filecache.entry_for(delivery, fmt)
    event = record_usage(action="download", dataset_id=delivery.dataset.id, user=user, grant_id=delivery.grant_id,
                         fmt=fmt, rows=total, fields=delivery.columns, address=request.remote_addr or "")
    disposition = _attachment(delivery, fmt)
    db.session.commit()
    cached = filecache.open_cached(entry) if entry is not None else None
    if cached is not None:
        response = _cached_response(entry, *cached, fmt)
    else:
        body = stream(fmt, delivery.columns, delivered_rows(delivery), total)
        if entry is not None:
            body = filecache.tee(entry, body)
        response = Response(stream_with_context(body), mimetype=MIMETYPES[fmt])
    response.headers["Content-Disposition"] = disposition
    response.headers["X-Usage-Id"] = str(event.id)
    response.headers["Cache-Control"] = "no-store"
    if entry is not None:
        response.headers["X-Download-Cache"] = "hit" if cached is not None else "miss"
    return response


def _cached_response(entry: filecache.Entry, fh, st, fmt: str) -> Response:
    """The cached file through the WSGI server's file wrapper, with its length, a strong ETag (the
    version) and Range / conditional GET support (a resumed download fetches only the rest)."""
    response = send_file(fh, mimetype=MIMETYPES[fmt], conditional=False, etag=entry.etag,
                         last_modified=st.st_mtime)
    response.content_length = st.st_size
    try:
        return response.make_conditional(request.environ, accept_ranges=True, complete_length=st.st_size)
    except RequestedRangeNotSatisfiable:
        fh.close()
        raise


@bp.get("/grants/<int:grant_id>/download")
@login_required
def grant_download(grant_id: int):
    """The granted items of an entry as a streamed file (403 when expired, revoked or level 4)."""
    from orders.models import Grant

    fmt = _format()
    delivery = for_grant(db.session.get(Grant, grant_id), current_user, "download")
    return send_copy(delivery, fmt, current_user)


@bp.get("/datasets/<int:dataset_id>/download")
def dataset_download(dataset_id: int):
    """Open entries for anyone (sensitive items masked); owners get their own data; else a grant."""
    fmt = _format()
    user = _user()
    delivery = for_entry(dataset_or_404(dataset_id, user), user, "download")
    return send_copy(delivery, fmt, user)


def _api_caller():
    """(user, key) for a data API call: an ``X-API-Key`` header, else the session or bearer user."""
    secret = request.headers.get("X-API-Key", "").strip()
    if secret:
        key = keys.key_for_secret(secret)
        if key is None or not key.user.is_active:
            raise Unauthorized(_("X-API-Key 无效或已吊销：请在“我的接口密钥”页面查看或新建密钥。"), code="invalid_api_key")
        return key.user, key
    user = _user()
    if user is None:
        raise Unauthorized(_("请提供 X-API-Key（开放数据），或登录 / 使用 Bearer 令牌（授权数据）。"))
    return user, None


@bp.get("/datasets/<int:dataset_id>/records")
def dataset_records(dataset_id: int):
    user, key = _api_caller()
    delivery = for_entry(dataset_or_404(dataset_id, user), user, "api")
    if key is not None:
        keys.charge_key(key)
    else:
        keys.charge_user(user)
    page = records.fetch_page(delivery, request.args)
    record_usage(action="api", dataset_id=dataset_id, user=user, grant_id=delivery.grant_id,
                 api_key_id=key.id if key else None, rows=len(page.items), fields=page.columns,
                 address=request.remote_addr or "")
    db.session.commit()
    return jsonify({"dataset_id": dataset_id, "columns": page.columns, "items": page.items,
                    "next_cursor": page.next_cursor, "masked": sorted(delivery.masked)})


class QueryInput(Schema):
    key = fields.String(required=True, validate=validate.Length(min=1, max=200))
    purpose = fields.String(required=True, validate=validate.Length(min=4, max=500))


def run_query(dataset_id: int, user, key_value: str, purpose: str) -> dict:
    """Authorised query (数据授权查询): the records whose key equals ``key_value``, never the table; logged."""
    dataset = dataset_or_404(dataset_id, user)
    key_column = store.key_column(dataset_id)
    if key_column is None:
        raise Conflict(_("该数据目录没有可用于查询的关键信息项。"), code="no_key_column")
    if can_manage(dataset, user):
        delivery = Delivery(dataset, [i.name for i in dataset.items], frozenset(), None, "owner")
    else:
        delivery = for_grant(active_grant(user, dataset_id, "query") or _no_grant(), user, "query")
    keys.charge_user(user)
    key_value, purpose = key_value.strip(), purpose.strip()
    if not key_value or len(purpose) < 4:
        raise ValidationFailed(_("请填写查询值和查询用途（至少 4 个字）。"), fields={"purpose": ["required"]})
    matches = store.find_by_key(dataset_id, key_value, limit=MAX_QUERY_MATCHES)
    # the answer's rows carry the grant's watermark, as in a download
    items = list(hand_out(delivery, ({c: data.get(c) for c in delivery.columns} for _id, data in matches)))
    record_usage(action="query", dataset_id=dataset_id, user=user, grant_id=delivery.grant_id, rows=len(items),
                 fields=delivery.columns, purpose=purpose, query_key=key_value, address=request.remote_addr or "")
    return {"dataset_id": dataset_id, "key_column": key_column, "key": key_value, "columns": delivery.columns,
            "items": items, "count": len(items)}


def _no_grant():
    raise Forbidden(_("您没有该数据的有效授权查询权限：请先申请（交付方式“授权查询”）。"), code="grant_required")


@bp.post("/datasets/<int:dataset_id>/query")
@login_required
def dataset_query(dataset_id: int):
    data = load_json(QueryInput())
    result = run_query(dataset_id, current_user, data["key"], data["purpose"])
    db.session.commit()
    return jsonify(result)


# --- the data behind an entry (owners) -------------------------------------------------------------------
def manageable_dataset(dataset_id: int, user):
    dataset = dataset_or_404(dataset_id, user)
    if not can_manage(dataset, user):
        raise Forbidden(_("只有该目录的数源部门数据专员或平台运营人员可以管理其数据。"), code="not_owner")
    return dataset


def dump_table(dataset) -> dict:
    table = store.table_of(dataset.id)
    return {"dataset_id": dataset.id, "rows": store.row_count(dataset.id), "key_column": store.key_column(dataset.id),
            "columns": [{"name": i.name, "type": i.type, "sensitive": i.sensitive} for i in dataset.items],
            "updated_at": table.updated_at.isoformat() if table else None}


@bp.get("/datasets/<int:dataset_id>/data")
@login_required
def data_info(dataset_id: int):
    return jsonify(dump_table(manageable_dataset(dataset_id, current_user)))


@bp.post("/datasets/<int:dataset_id>/data")
@login_required
def data_upload(dataset_id: int):
    """Upload CSV/XLSX/JSON (multipart ``file``, ``mode`` replace|append); 422 lists row/column errors."""
    dataset = manageable_dataset(dataset_id, current_user)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise ValidationFailed(_("请选择要上传的文件（表单字段 file）。"), fields={"file": ["required"]})
    mode = request.form.get("mode") or "replace"
    if mode not in MODES:
        raise ValidationFailed(_("上传方式应为“替换”或“追加”。"), fields={"mode": list(MODES)})
    report = ingest(dataset, upload.filename, upload.read(), mode=mode, actor=current_user)
    db.session.commit()
    return jsonify(dict(dump_table(dataset), uploaded=report.rows, mode=mode)), 201


# --- API keys ---------------------------------------------------------------------------------------------
class KeyInput(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=80))


def dump_key(key, secret: str | None = None) -> dict:
    out = {"id": key.id, "name": key.name, "prefix": key.prefix, "daily_quota": key.daily_quota,
           "per_minute": key.per_minute, "used_today": keys.usage_today(f"key:{key.id}"),
           "created_at": key.created_at.isoformat(), "active": key.active,
           "last_used_at": key.last_used_at.isoformat() if key.last_used_at else None}
    if secret:
        out["key"] = secret
    return out


@bp.get("/api-keys")
@login_required
def list_keys():
    return jsonify({"items": [dump_key(k) for k in keys.keys_of(current_user)]})


@bp.post("/api-keys")
@login_required
def create_key():
    """A new API key; the secret (``key``) is returned only in this response."""
    data = load_json(KeyInput())
    key, secret = keys.create_key(current_user, data["name"])
    db.session.commit()
    return jsonify(dump_key(key, secret)), 201


@bp.delete("/api-keys/<int:key_id>")
@login_required
def delete_key(key_id: int):
    key = keys.revoke_key(current_user, key_id)
    db.session.commit()
    return jsonify(dump_key(key))
