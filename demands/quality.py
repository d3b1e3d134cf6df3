"""The quality score of a catalog entry, computed from its objection history (last 365 days).

    score = max(0, 100 − 10·U − 5·O − 5·L − 10·(1 − T))

U  upheld objections: answered "corrected" (the data was wrong, missing or late)
O  objections still open
L  open objections past their due time (counted again: overdue hurts twice)
T  on-time rate: answered objections answered by their due time ÷ answered objections (1 when none)

"Explained" and "rejected" objections cost nothing except through T. Grades: ≥ 90 优, ≥ 75 良,
≥ 60 中, otherwise 差. An entry without objections scores 100. The same numbers, with the formula,
are shown on the product page and returned by ``GET /api/v1/datasets/<id>/quality``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import timedelta

from sqlalchemy import func, select

from market.db import db, utcnow
from market.generations import Generation

from .models import Objection
from .state import ObjectionState

WINDOW_DAYS = 365
FORMULA = "max(0, 100 − 10·U − 5·O − 5·L − 10·(1 − T))"


@dataclass
class Quality:
    score: int
    grade: str  # excellent / good / fair / poor
    upheld: int
    open: int
    overdue: int
    answered: int
    on_time: int
    on_time_rate: float
    total: int
    window_days: int = WINDOW_DAYS
    formula: str = FORMULA

    def to_dict(self) -> dict:
        return asdict(self)


def grade(score: int) -> str:
    return "excellent" if score >= 90 else "good" if score >= 75 else "fair" if score >= 60 else "poor"


def compute(upheld: int, open_: int, overdue: int, answered: int, on_time: int) -> tuple[int, float]:
    rate = on_time / answered if answered else 1.0
    score = 100 - 10 * upheld - 5 * open_ - 5 * overdue - 10 * (1 - rate)
    return max(0, round(score)), round(rate, 3)


def dataset_quality(dataset_id: int, now=None) -> Quality:
    """The entry's score with every input, from at most one grouped query."""
    now = now or utcnow()
    since = now - timedelta(days=WINDOW_DAYS)
    overdue_expr = func.sum(((Objection.state == ObjectionState.open) & (Objection.due_at < now)).cast(db.Integer))
    on_time_expr = func.sum(((Objection.state != ObjectionState.open)
                             & (Objection.answered_at <= Objection.due_at)).cast(db.Integer))
    rows = db.session.execute(
        select(Objection.state, func.count(), overdue_expr, on_time_expr)
        .where(Objection.dataset_id == dataset_id, Objection.created_at >= since)
        .group_by(Objection.state)).all()
    return _from_rows(rows)


def _from_rows(rows) -> Quality:
    """The score from (state, count, overdue, on time) rows grouped by state."""
    counts = {str(getattr(s, "value", s)): n for s, n, _o, _t in rows}
    overdue = sum(o or 0 for _s, _n, o, _t in rows)
    on_time = sum(t or 0 for _s, _n, _o, t in rows)
    upheld = counts.get("corrected", 0)
    open_ = counts.get("open", 0)
    answered = sum(counts.values()) - open_
    score, rate = compute(upheld, open_, overdue, answered, on_time)
    return Quality(score=score, grade=grade(score), upheld=upheld, open=open_, overdue=overdue,
                   answered=answered, on_time=on_time, on_time_rate=rate, total=sum(counts.values()))


OBJECTIONS = Generation("demands.objections", Objection)


def _entries_with_objections() -> frozenset[int]:
    return frozenset(db.session.scalars(select(Objection.dataset_id).distinct()))


def page_quality(dataset_id: int) -> Quality:
    """``dataset_quality`` for the product page: an entry that never had an objection (most) scores 100
    without a query. Which entries had one is kept per process, refreshed when objections are filed or
    removed here or in another process (market/generations.py stamp files)."""
    if dataset_id not in OBJECTIONS.get("entries", _entries_with_objections):
        return _from_rows([])
    return dataset_quality(dataset_id)
