"""Search benchmark: the embedded backend through the service layer vs bare tantivy vs a SQL LIKE scan.

    .venv/bin/python bench/search_bench.py            # the ~108k Chinese rows of ../shared/data/catalogs
    .venv/bin/python bench/search_bench.py --million  # plus a 1M-row synthetic expansion

A "page" is what the shop asks for: top 20 + total + counts for all 8 facets. Rows are bulk-inserted
into a throwaway SQLite database; the embedded index is built from it with the same path as
``market reindex``. The LIKE scan is slow, so it runs on the first ``--like`` queries only.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from collections import Counter
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
CATALOGS = ROOT.parent / "shared" / "data" / "catalogs"
SHARES = ["unconditional"] * 5 + ["conditional"] * 4 + ["none"]


def load_rows() -> list[dict]:
    rows = []
    for path in sorted(CATALOGS.glob("zh_cn_*.jsonl")):
        if path.name == "zh_cn_opendata_demo_sample.jsonl":
            continue
        with path.open(encoding="utf-8") as fh:
            rows.extend(json.loads(line) for line in fh if line.strip())
    return rows


def expand(rows: list[dict], target: int, rng: random.Random) -> list[dict]:
    """Clone rows with one title word swapped until ``target`` rows (the 1M synthetic catalog)."""
    from search.analysis import words

    vocab = [w for w, n in Counter(w for r in rows[:20000] for w in words(r["title"])).most_common(3000)]
    out = list(rows)
    i = 0
    while len(out) < target:
        r = dict(rows[i % len(rows)])
        ws = words(r["title"]) or [r["title"]]
        ws[rng.randrange(len(ws))] = rng.choice(vocab)
        r["title"], r["id"] = "".join(ws), f"{r['id']}~{i}"
        out.append(r)
        i += 1
    return out


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]


def summary(ms: list[float]) -> str:
    return f"{pct(ms, 50):.2f} / {pct(ms, 95):.2f} / {pct(ms, 99):.2f}"


def make_app(data_dir: Path):
    from market import create_app
    from market.config import Settings

    settings = Settings.from_env({"MARKET_DATA_DIR": str(data_dir), "MARKET_SECRET_KEY": "bench-secret-key-0123456789",
                                  "MARKET_SEARCH_URL": ""})
    app = create_app({"MARKET": settings, "SEARCH_SYNC_DISABLED": True})
    return app


def insert_rows(rows: list[dict], rng: random.Random) -> None:
    """Bulk Core inserts of departments, categories, datasets, data items, tags and formats."""
    from sqlalchemy import insert

    from catalog.models import Category, Department
    from catalog.vocab import map_open_condition, map_update_frequency
    from market.db import db

    depts = {name: i for i, name in enumerate(sorted({(r.get("publisher") or "未知部门")[:200] for r in rows}), 1)}
    cats = {name: i for i, name in enumerate(sorted({r["category"][:100] for r in rows if r.get("category")}), 1)}
    db.session.execute(insert(Department), [{"id": i, "code": f"d{i}", "name": n} for n, i in depts.items()])
    db.session.execute(insert(Category), [{"id": i, "code": f"c{i}", "name": n} for n, i in cats.items()])
    ds, items, tags, fmts = [], [], [], []
    for i, r in enumerate(rows, 1):
        published = _date(r.get("published")) or date(2020, 1, 1)
        ds.append({"id": i, "code": f"B{i}", "source_id": r["id"][:200], "title": r["title"][:300],
                   "summary": r.get("description") or "", "department_id": depts[(r.get("publisher") or "未知部门")[:200]],
                   "category_id": cats.get((r.get("category") or "")[:100]),
                   "update_frequency": map_update_frequency(r.get("update_frequency")).value,
                   "share_attribute": rng.choice(SHARES), "open_attribute": map_open_condition(r.get("open_condition")).value,
                   "level": rng.choice((1, 1, 2, 2, 3)), "delivery_modes": ["download"], "status": "published",
                   "published_at": published, "source_updated_at": _date(r.get("updated")), "region": r.get("region"),
                   "request_count": int(rng.paretovariate(1.2)) - 1 if rng.random() < 0.3 else 0})
        for pos, name in enumerate(dict.fromkeys(f[:200] for f in r.get("fields") or [] if f)):
            items.append({"dataset_id": i, "position": pos, "name": name})
        tags += [{"dataset_id": i, "name": t[:100]} for t in dict.fromkeys(r.get("tags") or []) if t]
        fmts += [{"dataset_id": i, "name": f[:40]} for f in dict.fromkeys(r.get("formats") or []) if f]
        if len(ds) >= 20000:
            _flush(ds, items, tags, fmts)
    _flush(ds, items, tags, fmts)
    db.session.commit()


def _flush(ds, items, tags, fmts):
    from sqlalchemy import insert

    from catalog.models import DataItem, Dataset, DatasetFormat, DatasetTag
    from market.db import db

    for model, batch in ((Dataset, ds), (DataItem, items), (DatasetTag, tags), (DatasetFormat, fmts)):
        if batch:
            db.session.execute(insert(model), batch)
            batch.clear()


def _date(text):
    try:
        return date.fromisoformat((text or "")[:10])
    except ValueError:
        return None


def make_queries(rows: list[dict], rng: random.Random, n: int = 500):
    """Realistic queries: 1–2 common title words, some with a facet filter, some pinyin, some browse."""
    from search.analysis import pinyin_key, words

    freq = Counter(w for r in rows[:30000] for w in words(r["title"]) if len(w) > 1 and not w.isdigit())
    common = [w for w, _ in freq.most_common(400)]
    depts = Counter(r.get("publisher") for r in rows).most_common(200)
    queries = []
    for i in range(n):
        kind = i % 10
        if kind in (0, 1, 2, 3):
            q, filters = rng.choice(common), {}
        elif kind in (4, 5):
            q, filters = " ".join(rng.sample(common[:150], 2)), {}
        elif kind == 6:
            q, filters = rng.choice(common), {"share_attribute": [rng.choice(("unconditional", "conditional"))]}
        elif kind == 7:
            q, filters = rng.choice(common[:100]), {"format": ["CSV"], "level": ["1", "2"]}
        elif kind == 8:
            q, filters = pinyin_key(rng.choice(common[:100])), {}
        else:
            q, filters = "", {"department": [f"d{rng.randrange(1, len(depts) + 1)}"]}
        queries.append((q, filters))
    return queries


def known_items(rows: list[dict], rng: random.Random, n: int = 300):
    """(row id, query of 2–4 distinctive title words in shuffled order) for random rows."""
    from search.analysis import words

    df = Counter(w for r in rows for w in set(words(r["title"])))
    out = []
    while len(out) < n:
        i = rng.randrange(len(rows))
        ws = list(dict.fromkeys(words(rows[i]["title"])))
        if len(ws) < 2:
            continue
        ws.sort(key=lambda w: (df[w], w))
        picked = ws[:rng.randint(2, min(4, len(ws)))]
        rng.shuffle(picked)
        out.append((i + 1, " ".join(picked)))
    return out


def run(label: str, rows: list[dict], like_n: int, out: list[str], rng: random.Random) -> None:
    from bare_tantivy import BareIndex
    from sqlalchemy import func, select

    from catalog.models import Dataset
    from market.db import db
    from search.base import SearchQuery
    from search.service import get_backend, iter_documents, search_datasets
    from search.sql import SqlBackend

    data_dir = Path(tempfile.mkdtemp(prefix="search-bench-"))
    app = make_app(data_dir)
    with app.app_context():
        from market.dbmigrate import upgrade_database

        upgrade_database()
        t = time.perf_counter()
        insert_rows(rows, rng)
        load_s = time.perf_counter() - t
        n = db.session.scalar(select(func.count()).select_from(Dataset))
        backend = get_backend()
        t = time.perf_counter()
        docs = list(iter_documents(batch=5000))
        read_s = time.perf_counter() - t
        t = time.perf_counter()
        backend.rebuild(docs)
        build_s = time.perf_counter() - t
        size = sum(f.stat().st_size for f in (data_dir / "search").rglob("*") if f.is_file())

        bare = BareIndex(data_dir / "bare")
        t = time.perf_counter()
        bare.build(docs)
        bare_build_s = time.perf_counter() - t
        del docs

        queries = make_queries(rows, rng)
        for q, f in queries[:20]:  # warm caches and the segmenter
            search_datasets(SearchQuery(q=q, filters=f))
            bare.page(q, f)

        def timed(fn) -> list[float]:
            ms = []
            for q, f in queries:
                t0 = time.perf_counter()
                fn(q, f)
                ms.append((time.perf_counter() - t0) * 1000)
            return ms

        service_ms = timed(lambda q, f: search_datasets(SearchQuery(q=q, filters=f)))
        bare_ms = timed(bare.page)
        like_ms = []
        sql = SqlBackend()
        for q, f in queries[:like_n]:
            t0 = time.perf_counter()
            sql.query(SearchQuery(q=q, filters=f))
            like_ms.append((time.perf_counter() - t0) * 1000)
        service_like_subset = service_ms[:like_n]

        ranks = []
        for target, q in known_items(rows, rng):
            found = search_datasets(SearchQuery(q=q, per_page=10)).ids
            ranks.append(found.index(target) + 1 if target in found else None)
        recall = sum(r is not None for r in ranks) / len(ranks)
        mrr = sum(1 / r for r in ranks if r) / len(ranks)

    p95 = pct(service_ms, 95)
    out += [
        f"### {label}: {n:,} rows", "",
        f"- load into SQLite (bulk Core inserts): {load_s:.1f} s; read back as documents: {read_s:.1f} s",
        (f"- embedded index build (analysis + tantivy, one writer thread): {build_s:.1f} s = "
         f"{n / build_s:,.0f} rows/s; index size {size / 1e6:.0f} MB (bare tantivy build {bare_build_s:.1f} s)"),
        "", "| full page (top 20 + total + 8 facets), ms | p50 / p95 / p99 |", "|---|---|",
        f"| service layer, embedded backend ({len(queries)} queries) | {summary(service_ms)} |",
        f"| bare tantivy, same page ({len(queries)} queries) | {summary(bare_ms)} |",
        f"| SQL LIKE scan (database backend, first {like_n} queries) | {summary(like_ms) if like_ms else 'not run'} |",
        (f"| service layer on those same {like_n} queries | "
         f"{summary(service_like_subset) if like_ms else 'not run'} |"), "",
        f"- service p95 / bare tantivy p95 = {p95 / pct(bare_ms, 95):.2f}×",
    ]
    if like_ms:
        out.append(f"- LIKE p95 / service p95 (same queries) = {pct(like_ms, 95) / pct(service_like_subset, 95):.0f}×")
    out += [(f"- known-item queries ({len(ranks)}, 2–4 distinctive title words, shuffled): "
             f"recall@10 = {recall:.3f}, MRR = {mrr:.3f}"), ""]
    print("\n".join(out[-16:]), flush=True)


def machine_notes() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), "unknown CPU")
    return f"{os.cpu_count()} cores, {cpu}, Python {sys.version.split()[0]}, {date.today().isoformat()}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--million", action="store_true", help="also run on a 1M-row synthetic expansion")
    parser.add_argument("--like", type=int, default=100, help="queries to run through the LIKE scan")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    rows = load_rows()
    out = [(f"Machine: {machine_notes()}. Command: `.venv/bin/python bench/search_bench.py"
            f"{' --million' if args.million else ''}`"), ""]
    run("Real catalogs", rows, args.like, out, rng)
    if args.million:
        run("Synthetic expansion", expand(rows, 1_000_000, rng), min(args.like, 20), out, rng)
    print("\n".join(out))


if __name__ == "__main__":
    main()
