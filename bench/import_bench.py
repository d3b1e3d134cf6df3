"""Import benchmark: `market import` of a real catalog file into a fresh SQLite database with the
embedded search index, end to end (the command a user runs), repeated; medians reported.

Baseline measured in the same run: parsing the same file with json.loads only, so the ratio says
what the import costs beyond reading its input.

    .venv/bin/python bench/import_bench.py [--runs 3] [PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT = ROOT.parent / "shared" / "data" / "catalogs" / "zh_cn_opendata_jiangsu.jsonl"
MARKET = str(Path(sys.executable).with_name("market"))
SUMMARY = re.compile(r"(\d+) rows: .*?; ([\d.]+) s \(([\d,]+) rows/s\)(?:; search index updated in ([\d.]+) s)?")


def parse_only(path: Path) -> float:
    started = time.perf_counter()
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                json.loads(line)
    return time.perf_counter() - started


def one_import(path: Path) -> dict:
    with tempfile.TemporaryDirectory() as data_dir:
        env = {**os.environ, "MARKET_DATA_DIR": data_dir, "MARKET_SEARCH_URL": ""}
        subprocess.run([MARKET, "init-db"], env=env, check=True, capture_output=True)
        started = time.perf_counter()
        first = subprocess.run([MARKET, "import", str(path)], env=env, check=True, capture_output=True, text=True)
        wall = time.perf_counter() - started
        started = time.perf_counter()
        again = subprocess.run([MARKET, "import", str(path)], env=env, check=True, capture_output=True, text=True)
        wall_again = time.perf_counter() - started
    m = SUMMARY.search(first.stdout)
    if m is None:
        raise SystemExit(f"unexpected import output: {first.stdout!r}")
    rows, db_s, _rate, index_s = int(m.group(1)), float(m.group(2)), m.group(3), float(m.group(4) or 0)
    assert "0 created, 0 updated" in again.stdout, again.stdout
    return {"rows": rows, "wall": wall, "db": db_s, "index": index_s, "wall_again": wall_again}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", nargs="?", type=Path, default=DEFAULT)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    parse = statistics.median(parse_only(args.path) for _ in range(args.runs))
    runs = [one_import(args.path) for _ in range(args.runs)]
    med = {k: statistics.median(r[k] for r in runs) for k in ("wall", "db", "index", "wall_again")}
    rows = runs[0]["rows"]
    print(f"file: {args.path.name}, {rows:,} rows, {args.runs} runs (medians)")
    print(f"baseline json.loads only: {parse:.2f} s")
    print(f"market import, end to end (process start to exit): {med['wall']:.2f} s = {rows / med['wall']:,.0f} rows/s"
          f" ({med['wall'] / parse:.1f}× the baseline)")
    print(f"  check + write + commit: {med['db']:.2f} s = {rows / med['db']:,.0f} rows/s")
    print(f"  embedded search index update: {med['index']:.2f} s = {rows / med['index']:,.0f} rows/s")
    print(f"second import of the same file (nothing changes): {med['wall_again']:.2f} s")


if __name__ == "__main__":
    main()
