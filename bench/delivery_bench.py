"""Delivery benchmarks, in one process on a throw-away SQLite database:

``store`` — where entry rows should live: the main database (``delivery_rows``, one JSON document per
row, what ``delivery.store`` does) vs DuckDB — a ``.duckdb`` file with an index on the key, and Parquet
files read by DuckDB — in MARKET_DATA_DIR. For N rows: load, stream every row as a dict (what a download
consumes) and look one record up by key (what an authorised query does; median of 200 random keys).

``stream`` — a bulk CSV download of an open entry through the real route (Flask test client, the
streamed body read chunk by chunk and thrown away) at 100,000 and 1,000,000 rows: rows/s and peak RSS of
each phase (the kernel's high-water mark is reset between phases via /proc/self/clear_refs), against
the baseline of reading the same rows with ``delivery.store.iter_rows`` and nothing else.

``cache`` — an open entry's download (the demo's 20,000-row 企业登记 shape, 法定代表人 masked) through
the real route, three ways in the same process: uncached (rendered on every request, as before the file
cache: ``filecache.entry_for`` forced to None — the baseline), a miss (rendered and teed into the cache
folder, fsync + rename) and a hit (the cached file sent through the file wrapper). Median wall and CPU
milliseconds per download, and the hit's ratio to the baseline; CPU time is what a download takes from
every other request under the GIL.

    .venv/bin/python bench/delivery_bench.py store  [--rows 1000000]
    .venv/bin/python bench/delivery_bench.py stream [--rows 1000000] [--runs 3]
    .venv/bin/python bench/delivery_bench.py cache  [--rows 20000] [--runs 15] [--format csv]
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

ITEMS = [("统一社会信用代码", "string"), ("企业名称", "string"), ("企业类型", "string"), ("法定代表人", "string"),
         ("注册资本", "decimal"), ("成立日期", "date"), ("住所", "string"), ("登记机关", "string"), ("经营状态", "string")]
NAMES = [n for n, _ in ITEMS]


def rows(n: int, seed: int = 11):
    """Enterprise-registration-shaped rows, cheap to make (the demo generator is too slow for 1M)."""
    rnd = random.Random(seed)
    kinds = ("有限责任公司", "股份有限公司", "个人独资企业", "合伙企业")
    for i in range(n):
        yield {"统一社会信用代码": f"91320200MA{i:08d}", "企业名称": f"无锡{rnd.choice('华瑞恒达金科润博')}{i}号科技有限公司",
               "企业类型": rnd.choice(kinds), "法定代表人": rnd.choice("王李张刘陈杨") + rnd.choice("伟芳敏静磊"),
               "注册资本": round(rnd.uniform(10, 50000), 2),
               "成立日期": (date(1995, 1, 1) + timedelta(days=rnd.randrange(11000))).isoformat(),
               "住所": f"无锡市梁溪区人民中路{rnd.randrange(1, 900)}号", "登记机关": "无锡市市场监督管理局",
               "经营状态": rnd.choice(("存续", "在业", "注销"))}


def rss_peak_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def reset_peak() -> None:
    Path("/proc/self/clear_refs").write_text("5")


def make_app(tmp: str):
    os.environ.update(MARKET_DATA_DIR=tmp, MARKET_SECRET_KEY="bench-secret-0123456789", MARKET_SEARCH_URL="")
    from market import create_app
    from market.dbmigrate import upgrade_database

    app = create_app()
    ctx = app.app_context()
    ctx.push()
    upgrade_database()
    return app


def make_entry(title: str, open_attribute: str = "open", sensitive: frozenset[str] = frozenset()):
    from catalog.models import DataItem, Dataset, Department
    from market.db import db

    dept = db.session.query(Department).first() or Department(code="BENCH", name="基准测试部门")
    ds = Dataset(code=f"BENCH-{title}", title=title, summary="", department=dept, status="published",
                 share_attribute="conditional", open_attribute=open_attribute, level=1,
                 delivery_modes=["download", "api"], published_at=date(2026, 1, 1))
    for pos, (name, kind) in enumerate(ITEMS):
        ds.items.append(DataItem(position=pos, name=name, type=kind, sensitive=name in sensitive))
    db.session.add(ds)
    db.session.commit()
    return ds


def timed(fn):
    started = time.perf_counter()
    out = fn()
    return time.perf_counter() - started, out


# --- store: main database vs DuckDB / Parquet -----------------------------------------------------------
def bench_store(n: int, lookups: int = 200) -> None:
    import duckdb

    from delivery import store
    from market.db import db

    tmp = tempfile.mkdtemp(prefix="delivery-bench-")
    make_app(tmp)
    ds = make_entry("store")
    rnd = random.Random(5)
    keys = [f"91320200MA{rnd.randrange(n):08d}" for _ in range(lookups)]
    results = {}

    t_load, _ = timed(lambda: (store.replace_rows(ds.id, rows(n), key="统一社会信用代码"), db.session.commit()))
    t_stream, count = timed(lambda: sum(1 for _ in store.iter_rows(ds.id)))
    assert count == n
    lat = []
    for k in keys:
        t, found = timed(lambda k=k: store.find_by_key(ds.id, k))
        assert found
        lat.append(t)
    results["main database (SQLite, delivery_rows)"] = (t_load, t_stream, statistics.median(lat))

    # DuckDB file with an ART index on the key; rows inserted from Python in batches (the upload path)
    con = duckdb.connect(str(Path(tmp) / "rows.duckdb"))

    def duck_load():
        # executemany from Python runs at ~100 rows/s in DuckDB; its fast path is a bulk file read,
        # so the load is: write the parsed rows to a CSV, then read_csv into the table
        import csv

        path = Path(tmp) / "rows.csv"
        with path.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            for row in rows(n):
                writer.writerow([row[c] for c in NAMES])
        types = ", ".join(f"'{c}': '{'DOUBLE' if k == 'decimal' else 'VARCHAR'}'" for c, k in ITEMS)
        con.execute(f"CREATE TABLE r AS SELECT row_number() OVER () AS rid, * FROM read_csv('{path}', "
                    f"header=false, columns={{{types}}})")
        con.execute('CREATE INDEX r_key ON r ("统一社会信用代码")')

    def duck_stream(sql: str):
        cur = con.execute(sql)
        names = [d[0] for d in cur.description]
        total = 0
        while batch := cur.fetchmany(5000):
            for rec in batch:
                dict(zip(names, rec, strict=True))
                total += 1
        return total

    t_load, _ = timed(duck_load)
    t_stream, count = timed(lambda: duck_stream("SELECT * EXCLUDE (rid) FROM r ORDER BY rid"))
    assert count == n
    lat = [timed(lambda k=k: con.execute('SELECT * FROM r WHERE "统一社会信用代码" = ?', [k]).fetchall())[0]
           for k in keys]
    results["DuckDB file (.duckdb, indexed key; load via CSV + read_csv)"] = (t_load, t_stream, statistics.median(lat))

    parquet = Path(tmp) / "rows.parquet"
    t_export, _ = timed(lambda: con.execute(f"COPY (SELECT * FROM r ORDER BY rid) TO '{parquet}' (FORMAT parquet)"))
    t_load = results["DuckDB file (.duckdb, indexed key; load via CSV + read_csv)"][0] + t_export
    t_stream, count = timed(lambda: duck_stream(f"SELECT * EXCLUDE (rid) FROM read_parquet('{parquet}') ORDER BY rid"))
    assert count == n
    lat = [timed(lambda k=k: con.execute(f"SELECT * FROM read_parquet('{parquet}') WHERE \"统一社会信用代码\" = ?",
                                          [k]).fetchall())[0] for k in keys[:50]]
    results["Parquet file read by DuckDB (load = the DuckDB load + COPY TO parquet)"] = (t_load, t_stream,
                                                                                   statistics.median(lat))
    con.close()

    base = results["main database (SQLite, delivery_rows)"]
    print(f"\n{n:,} rows, {platform.python_implementation()} {platform.python_version()}, "
          f"load average {os.getloadavg()[0]:.1f}")
    print("| store | load | stream all rows as dicts | key lookup (median) |")
    print("|---|---|---|---|")
    for name, (load, stream_s, look) in results.items():
        print(f"| {name} | {load:.1f} s ({n / load:,.0f} rows/s) | {stream_s:.1f} s ({n / stream_s:,.0f} rows/s, "
              f"{base[1] / stream_s:.2f}× the database) | {look * 1000:.2f} ms |")


# --- stream: the CSV download at 100k vs 1M ---------------------------------------------------------------
def bench_stream(n: int, runs: int) -> None:
    from delivery import store
    from market.db import db

    tmp = tempfile.mkdtemp(prefix="delivery-bench-")
    app = make_app(tmp)
    sizes = sorted({min(100_000, n), n})
    entries = {}
    for size in sizes:
        ds = make_entry(f"stream-{size}")
        store.replace_rows(ds.id, rows(size), key="统一社会信用代码")
        db.session.commit()
        entries[size] = ds.id
    client = app.test_client()

    def download(dataset_id: int) -> int:
        resp = client.get(f"/api/v1/datasets/{dataset_id}/download?format=csv")
        assert resp.status_code == 200
        total = 0
        for chunk in resp.response:
            total += len(chunk)
        resp.close()
        return total

    print(f"\nCSV download of an open entry, {runs} runs per size (medians), "
          f"{platform.python_implementation()} {platform.python_version()}, load average {os.getloadavg()[0]:.1f}")
    print("| rows | baseline: iter_rows only | download (route → CSV bytes) | ratio | RSS before → peak during "
          "the download | bytes |")
    print("|---|---|---|---|---|---|")
    for size in sizes:
        base_t, dl_t, peaks, before, size_bytes = [], [], [], [], 0
        for _ in range(runs):
            t, _count = timed(lambda size=size: sum(1 for _ in store.iter_rows(entries[size])))
            base_t.append(t)
            db.session.remove()
            reset_peak()
            before.append(rss_peak_kib())
            t, size_bytes = timed(lambda size=size: download(entries[size]))
            peaks.append(rss_peak_kib())
            dl_t.append(t)
        b, d = statistics.median(base_t), statistics.median(dl_t)
        print(f"| {size:,} | {b:.2f} s ({size / b:,.0f} rows/s) | {d:.2f} s ({size / d:,.0f} rows/s) | "
              f"{d / b:.2f}× | {max(before) / 1024:.0f} → {max(peaks) / 1024:.0f} MiB | {size_bytes / 1e6:.0f} MB |")


# --- cache: open download uncached vs from the file cache ---------------------------------------------------
def bench_cache(n: int, runs: int, fmt: str) -> None:
    from unittest import mock

    from delivery import filecache, store
    from market.db import db

    tmp = tempfile.mkdtemp(prefix="delivery-bench-")
    app = make_app(tmp)
    ds = make_entry("cache", sensitive=frozenset({"法定代表人"}))
    store.replace_rows(ds.id, rows(n), key="统一社会信用代码")
    db.session.commit()
    client = app.test_client()
    url = f"/api/v1/datasets/{ds.id}/download?format={fmt}"

    def download(expected: str | None) -> tuple[float, float, bytes]:
        gc.collect()  # no collection of an earlier run's garbage inside this one's timing
        wall, cpu = time.perf_counter(), time.process_time()
        resp = client.get(url)
        assert resp.status_code == 200 and resp.headers.get("X-Download-Cache") == expected
        body = b"".join(resp.response)  # chunk by chunk, as a server sends it
        resp.close()
        db.session.remove()
        return (time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000, body

    results: dict[str, list[tuple[float, float]]] = {"uncached": [], "miss": [], "hit": []}
    bodies = {}
    def uncached():
        with mock.patch.object(filecache, "entry_for", lambda *_a: None):
            *t, bodies["uncached"] = download(None)
        results["uncached"].append(t)

    for run in range(runs):  # interleaved, uncached first or last in turn: load changes hit every variant alike
        if run % 2 == 0:
            uncached()
        filecache.clear()
        *t, bodies["miss"] = download("miss")
        results["miss"].append(t)
        *t, bodies["hit"] = download("hit")
        results["hit"].append(t)
        if run % 2 == 1:
            uncached()
    if fmt != "xlsx":  # xlsx members carry the time they were written: same content, other bytes
        assert bodies["hit"] == bodies["miss"] == bodies["uncached"]
    base_wall = statistics.median(w for w, _c in results["uncached"])
    base_cpu = statistics.median(c for _w, c in results["uncached"])
    print(f"\nOpen {fmt.upper()} download of {n:,} rows ({len(bodies['hit']) / 1e6:.1f} MB), {runs} runs (medians), "
          f"{platform.python_implementation()} {platform.python_version()}, load average {os.getloadavg()[0]:.1f}")
    print("| download | wall ms | CPU ms | wall vs uncached | CPU vs uncached |")
    print("|---|---|---|---|---|")
    labels = {"uncached": "uncached: rendered every time (baseline)", "miss": "first request: rendered + teed into the cache",
              "hit": "cached file (X-Download-Cache: hit)"}
    for name, label in labels.items():
        wall = statistics.median(w for w, _c in results[name])
        cpu = statistics.median(c for _w, c in results[name])
        print(f"| {label} | {wall:.1f} | {cpu:.1f} | {wall / base_wall:.3f}× | {cpu / base_cpu:.3f}× |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("what", choices=("store", "stream", "cache"))
    parser.add_argument("--rows", type=int, default=None, help="1,000,000 for store/stream, 20,000 for cache")
    parser.add_argument("--runs", type=int, default=None, help="3 for stream, 15 for cache")
    parser.add_argument("--format", default="csv", choices=("csv", "json", "xlsx"), help="cache only")
    args = parser.parse_args()
    if args.what == "store":
        bench_store(args.rows or 1_000_000)
    elif args.what == "stream":
        bench_stream(args.rows or 1_000_000, args.runs or 3)
    else:
        bench_cache(args.rows or 20_000, args.runs or 15, args.format)


if __name__ == "__main__":
    main()
