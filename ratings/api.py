"""JSON API for reviews: list and write under /api/v1/datasets/<id>/reviews, act on one under /api/v1/reviews/<id>."""

from __future__ import annotations

from flask import Blueprint, jsonify
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from catalog.models import Dataset, Department
from catalog.permissions import can_view
from market.api_utils import load_args, load_json
from market.auth import login_required
from market.db import db
from market.errors import Forbidden, NotFound

from . import services
from .feedback import improvement_list
from .permissions import can_moderate, can_review, can_see_improvements
from .schemas import (
    ImprovementArgs,
    ListArgs,
    OptionalReasonInput,
    ReasonInput,
    ReplyInput,
    ReviewInput,
    dump_review,
)

bp = Blueprint("ratings_api", __name__, url_prefix="/api/v1")


def _dataset(dataset_id: int) -> Dataset:
    ds = db.session.get(Dataset, dataset_id) if dataset_id < 2**63 else None
    if ds is None or not can_view(ds, current_user):
        raise NotFound(_("没有找到该数据目录，或您无权查看。"))
    return ds


def _review(review_id: int):
    review = services.get_review(review_id) if review_id < 2**63 else None
    if review is None or not can_view(review.dataset, current_user):
        raise NotFound(_("没有找到编号为 %(id)s 的评价。", id=review_id))
    return review


def _dump(review) -> dict:
    return dump_review(review, moderator=can_moderate(current_user))


@bp.get("/datasets/<int:dataset_id>/reviews")
def list_reviews(dataset_id: int):
    """Visible reviews of an entry (newest first) with the summary and whether the caller may review."""
    ds = _dataset(dataset_id)
    args = load_args(ListArgs())
    rows, total = services.list_reviews(ds.id, viewer=current_user, page=args["page"], per_page=args["per_page"])
    mine = services.user_review(ds.id, current_user)
    return jsonify({"summary": services.summarize(ds.id), "items": [_dump(r) for r in rows], "total": total,
                    "page": args["page"], "per_page": args["per_page"],
                    "can_review": can_review(current_user, ds), "my_review_id": mine.id if mine else None})


@bp.post("/datasets/<int:dataset_id>/reviews")
@login_required
def create_review(dataset_id: int):
    """Review an entry you received: 201; 403 without a delivery; 409 if you reviewed it already."""
    ds = _dataset(dataset_id)
    body = load_json(ReviewInput())
    review, _created = services.save_review(ds, user=current_user, data=body, create_only=True)
    db.session.commit()
    return jsonify(_dump(review)), 201


@bp.put("/datasets/<int:dataset_id>/reviews/mine")
@login_required
def update_my_review(dataset_id: int):
    """Edit your review of an entry (404 if you have none yet)."""
    ds = _dataset(dataset_id)
    if services.user_review(ds.id, current_user) is None:
        raise NotFound(_("您还没有评价该数据。"), code="no_review")
    review, _created = services.save_review(ds, user=current_user, data=load_json(ReviewInput()))
    db.session.commit()
    return jsonify(_dump(review))


@bp.put("/reviews/<int:review_id>")
@login_required
def update_review(review_id: int):
    """Edit your own review."""
    review = _review(review_id)
    if review.user_id != current_user.id:
        raise Forbidden(_("只能修改自己的评价。"), code="not_author")
    review, _created = services.save_review(review.dataset, user=current_user, data=load_json(ReviewInput()))
    db.session.commit()
    return jsonify(_dump(review))


@bp.post("/reviews/<int:review_id>/reply")
@login_required
def reply(review_id: int):
    """The owning department's officer replies (replying again edits the reply)."""
    review = _review(review_id)
    services.reply_review(review, user=current_user, text=load_json(ReplyInput())["text"])
    db.session.commit()
    return jsonify(_dump(review))


@bp.post("/reviews/<int:review_id>/report")
@login_required
def report(review_id: int):
    """Report abuse: 201 the first time, 200 when you reported it already."""
    review = _review(review_id)
    rep, created = services.report_review(review, user=current_user, reason=load_json(ReasonInput())["reason"])
    db.session.commit()
    return jsonify({"report_id": rep.id, "review_id": review.id}), 201 if created else 200


@bp.post("/reviews/<int:review_id>/hide")
@login_required
def hide(review_id: int):
    """Operators hide a review (reason required); averages drop it at once."""
    review = _review(review_id)
    services.set_hidden(review, user=current_user, hidden=True, reason=load_json(ReasonInput())["reason"])
    db.session.commit()
    return jsonify(_dump(review))


@bp.post("/reviews/<int:review_id>/unhide")
@login_required
def unhide(review_id: int):
    """Operators show a hidden review again."""
    review = _review(review_id)
    load_json(OptionalReasonInput())
    services.set_hidden(review, user=current_user, hidden=False)
    db.session.commit()
    return jsonify(_dump(review))


@bp.get("/ratings/improvements")
@login_required
def improvements():
    """The improvement list of the caller's department (officers) or of ``department`` (operators)."""
    args = load_args(ImprovementArgs())
    dept = _department_for(args["department"])
    return jsonify({"department": {"id": dept.id, "code": dept.code, "name": dept.name},
                    "items": improvement_list(dept.id, limit=args["limit"])})


def _department_for(code: str | None) -> Department:
    """Officers: their own department; operators: the one named by code."""
    if code and current_user.is_operator:
        dept = db.session.scalar(select(Department).where(Department.code == code))
        if dept is None:
            raise NotFound(_("没有代码为 %(c)s 的部门。", c=code), fields={"department": ["unknown code"]})
        return dept
    if not can_see_improvements(current_user, current_user.department_id) or current_user.department is None:
        raise Forbidden(_("评价改进清单仅对数源部门数据官和平台运营开放；运营请指定 department。"), code="not_owner")
    return current_user.department
