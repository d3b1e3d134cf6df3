"""The owner feedback loop: what reviewers keep complaining about, per entry of a department, as a
prioritised improvement list (the officers' page, and ``ratings.improvement_list`` for the dashboard)."""

from __future__ import annotations

from collections import defaultdict

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from catalog.models import Dataset
from market.db import db

from .models import DIMENSIONS, Review
from .services import bayesian_average, platform_mean

DIMENSION_LABELS = {
    "overall": _l("总体"),
    "quality": _l("数据质量"),
    "completeness": _l("完整性"),
    "timeliness": _l("及时性"),
    "usability": _l("易用性"),
    "service": _l("服务响应"),
}
# what to do about a recurring complaint, shown next to it
DIMENSION_ADVICE = {
    "quality": _l("核查错误与缺失值，补充数据校验规则"),
    "completeness": _l("补齐缺失的信息项或历史数据，说明覆盖范围"),
    "timeliness": _l("按登记的更新频率及时更新，或修正更新频率"),
    "usability": _l("完善信息项说明、样例和接口文档"),
    "service": _l("缩短审批与答复时间，指定联系人"),
}
LOW = 2  # a score of 1 or 2 is a complaint
MIN_COMPLAINTS = 2  # a dimension is "recurring" from two complaints on
RECENT_LOW = 3


def improvement_list(department_id: int, *, limit: int = 50) -> list[dict]:
    """Entries of the department that reviewers rate low or keep complaining about, worst first.

    Each item: ``dataset_id``, ``title``, ``rating_avg``, ``rating_count``, ``bayesian_avg``,
    ``low_reviews`` (overall ≤ 2), ``issues`` (recurring complaint dimensions with ``dimension``,
    ``label``, ``complaints``, ``avg``, ``advice``), ``recent`` (latest low reviews: ``review_id``,
    ``overall``, ``text``, ``at``, ``replied``), ``priority`` (higher = fix first).
    Only visible reviews count; entries without a problem are left out.
    """
    rows = db.session.execute(
        select(Review, Dataset.title).join(Dataset, Dataset.id == Review.dataset_id)
        .where(Dataset.department_id == department_id, Review.hidden.is_(False))
        .order_by(Review.updated_at.desc())).unique().all()
    by_ds: dict[int, list[Review]] = defaultdict(list)
    titles: dict[int, str] = {}
    for review, title in rows:
        by_ds[review.dataset_id].append(review)
        titles[review.dataset_id] = title
    prior = platform_mean()
    out = []
    for ds_id, reviews in by_ds.items():
        count = len(reviews)
        mean = sum(r.overall for r in reviews) / count
        bayes = bayesian_average(mean, count, prior)
        low = [r for r in reviews if r.overall <= LOW]
        issues = []
        for d in DIMENSIONS:
            values = [getattr(r, d) for r in reviews if getattr(r, d) is not None]
            complaints = sum(1 for v in values if v <= LOW)
            if complaints >= MIN_COMPLAINTS or (values and complaints and sum(values) / len(values) < 2.5):
                issues.append({"dimension": d, "label": str(DIMENSION_LABELS[d]), "complaints": complaints,
                               "avg": round(sum(values) / len(values), 2), "advice": str(DIMENSION_ADVICE[d])})
        if not low and not issues and mean >= 3.5:
            continue
        issues.sort(key=lambda i: (-i["complaints"], i["avg"]))
        priority = round(len(low) * 2 + sum(i["complaints"] for i in issues) + max(0.0, 4.0 - bayes) * 3, 2)
        out.append({
            "dataset_id": ds_id, "title": titles[ds_id], "rating_avg": round(mean, 2), "rating_count": count,
            "bayesian_avg": round(bayes, 2), "low_reviews": len(low), "issues": issues,
            "recent": [{"review_id": r.id, "overall": r.overall, "text": r.text[:200],
                        "at": r.updated_at.isoformat() + "Z", "replied": r.reply is not None}
                       for r in low[:RECENT_LOW]],
            "priority": priority,
        })
    out.sort(key=lambda x: (-x["priority"], x["bayesian_avg"], x["dataset_id"]))
    return out[:limit]


def dimension_overview(department_id: int) -> list[dict]:
    """Per dimension across the department: average and complaint count (for the page's summary)."""
    reviews = db.session.scalars(select(Review).join(Dataset, Dataset.id == Review.dataset_id)
                                 .where(Dataset.department_id == department_id, Review.hidden.is_(False))).unique().all()
    out = []
    for d in ("overall", *DIMENSIONS):
        values = [getattr(r, d) for r in reviews if getattr(r, d) is not None]
        out.append({"dimension": d, "label": str(DIMENSION_LABELS[d]), "count": len(values),
                    "avg": round(sum(values) / len(values), 2) if values else None,
                    "complaints": sum(1 for v in values if v <= LOW)})
    return out
