"""Pages: my grants (我的授权) with downloads, usage and renewal; API keys (接口密钥); the data behind an
entry (owners upload files); the authorised query form (数据授权查询)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from market.auth import login_required
from market.db import db
from market.errors import MarketError, NotFound, ValidationFailed

from . import keys, ledger, store
from .access import active_grant, dataset_or_404, grant_problem
from .api import MAX_QUERY_MATCHES, manageable_dataset, run_query
from .models import DataUpload
from .upload import MAX_ROWS, MODES, UPLOAD_FORMATS, ingest

bp = Blueprint("delivery", __name__)


@bp.get("/grants")
@login_required
def my_grants():
    from orders.queries import grants_of

    grants = grants_of(current_user)
    usage = ledger.usage_by_grant([g.id for g in grants])
    rows = [{"grant": g, "problem": grant_problem(g), "usage": usage.get(g.id, {}),
             "has_rows": store.has_rows(g.dataset_id)} for g in grants]
    return render_template("delivery/grants.html", rows=rows)


@bp.post("/grants/<int:grant_id>/renew")
@login_required
def renew(grant_id: int):
    """Put the same entry and items in the cart and go to checkout (a renewal is a new request)."""
    from orders.models import Grant
    from orders.services import add_to_cart

    grant = db.session.get(Grant, grant_id)
    if grant is None or grant.user_id != current_user.id:
        raise NotFound(_("没有找到该授权，或它不属于您。"))
    try:
        add_to_cart(current_user, grant.dataset_id, list(grant.fields))
    except MarketError as exc:
        flash(exc.message, "error")
        return redirect(url_for("delivery.my_grants"))
    db.session.commit()
    flash(_("已将“%(t)s”及原授权的信息项加入数据篮，请填写用途和期限提交续期申请。", t=grant.dataset.title), "success")
    return redirect(url_for("orders.checkout"))


@bp.route("/account/api-keys", methods=["GET", "POST"])
@login_required
def api_keys():
    secret = None
    if request.method == "POST":
        try:
            _key, secret = keys.create_key(current_user, request.form.get("name", ""))
            db.session.commit()
            flash(_("密钥已创建。请立即复制保存：它只显示这一次。"), "success")
        except ValidationFailed as exc:
            flash(exc.message, "error")
    return render_template("delivery/api_keys.html", keys=keys.keys_of(current_user), secret=secret,
                           usage_today=keys.usage_today)


@bp.post("/account/api-keys/<int:key_id>/revoke")
@login_required
def revoke_key(key_id: int):
    key = keys.revoke_key(current_user, key_id)
    db.session.commit()
    flash(_("密钥 %(p)s… 已吊销，使用它的调用将被拒绝。", p=key.prefix), "success")
    return redirect(url_for("delivery.api_keys"))


@bp.route("/datasets/<int:dataset_id>/data", methods=["GET", "POST"])
@login_required
def data(dataset_id: int):
    dataset = manageable_dataset(dataset_id, current_user)
    errors, mode = None, request.form.get("mode", "replace")
    if request.method == "POST":
        upload = request.files.get("file")
        try:
            if upload is None or not upload.filename:
                raise ValidationFailed(_("请选择要上传的文件。"), fields={"file": ["required"]})
            report = ingest(dataset, upload.filename, upload.read(), mode=mode, actor=current_user)
            db.session.commit()
            flash(_("已写入 %(n)s 行数据。", n=report.rows), "success")
            return redirect(url_for("delivery.data", dataset_id=dataset_id))
        except ValidationFailed as exc:
            db.session.rollback()
            report = getattr(exc, "report", None)
            errors = {"message": exc.message, "items": report.errors if report else [],
                      "more": report.more_errors if report else 0,
                      "fields": exc.fields if report is None else {}}
    from sqlalchemy import select

    uploads = db.session.scalars(select(DataUpload).where(DataUpload.dataset_id == dataset_id)
                                 .order_by(DataUpload.id.desc()).limit(20)).all()
    preview = []
    if store.has_rows(dataset_id):
        for n, row in enumerate(store.iter_rows(dataset_id)):
            if n >= 5:
                break
            preview.append(row)
    return render_template("delivery/data.html", ds=dataset, table=store.table_of(dataset_id),
                           key_column=store.key_column(dataset_id), uploads=uploads, preview=preview,
                           errors=errors, mode=mode, modes=MODES, formats=UPLOAD_FORMATS, max_rows=MAX_ROWS)


@bp.route("/datasets/<int:dataset_id>/query", methods=["GET", "POST"])
@login_required
def query(dataset_id: int):
    dataset = dataset_or_404(dataset_id, current_user)
    values, result, error = {"key": "", "purpose": ""}, None, None
    if request.method == "POST":
        values = {k: request.form.get(k, "").strip()[:500] for k in ("key", "purpose")}
        try:
            if not values["key"] or len(values["purpose"]) < 4:
                raise ValidationFailed(_("请填写查询值和查询用途（用途至少 4 个字）。"))
            result = run_query(dataset_id, current_user, values["key"], values["purpose"])
            db.session.commit()
        except MarketError as exc:
            db.session.rollback()
            error = exc.message
    from catalog.permissions import can_manage

    grant = active_grant(current_user, dataset_id, "query")
    return render_template("delivery/query.html", ds=dataset, key_column=store.key_column(dataset_id), grant=grant,
                           can_query=grant is not None or can_manage(dataset, current_user), values=values,
                           result=result, error=error, max_matches=MAX_QUERY_MATCHES)
