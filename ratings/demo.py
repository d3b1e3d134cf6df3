"""Demo reviews: written by people who received the data (the demo history's grants), with a few entries
that keep drawing the same complaint, so the product pages and the owners' improvement lists have content.
Called by recs.demo after it wrote the request history (reviews need grants)."""

from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import func, insert, select, update

from catalog.models import Dataset
from market.auth.models import User
from market.db import db, utcnow

from .models import DIMENSIONS, Review, ReviewReply

SHARE_REVIEWED = 0.35
SHARE_WEAK = 0.15  # entries with one recurring weakness
PRAISE = ["数据字段齐全，和业务系统对接很顺利。", "更新及时，资格核验效率提高很多。", "接口稳定，说明文档清楚。",
          "审批很快，数源部门答复及时。", "数据准确，基本不需要人工复核。", "样例和实际数据一致，上手很快。"]
NEUTRAL = ["整体可用，个别字段需要自行清洗。", "能满足基本需要，希望增加历史数据。", "可以用，建议补充信息项说明。"]
COMPLAINT = {
    "quality": "部分记录存在错误或缺失，需要人工核实。",
    "completeness": "缺少近两年的历史数据，部分信息项为空。",
    "timeliness": "数据更新滞后，和登记的更新频率不符。",
    "usability": "字段含义说明不清楚，样例与实际数据不一致。",
    "service": "审批等待时间较长，咨询问题答复慢。",
}
REPLY = {
    "quality": "感谢反馈，已核查并更正问题记录，入库时增加了校验规则。",
    "completeness": "已补充近两年历史数据，空值字段正在与业务系统核对。",
    "timeliness": "已调整同步任务，今后按登记的频率更新。",
    "usability": "已补充信息项说明并更新样例数据。",
    "service": "已指定专人负责答复，审批时限将按规定执行。",
}


def _clip(x: float) -> int:
    return max(1, min(5, round(x)))


def seed_demo_reviews(rng: random.Random, grants: list[dict], officers: dict[int, int]) -> int:
    """Write reviews for about a third of ``grants`` (dicts with user_id, dataset_id, granted_at)."""
    owners = dict(db.session.execute(select(Dataset.id, Dataset.department_id)).all())
    depts = dict(db.session.execute(select(User.id, User.department_id)).all())
    quality: dict[int, float] = {}
    weakness: dict[int, str | None] = {}
    rows, seen = [], set()
    now = utcnow()
    for g in grants:
        key = (g["dataset_id"], g["user_id"])
        if key in seen or rng.random() > SHARE_REVIEWED:
            continue
        seen.add(key)
        ds = g["dataset_id"]
        if ds not in quality:
            quality[ds] = rng.gauss(4.2, 0.45)
            weakness[ds] = rng.choice(DIMENSIONS) if rng.random() < SHARE_WEAK else None
        weak = weakness[ds]
        overall = _clip(quality[ds] - (1.6 if weak else 0) + rng.gauss(0, 0.6))
        scores = {d: (_clip(overall + rng.gauss(0, 0.7)) if rng.random() < 0.8 else None) for d in DIMENSIONS}
        if weak:
            scores[weak] = rng.choice((1, 2, 2))
        worst = weak or min((d for d in DIMENSIONS if scores[d]), key=lambda d: scores[d], default="quality")
        if weak and rng.random() < 0.8 or overall <= 2:
            text = COMPLAINT[worst]
        else:
            text = rng.choice(PRAISE) if overall >= 4 else rng.choice(NEUTRAL)
        at = min(now - timedelta(hours=1), g["granted_at"] + timedelta(days=rng.uniform(2, 30)))
        rows.append({"dataset_id": ds, "user_id": g["user_id"], "department_id": depts.get(g["user_id"]),
                     "overall": overall, **scores, "text": text, "hidden": False, "hidden_reason": "",
                     "created_at": at, "updated_at": at, "_weak": weak})
    if not rows:
        return 0
    ids = []
    for start in range(0, len(rows), 500):
        chunk = [{k: v for k, v in r.items() if k != "_weak"} for r in rows[start:start + 500]]
        ids += list(db.session.scalars(insert(Review).returning(Review.id, sort_by_parameter_order=True), chunk))
    replies = []
    for rid, r in zip(ids, rows, strict=True):
        officer = officers.get(owners.get(r["dataset_id"]))
        if officer and r["_weak"] and r["overall"] <= 3 and rng.random() < 0.5:
            at = r["created_at"] + timedelta(days=1)
            replies.append({"review_id": rid, "author_id": officer, "text": REPLY[r["_weak"]], "created_at": at,
                            "updated_at": at})
    if replies:
        db.session.execute(insert(ReviewReply), replies)
    recount_ratings()
    return len(rows)


def recount_ratings() -> None:
    """Every entry's rating columns from its visible reviews (entries without reviews: none)."""
    visible = (Review.dataset_id == Dataset.id, Review.hidden.is_(False))
    db.session.execute(update(Dataset).values(
        rating_avg=select(func.avg(Review.overall)).where(*visible).scalar_subquery(),
        rating_count=select(func.count()).select_from(Review).where(*visible).scalar_subquery(),
        updated_at=Dataset.updated_at).execution_options(synchronize_session=False))
