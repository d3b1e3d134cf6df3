"""Review services: write or edit a review, reply, report, hide/unhide, and keep the entry's rating
columns (``Dataset.rating_avg`` / ``rating_count``) in step so cards, the product page and ``sort=rating``
show a new review at once (the search index is updated after commit by search.service's flush hook)."""

from __future__ import annotations

import re
import unicodedata

from flask_babel import gettext as _
from sqlalchemy import bindparam, case, func, select
from sqlalchemy.orm.attributes import flag_modified

from audit import record_event
from catalog.models import Dataset
from market.auth.models import Role, User
from market.db import db, utcnow
from market.errors import Conflict, Forbidden, NotFound, ValidationFailed
from market.generations import Generation
from notify.services import notify

from .models import DIMENSIONS, MAX_REASON, MAX_REPLY, MAX_TEXT, Review, ReviewReply, ReviewReport
from .permissions import can_moderate, can_reply, can_report, can_review

# Bayesian average: the mean pulled towards the platform-wide mean by PRIOR_WEIGHT imaginary reviews,
# so one 5-star review does not outrank forty 4.6-star ones.
PRIOR_WEIGHT = 5
DEFAULT_PRIOR = 4.0
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_text(text: str | None, *, limit: int, field: str, required: bool = False) -> str:
    """Plain text: NFC, control characters dropped, trimmed, length-bounded (escaped when rendered)."""
    text = _CONTROL.sub("", unicodedata.normalize("NFC", text or "")).replace("\r\n", "\n").strip()
    if required and not text:
        raise ValidationFailed(_("请填写内容。"), fields={field: ["required"]})
    if len(text) > limit:
        raise ValidationFailed(_("内容最多 %(n)s 个字（现在 %(m)s 个）。", n=limit, m=len(text)),
                               fields={field: [f"at most {limit} characters"]})
    return text


def _score(value, field: str, *, required: bool) -> int | None:
    if value in (None, ""):
        if required:
            raise ValidationFailed(_("请给出 1–5 星的总体评分。"), fields={field: ["required, 1 to 5"]})
        return None
    try:
        n = int(value)
    except (TypeError, ValueError):
        n = 0
    if not 1 <= n <= 5:
        raise ValidationFailed(_("评分必须是 1 到 5 之间的整数。"), fields={field: ["an integer from 1 to 5"]})
    return n


def reviewer_name(review: Review) -> str:
    """The reviewer as others see them: the first character of the name, the rest masked (许**)."""
    name = (review.user.display_name or review.user.username) if review.user else ""
    return (name[:1] + "*" * min(max(len(name) - 1, 1), 2)) if name else "—"


def get_review(review_id: int) -> Review:
    review = db.session.get(Review, review_id)
    if review is None:
        raise NotFound(_("没有找到编号为 %(id)s 的评价。", id=review_id))
    return review


def user_review(dataset_id: int, user, *, among: list[Review] | None = None, complete: bool = False) -> Review | None:
    """The user's review of the entry. ``among``: reviews of that entry already loaded (the user's own,
    hidden or not, are in ``list_reviews``); ``complete`` says they are all of them, so no query is needed."""
    if not getattr(user, "is_authenticated", False):
        return None
    for review in among or ():
        if review.user_id == user.id:
            return review
    if complete:
        return None
    return db.session.scalar(select(Review).where(Review.dataset_id == dataset_id, Review.user_id == user.id))


def _officers(department_id: int) -> list[User]:
    return list(db.session.scalars(select(User).where(User.role == Role.officer,
                                                      User.department_id == department_id)))


def save_review(dataset: Dataset, *, user, data: dict, create_only: bool = False) -> tuple[Review, bool]:
    """Write the user's review of ``dataset`` or edit it; returns (review, created).

    Only people who received the entry may review (403 otherwise). ``create_only`` makes a second
    review a 409 (the API's POST); the HTML form edits in place.
    """
    if not can_review(user, dataset):
        raise Forbidden(_("只有获得过该数据（审批通过或已下载、调用、查询）的用户才能评价。"), code="not_received")
    overall = _score(data.get("overall"), "overall", required=True)
    scores = {d: _score(data.get(d), d, required=False) for d in DIMENSIONS}
    text = clean_text(data.get("text"), limit=MAX_TEXT, field="text")
    review = user_review(dataset.id, user)
    created = review is None
    if not created and create_only:
        raise Conflict(_("您已评价过该数据，请修改原评价（PUT /api/v1/reviews/%(id)s）。", id=review.id),
                       code="review_exists", fields={"review_id": [str(review.id)]})
    now = utcnow()
    if created:
        review = Review(dataset_id=dataset.id, user_id=user.id, department_id=user.department_id, created_at=now)
        db.session.add(review)
    review.overall = overall
    for d, v in scores.items():
        setattr(review, d, v)
    review.text = text
    review.updated_at = now
    db.session.flush()
    refresh_dataset_rating(dataset)
    record_event("review.created" if created else "review.updated", "review", review.id, actor=user,
                 payload={"dataset": dataset.id, "overall": overall, **scores, "text_length": len(text)})
    if created:
        notify(_officers(dataset.department_id), "review.created",
               _("“%(t)s”收到 %(n)s 星评价", t=dataset.title, n=overall), body=text[:200],
               link=f"/datasets/{dataset.id}#review-{review.id}")
    return review, created


def reply_review(review: Review, *, user, text: str) -> ReviewReply:
    """The owner's reply (one per review; replying again edits it); the reviewer is told."""
    if not can_reply(user, review):
        raise Forbidden(_("只有数源部门的数据官可以回复评价。"), code="not_owner")
    text = clean_text(text, limit=MAX_REPLY, field="text", required=True)
    now = utcnow()
    reply = review.reply
    if reply is None:
        reply = review.reply = ReviewReply(author_id=user.id, text=text, created_at=now, updated_at=now)
    else:
        reply.author_id, reply.text, reply.updated_at = user.id, text, now
    db.session.flush()
    record_event("review.replied", "review", review.id, actor=user, payload={"text_length": len(text)})
    notify([review.user], "review.replied", _("数源部门回复了您对“%(t)s”的评价", t=review.dataset.title),
           body=text[:200], link=f"/datasets/{review.dataset_id}#review-{review.id}")
    return reply


def report_review(review: Review, *, user, reason: str) -> tuple[ReviewReport, bool]:
    """Report abuse (once per person per review); operators are told. Returns (report, created)."""
    if not can_report(user, review):
        raise Forbidden(_("不能举报自己的评价。"), code="own_review")
    reason = clean_text(reason, limit=MAX_REASON, field="reason", required=True)
    existing = db.session.scalar(select(ReviewReport).where(ReviewReport.review_id == review.id,
                                                            ReviewReport.reporter_id == user.id))
    if existing is not None:
        return existing, False
    report = ReviewReport(review_id=review.id, reporter_id=user.id, reason=reason)
    db.session.add(report)
    db.session.flush()
    record_event("review.reported", "review", review.id, actor=user, payload={"report": report.id, "reason": reason})
    operators = db.session.scalars(select(User).where(User.role == Role.operator)).all()
    notify(operators, "review.reported", _("评价被举报：%(t)s", t=review.dataset.title), body=reason,
           link="/ratings/reports")
    return report, True


def _resolve_reports(review: Review, user, resolution: str) -> int:
    n = 0
    for report in review.reports:
        if report.resolved_at is None:
            report.resolved_at, report.resolved_by_id, report.resolution = utcnow(), user.id, resolution
            n += 1
    return n


def set_hidden(review: Review, *, user, hidden: bool, reason: str = "") -> Review:
    """Hide (reason required) or unhide a review; open reports are resolved; averages follow at once."""
    if not can_moderate(user):
        raise Forbidden(_("只有平台运营可以隐藏或恢复评价。"), code="not_operator")
    reason = clean_text(reason, limit=MAX_REASON, field="reason", required=hidden)
    if review.hidden == hidden:
        return review
    review.hidden = hidden
    review.hidden_reason = reason if hidden else ""
    review.hidden_by_id = user.id if hidden else None
    review.hidden_at = utcnow() if hidden else None
    resolved = _resolve_reports(review, user, "hidden") if hidden else 0
    db.session.flush()
    refresh_dataset_rating(review.dataset)
    record_event("review.hidden" if hidden else "review.unhidden", "review", review.id, actor=user,
                 payload={"reason": reason, "reports_resolved": resolved})
    if hidden:
        notify([review.user], "review.hidden", _("您对“%(t)s”的评价已被隐藏", t=review.dataset.title), body=reason,
               link=f"/datasets/{review.dataset_id}")
    return review


def dismiss_reports(review: Review, *, user) -> int:
    """Close the open reports of a review without hiding it."""
    if not can_moderate(user):
        raise Forbidden(_("只有平台运营可以处理举报。"), code="not_operator")
    n = _resolve_reports(review, user, "dismissed")
    db.session.flush()
    record_event("review.reports_dismissed", "review", review.id, actor=user, payload={"reports": n})
    return n


# --- averages -------------------------------------------------------------------------------------
def platform_mean() -> float:
    """Mean overall score of all visible reviews (the Bayesian prior); DEFAULT_PRIOR when there are none."""
    mean = db.session.scalar(select(func.avg(Review.overall)).where(Review.hidden.is_(False)))
    return float(mean) if mean is not None else DEFAULT_PRIOR


REVIEWS = Generation("ratings.reviews", Review)


def cached_platform_mean() -> float:
    """``platform_mean()`` for the product page, kept per process: recomputed after a review is written,
    edited, hidden or removed here or in another process (market/generations.py stamp files)."""
    return REVIEWS.get("platform_mean", platform_mean)


def cached_summary(dataset_id: int) -> dict:
    """``summarize()`` for the product page, kept per process like ``cached_platform_mean``."""
    return REVIEWS.get(("summary", dataset_id), lambda: summarize(dataset_id))


def with_hidden_reviews() -> frozenset[int]:
    """Entries that have hidden reviews (kept like ``cached_platform_mean``): elsewhere a reader without
    visible reviews to see has no review of their own either."""
    return REVIEWS.get("hidden", lambda: frozenset(db.session.scalars(
        select(Review.dataset_id).where(Review.hidden.is_(True)).distinct())))


def bayesian_average(mean: float | None, count: int, prior: float | None = None) -> float | None:
    if not count or mean is None:
        return None
    prior = DEFAULT_PRIOR if prior is None else prior
    return (PRIOR_WEIGHT * prior + mean * count) / (PRIOR_WEIGHT + count)


def refresh_dataset_rating(dataset: Dataset) -> None:
    """Recompute the entry's average and count from its visible reviews, in this transaction.

    The ORM change puts the entry in the search hook's after-commit batch; ``updated_at`` is kept (a
    review is not a change of the entry's data)."""
    mean, count = db.session.execute(select(func.avg(Review.overall), func.count())
                                     .where(Review.dataset_id == dataset.id, Review.hidden.is_(False))).one()
    dataset.rating_count = int(count or 0)
    dataset.rating_avg = round(float(mean), 3) if count else None
    flag_modified(dataset, "updated_at")
    db.session.flush()


_STARS = range(5, 0, -1)
# count, mean, per-dimension means and counts, and the star histogram of an entry's visible reviews, in
# one query built once (the product page asks on every view)
_SUMMARY = select(func.count(), func.avg(Review.overall), *(func.avg(getattr(Review, d)) for d in DIMENSIONS),
                  *(func.count(getattr(Review, d)) for d in DIMENSIONS),
                  *(func.count(case((Review.overall == s, 1))) for s in _STARS)) \
    .where(Review.dataset_id == bindparam("dataset_id"), Review.hidden.is_(False))


def summarize(dataset_id: int) -> dict:
    """Average, count, Bayesian average, star histogram and per-dimension averages of visible reviews."""
    stars = _STARS
    row = db.session.execute(_SUMMARY, {"dataset_id": dataset_id}).one()
    count, mean = int(row[0] or 0), (float(row[1]) if row[1] is not None else None)
    n = len(DIMENSIONS)
    dims = {d: {"avg": round(float(row[2 + i]), 2) if row[2 + i] is not None else None, "count": int(row[2 + n + i])}
            for i, d in enumerate(DIMENSIONS)}
    hist = {s: int(row[2 + 2 * n + i] or 0) for i, s in enumerate(stars)}
    bayes = bayesian_average(mean, count, cached_platform_mean() if count else None)
    return {"count": count, "avg": round(mean, 2) if mean is not None else None,
            "bayesian_avg": round(bayes, 2) if bayes is not None else None,
            "histogram": {str(s): int(hist.get(s, 0)) for s in range(5, 0, -1)}, "dimensions": dims}


def list_reviews(dataset_id: int, *, viewer, page: int = 1, per_page: int = 20) -> tuple[list[Review], int]:
    """Newest first; hidden reviews only for operators and their own authors."""
    stmt = select(Review).where(Review.dataset_id == dataset_id)
    if not can_moderate(viewer):
        own = viewer.id if getattr(viewer, "is_authenticated", False) else -1
        stmt = stmt.where((Review.hidden.is_(False)) | (Review.user_id == own))
    rows = list(db.session.scalars(stmt.order_by(Review.updated_at.desc(), Review.id.desc())
                                   .limit(per_page).offset((page - 1) * per_page)).unique())
    if page == 1 and len(rows) < per_page:  # the first page holds them all: no count query needed
        return rows, len(rows)
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    return rows, total


def open_reports(limit: int = 200) -> list[Review]:
    """Reviews with unresolved reports, most reported first (the operators' moderation queue)."""
    counts = (select(ReviewReport.review_id, func.count().label("n")).where(ReviewReport.resolved_at.is_(None))
              .group_by(ReviewReport.review_id).subquery())
    return list(db.session.scalars(select(Review).join(counts, counts.c.review_id == Review.id)
                                   .order_by(counts.c.n.desc(), Review.id).limit(limit)).unique())
