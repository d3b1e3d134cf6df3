"""Review pages: the product-page panel's forms, the officers' improvement list, the operators' report queue."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from catalog.models import Dataset, Department
from catalog.permissions import can_view
from market.auth import login_required, require_roles
from market.auth.models import Role
from market.db import db
from market.errors import Forbidden, MarketError, NotFound

from . import services
from .feedback import DIMENSION_LABELS, dimension_overview, improvement_list
from .models import DIMENSIONS, MAX_REASON, MAX_REPLY, MAX_TEXT
from .permissions import can_moderate, can_reply, can_report, can_review, can_see_improvements

bp = Blueprint("ratings", __name__)
PANEL_REVIEWS = 20


def panel_context(ds: Dataset) -> dict:
    """What the product page's review panel shows (called from the template slot)."""
    user = current_user._get_current_object()  # resolved once: asked for per review below
    summary = services.cached_summary(ds.id)
    if summary["count"] == 0 and not can_moderate(user):
        # no visible review: the list would hold only the reader's own hidden one, if any
        hidden = ds.id in services.with_hidden_reviews()
        mine = services.user_review(ds.id, user) if hidden else None
        rows = [mine] if mine is not None else []
        total = len(rows)
    else:
        rows, total = services.list_reviews(ds.id, viewer=user, per_page=PANEL_REVIEWS)
        mine = services.user_review(ds.id, user, among=rows, complete=total == len(rows))
    return {"summary": summary, "reviews": rows, "total": total,
            "mine": mine, "can_review": can_review(user, ds),
            "can_reply": lambda r: can_reply(user, r), "can_report": lambda r: can_report(user, r),
            "moderator": can_moderate(user), "name": services.reviewer_name, "dimensions": DIMENSIONS, "labels": DIMENSION_LABELS,
            "max_text": MAX_TEXT, "max_reply": MAX_REPLY, "max_reason": MAX_REASON}


def _back(dataset_id: int, anchor: str = "reviews"):
    return redirect(url_for("catalog.detail", dataset_id=dataset_id, _anchor=anchor))


def _review_or_404(review_id: int):
    review = services.get_review(review_id) if review_id < 2**63 else None
    if review is None or not can_view(review.dataset, current_user):
        raise NotFound(_("没有找到该评价。"))
    return review


@bp.post("/datasets/<int:dataset_id>/reviews")
@login_required
def save(dataset_id: int):
    ds = db.session.get(Dataset, dataset_id) if dataset_id < 2**63 else None
    if ds is None or not can_view(ds, current_user):
        raise NotFound(_("没有找到该数据目录，或您无权查看。"))
    try:
        _review, created = services.save_review(ds, user=current_user, data=request.form.to_dict())
        db.session.commit()
    except MarketError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return _back(ds.id, "review-form")
    flash(_("感谢评价！") if created else _("评价已更新。"), "success")
    return _back(ds.id)


def _act(review_id: int, action):
    """Run ``action(review)`` (returns the success message), commit, flash, back to the review."""
    review = _review_or_404(review_id)
    try:
        message = action(review)
        db.session.commit()
        flash(message, "success")
    except MarketError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    return _back(review.dataset_id, f"review-{review.id}")


@bp.post("/reviews/<int:review_id>/reply")
@login_required
def reply(review_id: int):
    def do(review):
        services.reply_review(review, user=current_user, text=request.form.get("text", ""))
        return _("回复已发布。")
    return _act(review_id, do)


@bp.post("/reviews/<int:review_id>/report")
@login_required
def report(review_id: int):
    def do(review):
        _rep, created = services.report_review(review, user=current_user, reason=request.form.get("reason", ""))
        return _("已举报，平台运营会尽快处理。") if created else _("您已举报过该评价。")
    return _act(review_id, do)


@bp.post("/reviews/<int:review_id>/hide")
@require_roles(Role.operator)
def hide(review_id: int):
    def do(review):
        services.set_hidden(review, user=current_user, hidden=True, reason=request.form.get("reason", ""))
        return _("评价已隐藏。")
    return _act(review_id, do)


@bp.post("/reviews/<int:review_id>/unhide")
@require_roles(Role.operator)
def unhide(review_id: int):
    def do(review):
        services.set_hidden(review, user=current_user, hidden=False)
        return _("评价已恢复显示。")
    return _act(review_id, do)


@bp.post("/reviews/<int:review_id>/dismiss")
@require_roles(Role.operator)
def dismiss(review_id: int):
    review = _review_or_404(review_id)
    services.dismiss_reports(review, user=current_user)
    db.session.commit()
    flash(_("举报已驳回，评价保持显示。"), "success")
    return redirect(url_for("ratings.reports"))


@bp.get("/ratings/reports")
@require_roles(Role.operator)
def reports():
    return render_template("ratings/reports.html", reviews=services.open_reports(), labels=DIMENSION_LABELS)


@bp.get("/ratings/improvements")
@require_roles(Role.officer, Role.operator)
def improvements():
    departments = []
    if current_user.is_operator:
        departments = db.session.scalars(select(Department).order_by(Department.code)).all()
        code = request.args.get("department", "")[:64]
        dept = next((d for d in departments if d.code == code), None) if code else None
    else:
        dept = current_user.department
    if dept is not None and not can_see_improvements(current_user, dept.id):
        raise Forbidden(_("只能查看本部门的评价改进清单。"))
    items = improvement_list(dept.id) if dept is not None else []
    overview = dimension_overview(dept.id) if dept is not None else []
    return render_template("ratings/improvements.html", dept=dept, departments=departments, items=items,
                           overview=overview)
