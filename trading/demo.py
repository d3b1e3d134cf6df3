"""The demo city's data products: a few enterprise-related entries get prices (download, a quarterly
subscription, an API bundle), set by their department's data officer."""

from __future__ import annotations

from sqlalchemy import select

from catalog.models import Dataset
from market.auth.models import Role, User
from market.db import db

from .models import Product
from .services import sync_display_price

MAX_PRICED = 8
OFFERS = (("download", 19900, None, None), ("subscription", 59900, 90, None), ("api_calls", 9900, None, 10000))


def seed_demo_extra(result) -> str:
    ids = list(result.dataset_ids)
    if not ids:
        return "Priced 0 demo data products"
    candidates = db.session.scalars(select(Dataset).where(
        Dataset.id.in_(ids), Dataset.status == "published", Dataset.share_attribute != "none",
        Dataset.title.like("%企业%")).order_by(Dataset.id)).all()
    priced = []
    for ds in candidates:
        officer = db.session.scalar(select(User).where(User.role == Role.officer,
                                                       User.department_id == ds.department_id).order_by(User.id))
        if officer is None or db.session.scalar(select(Product.id).where(Product.dataset_id == ds.id)):
            continue
        for n, (kind, fen, period, calls) in enumerate(OFFERS):
            # vary the prices a little per entry, deterministically
            db.session.add(Product(dataset_id=ds.id, kind=kind, amount_fen=fen + 1000 * (len(priced) % 3) * (n + 1),
                                   period_days=period, calls=calls, active=True, created_by_id=officer.id))
        db.session.flush()
        sync_display_price(ds, officer)
        priced.append(ds.title)
        if len(priced) >= MAX_PRICED:
            break
    return f"Priced {len(priced)} demo data products ({'、'.join(priced[:3])}{' …' if len(priced) > 3 else ''})"
