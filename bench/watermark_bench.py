"""Watermark benchmark: what fingerprinting costs a delivery, and how long a trace takes.

Measured in one process on the same synthetic rows (typed the way an upload stores them), medians of
``--runs`` runs:

- mark: ``Scheme.mark_row`` over N rows (the per-row work of ``watermark.mark_rows``; the wrapper adds
  one dataset lookup per copy) vs a pass-through generator (baseline);
- CSV: the delivery's own ``csv_stream`` writer with and without marks (what a download pays);
- trace: a 3,500-row leaked copy (no header, shuffled, 30 % dropped) of a 5,000-row entry with 50
  grants, and a 35,000-row copy of a 50,000-row entry — read, matched and scored (no database).

    .venv/bin/python bench/watermark_bench.py [--rows 200000] [--runs 5]
"""

from __future__ import annotations

import argparse
import csv
import io
import platform
import random
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from delivery.formats import csv_stream
from watermark.matching import EntryData, GrantCandidate
from watermark.readers import read_table
from watermark.scheme import Column, Scheme, derive_key
from watermark.services import trace_table

KEY = derive_key("benchmark-secret-0123456789")
COLUMNS = [Column("统一社会信用代码", "anchor"), Column("企业名称", "text"), Column("法定代表人", "skip"),
           Column("注册资本", "numeric"), Column("成立日期", "anchor"), Column("从业人数", "numeric"),
           Column("住所", "text"), Column("登记状态", "text")]
NAMES = [c.name for c in COLUMNS]


def rows(n: int, seed: int = 7) -> list[dict]:
    rnd = random.Random(seed)
    return [{"统一社会信用代码": f"91320200MA{i:08d}", "企业名称": f"无锡{rnd.choice('科贸机软')}{i}号有限公司",
             "法定代表人": rnd.choice("王李张刘") + "伟", "注册资本": round(rnd.uniform(10, 90000), 2),
             "成立日期": (date(2000, 1, 1) + timedelta(days=rnd.randrange(9000))).isoformat(),
             "从业人数": rnd.randrange(1, 6000), "住所": f"无锡市梁溪区人民路{rnd.randrange(1, 999)}号（{i % 30}楼）",
             "登记状态": rnd.choice(("存续", "在业", "迁出"))} for i in range(n)]


def timed(fn) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def drain(it) -> None:
    for _ in it:
        pass


def passthrough(data):
    yield from data


def leaked_csv(scheme: Scheme, data: list[dict], keep: float) -> bytes:
    marked = [scheme.mark_row(r) for r in data]
    random.Random(3).shuffle(marked)
    buf = io.StringIO()
    w = csv.writer(buf)
    for r in marked[: int(len(marked) * keep)]:
        w.writerow([r[n] for n in NAMES])
    return buf.getvalue().encode()


def trace_once(stored: list[dict], leak: bytes, grants: int) -> tuple[float, bool]:
    entry = EntryData(1, COLUMNS, "统一社会信用代码", iter(stored),
                      [GrantCandidate(g, COLUMNS) for g in range(1, grants + 1)])
    started = time.perf_counter()
    _matches, named, *_ = trace_table(read_table(leak, "leak.csv"), [entry], KEY)
    return time.perf_counter() - started, [s.grant_id for s in named] == [24]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=200_000)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    data = rows(args.rows)
    scheme = Scheme(KEY, 24, COLUMNS, "统一社会信用代码")
    base, mark, csv_plain, csv_marked = [], [], [], []
    for _ in range(args.runs):
        base.append(timed(lambda: drain(passthrough(data))))
        mark.append(timed(lambda: drain(scheme.mark_row(r) for r in data)))
        csv_plain.append(timed(lambda: drain(csv_stream(NAMES, iter(data)))))
        csv_marked.append(timed(lambda: drain(csv_stream(NAMES, (scheme.mark_row(r) for r in data)))))
    changed = sum(scheme.mark_row(r) != r for r in data)
    n = args.rows
    print(f"Python {platform.python_version()}, {n:,} rows, {args.runs} runs (medians); "
          f"{changed / n:.1%} of rows carry a mark")
    med = statistics.median
    print(f"pass-through generator: {n / med(base):,.0f} rows/s")
    print(f"mark_row:               {n / med(mark):,.0f} rows/s")
    print(f"CSV writer, unmarked:   {n / med(csv_plain):,.0f} rows/s")
    print(f"CSV writer, marked:     {n / med(csv_marked):,.0f} rows/s "
          f"(marked / unmarked time = {med(csv_marked) / med(csv_plain):.2f}x)")
    for stored_n, grants in ((5_000, 50), (50_000, 50)):
        stored = rows(stored_n, seed=11)
        leak = leaked_csv(Scheme(KEY, 24, COLUMNS, "统一社会信用代码"), stored, 0.7)
        results = [trace_once(stored, leak, grants) for _ in range(max(1, args.runs // 2))]
        ok = all(r[1] for r in results)
        print(f"trace {int(stored_n * 0.7):,}-row copy of a {stored_n:,}-row entry, {grants} grants: "
              f"{med(r[0] for r in results):.2f} s (right grant named: {ok})")


if __name__ == "__main__":
    main()
