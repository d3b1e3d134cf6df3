"""Render cost of the shop's HTML pages, in process, on the seeded demo city (page cache off).

    .venv/bin/python bench/page_bench.py [--rounds 3] [--profile anon|requester]

Seeds a throwaway data dir (``market init-db`` + ``market seed-demo``), then with ``create_app()`` and the
Flask test client GETs every product page an anonymous visitor may see (~160), as an anonymous visitor
and signed in as a requester (mzj_requester), plus the home page, the product grid, a search page and
``/healthz`` as the baseline measured in the same process. ``MARKET_PAGE_CACHE_SECONDS=0``: every request
renders. Prints a Markdown table: median milliseconds per request, SQL statements per request, and the
ratio to ``/healthz``. The first round warms the caches (recommendation model, templates) and is not
counted. ``--profile`` runs cProfile over the product pages of one visitor kind and prints the top entries.

Runs the code of the checkout it lives in (put a copy into another worktree to measure that one).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
CSRF_RE = re.compile(r'name="csrf-token" content="([^"]+)"')
REQUESTER = ("mzj_requester", "Demo2026!rq")


def seed(data_dir: str) -> dict:
    env = dict(os.environ, MARKET_DATA_DIR=data_dir, MARKET_SEARCH_URL="", MARKET_PAGE_CACHE_SECONDS="0",
               MARKET_SECRET_KEY="bench-secret-key-0123456789", MARKET_ARGON2_TIME_COST="1",
               MARKET_ARGON2_MEMORY_COST="1024", PYTHONPATH=str(ROOT))
    for cmd in ("init-db", "seed-demo"):
        subprocess.run([sys.executable, "-m", "market", cmd], env=env, cwd=ROOT, check=True,
                       stdout=subprocess.DEVNULL)
    return env


class QueryCounter:
    """Counts SQL statements sent through the app's engine."""

    def __init__(self, engine):
        from sqlalchemy import event

        self.n = 0
        event.listen(engine, "before_cursor_execute", self._hit)

    def _hit(self, *args, **kwargs) -> None:
        self.n += 1


def login(client) -> None:
    token = CSRF_RE.search(client.get("/login").get_data(as_text=True)).group(1)
    resp = client.post("/login", data={"username": REQUESTER[0], "password": REQUESTER[1], "csrf_token": token})
    assert resp.status_code in (302, 303), f"login failed: {resp.status_code}"


def measure(client, counter: QueryCounter, paths: list[str], rounds: int) -> tuple[float, float, float]:
    """Median over the paths of each path's best wall ms and best CPU ms (this process) in ``rounds``
    passes after a warm-up pass, and mean SQL statements per request. The best of a few passes and CPU
    time are what a machine busy with other work disturbs least."""
    for p in paths:
        assert client.get(p).status_code == 200, p
    wall: dict[int, list[float]] = {}
    cpu: dict[int, list[float]] = {}
    queries = []
    for _ in range(rounds):
        for i, p in enumerate(paths):
            q0, c0, t0 = counter.n, time.process_time(), time.perf_counter()
            resp = client.get(p)
            wall.setdefault(i, []).append((time.perf_counter() - t0) * 1000)
            cpu.setdefault(i, []).append((time.process_time() - c0) * 1000)
            queries.append(counter.n - q0)
            assert resp.status_code == 200, (p, resp.status_code)
    return (statistics.median(min(t) for t in wall.values()), statistics.median(min(t) for t in cpu.values()),
            statistics.fmean(queries))


def profile(client, paths: list[str]) -> None:
    import cProfile
    import pstats

    for p in paths:
        client.get(p)
    prof = cProfile.Profile()
    prof.enable()
    for p in paths:
        client.get(p)
    prof.disable()
    stats = pstats.Stats(prof).sort_stats("cumulative")
    stats.print_stats(25)
    stats.print_stats(re.escape(str(ROOT)) + r"/(?!\.venv)", 60)  # the project's own code and templates


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--profile", choices=["anon", "requester"])
    args = ap.parse_args()
    data_dir = tempfile.mkdtemp(prefix="page-bench-")
    try:
        run(args, data_dir)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


def run(args, data_dir: str) -> None:
    os.environ.update(seed(data_dir))
    from sqlalchemy import select

    from catalog.models import Dataset
    from catalog.vocab import DatasetStatus
    from market import create_app
    from market.db import db

    app = create_app()
    with app.app_context():
        ids = db.session.scalars(select(Dataset.id).where(Dataset.status == DatasetStatus.published)
                                 .order_by(Dataset.id)).all()
        counter = QueryCounter(db.engine)
    anon, requester = app.test_client(), app.test_client()
    login(requester)
    products = [f"/datasets/{i}" for i in ids if anon.get(f"/datasets/{i}").status_code == 200]
    if args.profile:
        profile(anon if args.profile == "anon" else requester, products)
        return
    rows = [("/healthz", anon, ["/healthz"] * 200),
            (f"product page, anonymous ({len(products)} entries)", anon, products),
            (f"product page, requester ({len(products)} entries)", requester, products),
            ("home /", anon, ["/"] * 40),
            ("product grid /datasets", anon, ["/datasets"] * 40),
            ("search /datasets?q=人口", anon, ["/datasets?q=人口"] * 40)]
    results = [(name, *measure(client, counter, paths, args.rounds)) for name, client, paths in rows]
    base = results[0][2]
    print(f"demo city: {len(ids)} published entries, {len(products)} visible anonymously; "
          f"{args.rounds} rounds after a warm-up; Python {sys.version.split()[0]}\n")
    print("| page | median ms (wall) | median ms (CPU) | SQL statements | CPU × /healthz |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name, ms, cpu, q in results:
        print(f"| {name} | {ms:.2f} | {cpu:.2f} | {q:.1f} | {cpu / base:.1f} |")


if __name__ == "__main__":
    main()
