"""The demo city's data products: the catalog demo prices some entries (``Dataset.price``, yuan); each of
those gets products on sale at that price — a one-off download, a 90-day subscription and a bundle of
10,000 API calls — set by its department's data officer, so the card price stays the lowest price on sale."""

from __future__ import annotations

from sqlalchemy import select

from catalog.models import Dataset
from market.auth.models import Role, User
from market.db import db

from .models import Product

# (kind, price as a multiple of the catalog price, period_days, calls)
OFFERS = (("download", 1, None, None), ("subscription", 2, 90, None), ("api_calls", 1, None, 10000))


def seed_demo_extra(result) -> str:
    ids = list(result.dataset_ids)
    if not ids:
        return "Priced 0 demo data products"
    candidates = db.session.scalars(select(Dataset).where(
        Dataset.id.in_(ids), Dataset.price.is_not(None), Dataset.price > 0, Dataset.status == "published",
        Dataset.share_attribute != "none").order_by(Dataset.id)).all()
    priced = []
    for ds in candidates:
        officer = db.session.scalar(select(User).where(User.role == Role.officer,
                                                       User.department_id == ds.department_id).order_by(User.id))
        if officer is None or db.session.scalar(select(Product.id).where(Product.dataset_id == ds.id)):
            continue
        fen = int(ds.price * 100)
        for kind, times, period, calls in OFFERS:
            db.session.add(Product(dataset_id=ds.id, kind=kind, amount_fen=fen * times, period_days=period,
                                   calls=calls, active=True, created_by_id=officer.id))
        priced.append(ds.title)
    db.session.flush()
    return f"Priced {len(priced)} demo data products ({'、'.join(priced[:3])}{' …' if len(priced) > 3 else ''})"
