"""Recommendation benchmark on the demo city (543 entries, ~720 requests) in a throwaway database.

    .venv/bin/python bench/recs_bench.py [--repeat 30]

Measures, in one process: building the model from the database (cold: after an entry changed; and the
feedback-only rebuild the first call after a new request pays), warm "for you" lists, warm product-page lists (recs.services, with permission checks and
entry loading), and as the baseline the catalog's own SQL related-entries query (same category or tag, most
requested first) that the product page already runs. Prints medians and the ratio to the baseline.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def median_ms(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="recs-bench-")
    os.environ.update(MARKET_DATA_DIR=tmp, MARKET_SEARCH_URL="", MARKET_SECRET_KEY="bench-secret-key-0123456789",
                      MARKET_ARGON2_TIME_COST="1", MARKET_ARGON2_MEMORY_COST="64")
    from sqlalchemy import select

    from catalog.demo import seed_demo
    from catalog.models import Dataset
    from catalog.services import related_datasets
    from market import create_app
    from market.auth.models import User
    from market.db import db
    from market.dbmigrate import upgrade_database
    from recs import cache, services
    from recs.demo import seed_demo_extra

    app = create_app()
    with app.app_context(), app.test_request_context():
        upgrade_database()
        t = time.perf_counter()
        result = seed_demo()
        db.session.commit()
        print(seed_demo_extra(result), f"({time.perf_counter() - t:.1f} s with the catalog)")
        db.session.commit()
        users = list(db.session.scalars(select(User).where(User.username.like("%_staff1")).limit(20)))
        datasets = list(db.session.scalars(select(Dataset).where(Dataset.status == "published").limit(20)))

        def cold():
            cache.invalidate()
            cache.get_model()

        def after_request():
            cache.invalidate("feedback")
            cache.get_model()

        rows = [("model build (cold)", median_ms(cold, max(5, args.repeat // 3)))]
        cache.get_model()
        rows.append(("rebuild after a new request", median_ms(after_request, max(5, args.repeat // 3))))
        n = iter(range(10**9))
        rows.append(("for_user (warm)", median_ms(lambda: services.for_user(users[next(n) % len(users)], k=10),
                                                  args.repeat)))
        rows.append(("for_dataset (warm)", median_ms(
            lambda: services.for_dataset(datasets[next(n) % len(datasets)], users[0], k=6), args.repeat)))
        base = median_ms(lambda: related_datasets(datasets[next(n) % len(datasets)], limit=6), args.repeat)
        rows.append(("baseline: SQL related_datasets", base))
        print(f"{'operation':<34}{'median ms':>10}{'× baseline':>12}")
        for name, ms in rows:
            print(f"{name:<34}{ms:>10.2f}{ms / base:>12.1f}")


if __name__ == "__main__":
    main()
