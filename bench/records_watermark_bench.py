"""What the watermark costs a records API page and an authorised query answer under a grant, in one
process on a throw-away SQLite database.

An entry of ``--rows`` enterprise rows (the delivery benchmark's shape) is read by its grant holder page
by page (``limit=1000``, following the cursor) through ``delivery.records.fetch_page`` — what the route
``GET /api/v1/datasets/<id>/records`` calls — and queried for 200 keys through ``delivery.api.run_query``,
each with the watermark hook switched off (``delivery.access.watermark`` a pass-through: the baseline,
what these paths did before) and on, alternating within each run. The per-user rate limit is switched
off for the queries and their ledger lines rolled back after each run. Medians of ``--runs`` runs and
the ratio marked / baseline.

    .venv/bin/python bench/records_watermark_bench.py [--rows 20000] [--runs 7]
"""

from __future__ import annotations

import argparse
import platform
import random
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from delivery_bench import make_app, make_entry, rows  # the same folder (on sys.path when run as a script)


def make_grant(dataset, user, modes=("download", "api", "query")):
    from market.db import db, utcnow
    from orders.models import AccessRequest, Grant, RequestLine, SubOrder

    names = [i.name for i in dataset.items]
    req = AccessRequest(requester_id=user.id, department_id=user.department_id, purpose="基准测试",
                        period_days=30, idempotency_key="bench:records")
    order = SubOrder(request=req, department_id=dataset.department_id)
    line = RequestLine(request=req, order=order, dataset_id=dataset.id, fields=names, state="granted")
    grant = Grant(line=line, user_id=user.id, dataset_id=dataset.id, fields=names, delivery_modes=list(modes),
                  granted_at=utcnow() - timedelta(days=1), expires_at=utcnow() + timedelta(days=30))
    db.session.add_all([req, order, line, grant])
    db.session.commit()
    return grant


def walk_pages(delivery) -> int:
    from werkzeug.datastructures import MultiDict

    from delivery.records import fetch_page

    seen, cursor = 0, None
    while True:
        args = MultiDict({"limit": "1000", **({"cursor": cursor} if cursor else {})})
        page = fetch_page(delivery, args)
        seen += len(page.items)
        cursor = page.next_cursor
        if not cursor:
            return seen


def median_times(fns: dict, runs: int) -> dict:
    """Median seconds of each function, run alternately (one of each per round) so drift hits all alike."""
    times = {name: [] for name in fns}
    for _ in range(runs):
        for name, fn in fns.items():
            started = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - started)
    return {name: statistics.median(t) for name, t in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        app = make_app(tmp)
        from catalog.models import Department
        from delivery import access, api, store
        from delivery.access import for_grant
        from market.auth.services import create_user
        from market.db import db

        ds = make_entry("records-bench", open_attribute="closed")
        store.replace_rows(ds.id, rows(args.rows), source="bench")
        db.session.commit()
        requesting = Department(code="BENCH-REQ", name="基准测试申请部门")
        db.session.add(requesting)
        db.session.commit()
        holder = create_user("bench-holder", "passw0rd!", "requester", department_code=requesting.code)
        db.session.commit()
        grant = make_grant(ds, holder)
        granted = for_grant(grant, holder, "api")
        assert walk_pages(granted) == args.rows
        keys = [f"91320200MA{i:08d}" for i in random.Random(5).sample(range(args.rows), 200)]
        api.keys.charge_user = lambda user, now=None: None  # the rate limit is not what is measured here
        marking = access.watermark

        def queries():
            with app.test_request_context(f"/api/v1/datasets/{ds.id}/query", method="POST"):
                for key in keys:
                    assert api.run_query(ds.id, holder, key, "基准测试查询")["count"] == 1
                db.session.rollback()  # keep the usage ledger from growing between runs

        def hook(on: bool, fn):
            def run():
                access.watermark = marking if on else (lambda grant_id, dataset_id, columns, rows: rows)
                try:
                    fn()
                finally:
                    access.watermark = marking
            return run

        t = median_times({"pages_off": hook(False, lambda: walk_pages(granted)),
                          "pages_on": hook(True, lambda: walk_pages(granted)),
                          "query_off": hook(False, queries), "query_on": hook(True, queries)}, args.runs)

    print(f"Python {platform.python_version()}, {platform.machine()}, SQLite; {args.rows:,} rows, "
          f"medians of {args.runs} runs")
    print("| under a grant | hook off (baseline) | watermarked | ratio |")
    print("|---|---|---|---|")
    off, on = t["pages_off"], t["pages_on"]
    print(f"| records API, all pages of limit=1000 | {off * 1000:,.0f} ms ({args.rows / off:,.0f} rows/s) | "
          f"{on * 1000:,.0f} ms ({args.rows / on:,.0f} rows/s) | {on / off:.2f}× |")
    off, on = t["query_off"], t["query_on"]
    print(f"| authorised query, 200 keys | {off * 1000 / 200:.2f} ms/query | {on * 1000 / 200:.2f} ms/query | "
          f"{on / off:.2f}× |")


if __name__ == "__main__":
    main()
