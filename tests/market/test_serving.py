"""`market serve --processes 2`: two workers answer on one port, a catalog change made anywhere clears
every worker's page cache, a crashed worker is replaced, and stopping the server stops them all."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import free_port
from tests.reliability.test_faults import ROOT, SETUP, Market, _ids

RENAME = r"""
import sys
from market import create_app
from market.db import db
from catalog.models import Dataset
app = create_app()
with app.app_context():
    ds = db.session.get(Dataset, int(sys.argv[1]))
    ds.title = sys.argv[2]
    db.session.commit()
"""


def children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().split(") ")[-1].startswith("Z"))  # a zombie is gone


def wait_for(predicate, seconds: float = 20.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


class Served:
    def __init__(self, tmp_path: Path):
        self.market = Market(tmp_path)
        self.market.env["MARKET_PAGE_CACHE_SECONDS"] = "300"
        self.market.python(SETUP)
        self.port = free_port()
        self.log = open(tmp_path / "serve.log", "wb")  # noqa: SIM115 (closed in close())
        self.proc = subprocess.Popen([sys.executable, "-m", "market", "serve", "--port", str(self.port),
                                      "--processes", "2", "--threads", "2", "--no-jobs"], env=self.market.env,
                                     cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT)
        assert wait_for(lambda: self.get("/healthz")[0] == 200 and len(children(self.proc.pid)) == 2, 60), \
            (tmp_path / "serve.log").read_text()[-2000:]

    def get(self, path: str) -> tuple[int, str, str]:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=10) as resp:
                return resp.status, resp.read().decode(), resp.headers.get("X-Page-Cache", "")
        except OSError:
            return 0, "", ""

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        for pid in children(self.proc.pid):
            os.kill(pid, signal.SIGKILL)
        self.log.close()


@pytest.fixture
def served(tmp_path):
    s = Served(tmp_path)
    yield s
    s.close()


def test_a_change_made_in_another_process_clears_every_workers_page_cache(served):
    (ds,) = _ids(served.market, "公交线路站点信息")
    pages = [served.get(f"/datasets/{ds}") for _ in range(30)]
    assert all(status == 200 and "公交线路站点信息" in html for status, html, _ in pages)
    assert sum(1 for *_, cache in pages if cache == "hit") >= 25  # at most one miss per worker (and a race)

    served.market.python(RENAME, str(ds), "公交线路与站点")  # like `market import`: a third process
    pages = [served.get(f"/datasets/{ds}") for _ in range(30)]
    assert all(status == 200 and "公交线路与站点" in html for status, html, _ in pages)  # no stale copy anywhere
    assert [cache for *_, cache in pages].count("miss") <= 4


def test_a_crashed_worker_is_replaced_and_sigterm_stops_them_all(served):
    first, second = children(served.proc.pid)
    os.kill(first, signal.SIGKILL)
    assert all(served.get("/healthz")[0] == 200 for _ in range(10))  # the other worker answers meanwhile
    assert wait_for(lambda: len(children(served.proc.pid)) == 2 and first not in children(served.proc.pid))
    replacement = next(p for p in children(served.proc.pid) if p != second)
    assert "started worker" in (served.market.data_dir / "serve.log").read_text()

    served.proc.send_signal(signal.SIGTERM)
    assert served.proc.wait(timeout=20) == 0
    assert not alive(second) and not alive(replacement)
    assert served.get("/healthz")[0] == 0


def test_workers_stop_by_themselves_when_the_supervisor_is_killed(served):
    workers = children(served.proc.pid)
    served.proc.kill()
    served.proc.wait()
    assert wait_for(lambda: not any(alive(p) for p in workers), 15)
