"""Load test: 50 concurrent users against `market serve` on loopback, embedded defaults or PostgreSQL.

    .venv/bin/pip install locust        # once (bench only; not a runtime dependency)
    .venv/bin/python bench/load_test.py [--database sqlite|postgresql] [--users 50] [--seconds 60]

What it does, all in a temporary data folder (and, for PostgreSQL, a throwaway cluster it stops by PID):
1. `market init-db`, `market seed-demo`, one account per simulated requester (load_rq_NN);
2. starts `market serve` on a free loopback port and waits for /healthz;
3. run A — the mixed day (bench/locustfile.py): anonymous pages, search API, cart + checkout, approvals,
   open-data downloads, with 1–3 s think time per user; reports throughput and p50/p95/p99 per action;
4. runs B and C — the same number of users with no think time on the search page only, then on /healthz
   only: the ratio of their throughputs is the search page's cost relative to a bare request;
5. checks afterwards: no failed requests, every successful checkout is exactly one access request in the
   database (none lost, none duplicated), and `market audit verify` passes.
Exit status 1 when a check fails. Numbers go to stdout as Markdown for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
OFFICERS = ["ga_officer", "scjg_officer", "rsj_officer", "wjw_officer", "zrzy_officer"]
REQUESTER_DEPTS = ["MZJ", "JYJ", "GJJ", "LXQ"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(cmd: list[str], env: dict, **kw) -> str:
    out = subprocess.run(cmd, check=False, env=env, cwd=ROOT, capture_output=True, text=True, **kw)
    if out.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed ({out.returncode}): {out.stderr[-2000:]}")
    return out.stdout


class PostgresCluster:
    def __init__(self):
        self.dir = Path(tempfile.mkdtemp(prefix="market-load-pg."))
        self.port = free_port()
        self.bin = max(Path("/usr/lib/postgresql").glob("*/bin"))
        self.as_pg = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

    def start(self) -> str:
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
        subprocess.run([*self.as_pg, str(self.bin / "initdb"), "-D", f"{self.dir}/data", "-U", "postgres", "-A",
                        "trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"], check=True, capture_output=True)
        subprocess.run([*self.as_pg, str(self.bin / "pg_ctl"), "-D", f"{self.dir}/data", "-l", f"{self.dir}/log",
                        "-w", "-o", (f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.dir} -c fsync=off "
                                     "-c max_connections=200"), "start"], check=True, capture_output=True)
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def stop(self) -> None:
        pidfile = self.dir / "data" / "postmaster.pid"
        if pidfile.exists():
            pid = int(pidfile.read_text().split()[0])
            os.kill(pid, signal.SIGINT)
            for _ in range(100):
                try:
                    os.kill(pid, 0)
                except ProcessLookupError:
                    break
                time.sleep(0.1)
        shutil.rmtree(self.dir, ignore_errors=True)


PREPARE = r"""
import json, sys
from sqlalchemy import select
from market import create_app
from market.db import db
from market.auth.services import create_user
from catalog.models import Dataset, Department

n, depts, officers = int(sys.argv[1]), sys.argv[2].split(","), sys.argv[3].split(",")
app = create_app()
with app.app_context():
    for i in range(1, n + 1):
        create_user(f"load_rq_{i:02d}", "Load2026!rq", "requester", department_code=depts[i % len(depts)])
    db.session.commit()
    officer_depts = [o.split("_")[0].upper() for o in officers]
    rows = db.session.execute(select(Dataset.id, Dataset.share_attribute, Dataset.level, Dataset.open_attribute,
                                     Department.code).join(Department).where(Dataset.status == "published")).all()
    requestable = [r.id for r in rows if r.share_attribute in ("conditional", "unconditional") and r.level <= 2
                   and r.code in officer_depts]
    open_ids = []
    from market.features import FEATURE_PACKAGES
    if "delivery" in FEATURE_PACKAGES:
        from delivery.store import has_rows
        open_ids = [r.id for r in rows if r.open_attribute == "open" and r.level <= 2 and has_rows(r.id)]
    print(json.dumps({"requestable": requestable, "open": open_ids[:50], "datasets": [r.id for r in rows if r.open_attribute != "closed"][:300]}))
"""


def read_stats(prefix: Path) -> list[dict]:
    with open(f"{prefix}_stats.csv", newline="") as fh:
        return list(csv.DictReader(fh))


def locust(prefix: Path, env: dict, host: str, users: int, seconds: int, classes: list[str]) -> list[dict]:
    cmd = [str(BIN / "locust"), "-f", str(ROOT / "bench" / "locustfile.py"), "--headless", "-u", str(users),
           "-r", str(max(1, users // 5)), "-t", f"{seconds}s", "--host", host, "--csv", str(prefix),
           "--only-summary", "--loglevel", "WARNING", "--stop-timeout", "15", *classes]
    done = subprocess.run(cmd, check=False, env=env, cwd=ROOT, capture_output=True, text=True, timeout=seconds + 120)
    rows = read_stats(prefix)
    if not any(int(r["Request Count"]) for r in rows):
        sys.exit(f"locust ran no requests ({' '.join(classes)}): {done.stderr[-3000:]}")
    failures = Path(f"{prefix}_failures.csv")
    if failures.exists() and len(failures.read_text().splitlines()) > 1:
        print(f"failures of {prefix.name}:\n{failures.read_text()[:2000]}", file=sys.stderr)
    return rows


def table(rows: list[dict], seconds: int) -> str:
    out = ["| action | requests | failures | req/s | p50 ms | p95 ms | p99 ms |", "|---|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        name = "**all**" if r["Name"] == "Aggregated" else r["Name"]
        out.append(f"| {name} | {r['Request Count']} | {r['Failure Count']} | {float(r['Requests/s']):.1f} | "
                   f"{r['50%']} | {r['95%']} | {r['99%']} |")
    return "\n".join(out)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    ap.add_argument("--users", type=int, default=50)
    ap.add_argument("--seconds", type=int, default=60)
    ap.add_argument("--threads", type=int, default=8, help="waitress threads per process")
    ap.add_argument("--processes", type=int, default=1, help="`market serve --processes` (worker processes)")
    ap.add_argument("--page-cache-seconds", type=int, default=None,
                    help="MARKET_PAGE_CACHE_SECONDS for the server (default: the app's, 30; 0 = off)")
    args = ap.parse_args()
    if not (BIN / "locust").exists():
        sys.exit("locust is not installed: .venv/bin/pip install locust")

    data_dir = Path(tempfile.mkdtemp(prefix="market-load."))
    env = dict(os.environ, MARKET_DATA_DIR=str(data_dir), MARKET_ARGON2_TIME_COST="1",
               MARKET_ARGON2_MEMORY_COST="1024", PYTHONUNBUFFERED="1", PYTHONPATH=str(ROOT))
    if args.page_cache_seconds is not None:
        env["MARKET_PAGE_CACHE_SECONDS"] = str(args.page_cache_seconds)
    cluster = PostgresCluster() if args.database == "postgresql" else None
    server = None
    failures: list[str] = []
    try:
        if cluster:
            env["MARKET_DATABASE_URL"] = cluster.start()
        run([str(BIN / "market"), "init-db"], env)
        t0 = time.perf_counter()
        run([str(BIN / "market"), "seed-demo"], env)
        seed_s = time.perf_counter() - t0
        n_rq = max(1, round(args.users * 0.16))
        prepared = json.loads(run([str(BIN / "python"), "-c", PREPARE, str(n_rq), ",".join(REQUESTER_DEPTS),
                                   ",".join(OFFICERS)], env).strip().splitlines()[-1])
        port = free_port()
        server_log = open(data_dir / "serve.log", "wb")  # noqa: SIM115 (a file, not a pipe nobody reads (it would fill and block)
        server = subprocess.Popen([str(BIN / "market"), "serve", "--port", str(port), "--threads", str(args.threads),
                                   "--processes", str(args.processes)],
                                  env=env, cwd=ROOT, stdout=server_log, stderr=subprocess.STDOUT,
                                  start_new_session=True)
        host = f"http://127.0.0.1:{port}"
        for _ in range(200):
            try:
                urllib.request.urlopen(host + "/healthz", timeout=1).read()
                break
            except OSError:
                time.sleep(0.1)
        else:
            sys.exit("the server did not answer /healthz")

        n_search_api = round(args.users * 0.24)
        n_appr = len(OFFICERS)
        n_dl = max(1, round(args.users * 0.06))
        n_browse = args.users - n_rq - n_search_api - n_appr - n_dl
        lenv = dict(env, LOAD_OFFICERS=",".join(OFFICERS), LOAD_REQUESTABLE=json.dumps(prepared["requestable"]),
                    LOAD_OPEN=json.dumps(prepared["open"]), LOAD_DATASETS=json.dumps(prepared["datasets"]),
                    LOAD_BROWSERS=str(n_browse), LOAD_SEARCH_API=str(n_search_api), LOAD_REQUESTERS=str(n_rq),
                    LOAD_APPROVERS=str(n_appr), LOAD_DOWNLOADERS=str(n_dl),
                    LOAD_CHECKOUT_LOG=str(data_dir / "checkouts.txt"))
        out = data_dir / "locust"
        out.mkdir()
        mixed = locust(out / "mixed", lenv, host, args.users, args.seconds,
                       ["Browser", "SearchApi", "Requester", "Approver", "Downloader"])
        short = max(20, args.seconds // 2)
        search_only = locust(out / "search", dict(lenv, LOAD_SEARCH_ONLY=str(args.users)), host, args.users, short,
                             ["SearchPageOnly"])
        health_only = locust(out / "health", dict(lenv, LOAD_HEALTH_ONLY=str(args.users)), host, args.users, short,
                             ["HealthOnly"])

        # checks: no failures, every successful checkout is one request in the database, audit chain intact
        total_fail = sum(int(r["Failure Count"]) for r in (*mixed, *search_only, *health_only) if r["Name"] == "Aggregated")
        if total_fail:
            failures.append(f"{total_fail} failed requests (see {out}/*_failures.csv)")
        answered = [int(x) for x in (data_dir / "checkouts.txt").read_text().split()] \
            if (data_dir / "checkouts.txt").exists() else []
        checkouts = len(answered)
        count_q = ("import json\nfrom sqlalchemy import select\nfrom market import create_app\nfrom market.db import db\n"
                   "from orders.models import AccessRequest\nfrom market.auth.models import User\n"
                   "app = create_app()\nwith app.app_context():\n"
                   "    print(json.dumps(list(db.session.scalars(select(AccessRequest.id).join(User, "
                   "AccessRequest.requester_id == User.id).where(User.username.like('load_rq_%'))))))")
        stored = json.loads(run([str(BIN / "python"), "-c", count_q], env).strip().splitlines()[-1])
        in_db = len(stored)
        lost = sorted(set(answered) - set(stored))
        if lost:
            failures.append(f"{len(lost)} checkouts answered 201 but missing from the database: {lost[:5]}")
        if len(answered) != len(set(answered)) or len(stored) != len(set(stored)):
            failures.append("a request id was answered or stored twice")
        late = sorted(set(stored) - set(answered))
        if len(late) > n_rq:  # at most one checkout per requester can be in flight when the run stops
            failures.append(f"{len(late)} requests in the database that no client saw answered")
        verify = subprocess.run([str(BIN / "market"), "audit", "verify"], check=False, env=env, cwd=ROOT, capture_output=True,
                                text=True)
        if verify.returncode != 0:
            failures.append(f"audit verify failed: {verify.stdout.strip()} {verify.stderr.strip()}")

        s_rps = float(next(r for r in search_only if r["Name"] == "Aggregated")["Requests/s"])
        h_rps = float(next(r for r in health_only if r["Name"] == "Aggregated")["Requests/s"])
        print(f"## Load test — {args.database}, {args.users} users, {args.seconds} s mixed run "
              f"({time.strftime('%Y-%m-%d')})\n")
        print(f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
              f"`market serve --processes {args.processes} --threads {args.threads}` (waitress; page cache "
              f"{env.get('MARKET_PAGE_CACHE_SECONDS', '30')} s) and locust on the same machine over loopback; "
              f"demo city seeded in {seed_s:.1f} s; {n_browse} page browsers, {n_search_api} search-API users, "
              f"{n_rq} requesters, {n_appr} approvers, {n_dl} downloaders, 1–3 s think time.\n")
        print("### Mixed day\n")
        print(table(mixed, args.seconds))
        print(f"\n### Throughput, no think time ({short} s each)\n")
        print(table(search_only + health_only, short))
        print(f"\nSearch page ÷ bare health check throughput: **{s_rps / h_rps:.0%}** "
              f"({s_rps:.1f} vs {h_rps:.1f} req/s).")
        print(f"\nAfter the run: {checkouts} checkouts answered 201, all {checkouts} found once in the database "
              f"({in_db} stored; {len(late)} more were in flight when the run stopped); "
              f"audit chain: {verify.stdout.strip() or verify.stderr.strip()}")
        if failures:
            print("\nCHECKS FAILED:\n- " + "\n- ".join(failures))
        return 1 if failures else 0
    finally:
        if server is not None:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
        if cluster:
            cluster.stop()
        if failures:  # keep the evidence: server log, locust CSVs, the database
            print(f"Data folder kept for inspection: {data_dir}", file=sys.stderr)
        else:
            shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
