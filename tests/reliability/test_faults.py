"""Crash and fault tests: the server (or a command) is killed with SIGKILL in the middle of a checkout, a
decision, an import and a reindex; after a restart nothing is half there — every change is wholly present
or wholly absent — and the work can simply be done again. Plus: an unreachable or locked database answers
a clear 503 and recovers; a full disk answers 507 and keeps nothing of the upload.

The kill happens inside the transaction, right after a chosen SQL statement ran (market/faults.py), which
is the worst moment: rows were written to the transaction but never committed."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "passw0rd!"

SETUP = r"""
from market import create_app
from market.dbmigrate import upgrade_database
from tests.browser.server import seed
from market.auth.services import create_user
from market.db import db
app = create_app()
with app.app_context():
    upgrade_database()
    seed()
"""

QUERY = r"""
import json, sys
from sqlalchemy import text
from market import create_app
from market.db import db
app = create_app()
with app.app_context():
    print(json.dumps([list(r) for r in db.session.execute(text(sys.argv[1]))]))
"""


class Market:
    """A market in its own data folder, driven like an operator does: commands and `market serve`."""

    def __init__(self, data_dir: Path):
        self.data_dir = data_dir
        self.env = dict(os.environ, MARKET_DATA_DIR=str(data_dir), MARKET_SECRET_KEY="fault-test-secret-0123456789",
                        MARKET_ARGON2_TIME_COST="1", MARKET_ARGON2_MEMORY_COST="64", MARKET_SEARCH_URL="",
                        MARKET_PAGE_CACHE_SECONDS="0", PYTHONPATH=str(ROOT))
        for key in ("MARKET_DATABASE_URL", "MARKET_FAULT_KILL_SQL", "MARKET_FAULT_KILL_AFTER"):
            self.env.pop(key, None)
        self.proc: subprocess.Popen | None = None
        self.port = 0

    def _env(self, fault: str | None, after: int = 1) -> dict:
        env = dict(self.env)
        if fault:
            env.update(MARKET_FAULT_KILL_SQL=fault, MARKET_FAULT_KILL_AFTER=str(after))
        return env

    def cli(self, *args: str, fault: str | None = None, after: int = 1, timeout: int = 120):
        return subprocess.run([sys.executable, "-m", "market", *args], check=False, env=self._env(fault, after), cwd=ROOT,
                              capture_output=True, text=True, timeout=timeout)

    def python(self, code: str, *args: str) -> str:
        out = subprocess.run([sys.executable, "-c", code, *args], check=False, env=self.env, cwd=ROOT, capture_output=True,
                             text=True, timeout=120)
        assert out.returncode == 0, out.stderr[-2000:]
        return out.stdout

    def sql(self, query: str) -> list:
        return json.loads(self.python(QUERY, query).strip().splitlines()[-1])

    def start(self, fault: str | None = None, after: int = 1) -> None:
        self.port = free_port()
        if getattr(self, "log", None) is not None:
            self.log.close()
        self.log = open(self.data_dir / f"serve-{self.port}.log", "wb")  # noqa: SIM115 (closed in stop())
        self.proc = subprocess.Popen([sys.executable, "-m", "market", "serve", "--port", str(self.port), "--threads",
                                      "2", "--no-jobs"], env=self._env(fault, after), cwd=ROOT, stdout=self.log,
                                     stderr=subprocess.STDOUT)
        for _ in range(300):
            try:
                urllib.request.urlopen(self.url("/healthz"), timeout=1).read()
                return
            except OSError:
                if self.proc.poll() is not None:
                    raise AssertionError((self.data_dir / f"serve-{self.port}.log").read_text()[-2000:])
                time.sleep(0.05)
        raise AssertionError("market serve did not answer /healthz")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
        self.proc = None
        if getattr(self, "log", None) is not None:
            self.log.close()
            self.log = None

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{urllib.parse.quote(path, safe='/?&=%')}"

    def call(self, method: str, path: str, body: dict | None = None, token: str | None = None):
        req = urllib.request.Request(self.url(path), method=method,
                                     data=json.dumps(body).encode() if body is not None else None,
                                     headers={"Content-Type": "application/json",
                                              **({"Authorization": f"Bearer {token}"} if token else {})})
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                return resp.status, json.loads(resp.read() or b"null")
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read() or b"null")

    def token(self, username: str) -> str:
        status, body = self.call("POST", "/api/v1/auth/token", {"username": username, "password": PASSWORD})
        assert status == 201, body
        return body["token"]

    def expect_killed(self) -> None:
        assert self.proc.wait(timeout=30) == -signal.SIGKILL
        self.stop()


@pytest.fixture
def market(tmp_path):
    m = Market(tmp_path / "data")
    m.data_dir.mkdir()
    m.python(SETUP)
    yield m
    m.stop()


def _ids(m: Market, *titles: str) -> list[int]:
    rows = dict(m.sql("SELECT title, id FROM datasets"))
    return [rows[t] for t in titles]


def test_killed_during_checkout_leaves_no_request_and_the_cart_intact(market):
    a, b = _ids(market, "企业登记基本信息", "企业纳税信用评级")
    market.start()
    token = market.token("zhang.wei")
    for ds in (a, b):
        assert market.call("POST", "/api/v1/cart/items", {"dataset_id": ds}, token)[0] in (200, 201)
    market.stop()

    market.start(fault="INSERT INTO request_lines", after=2)  # dies after writing the second line
    with pytest.raises(OSError):
        market.call("POST", "/api/v1/requests", {"purpose": "企业监管核验", "period_days": 30}, market.token("zhang.wei"))
    market.expect_killed()
    assert market.sql("SELECT count(*) FROM access_requests") == [[0]]
    assert market.sql("SELECT count(*) FROM request_lines") == [[0]]

    market.start()
    token = market.token("zhang.wei")
    assert market.call("GET", "/api/v1/cart", token=token)[1]["count"] == 2
    status, req = market.call("POST", "/api/v1/requests", {"purpose": "企业监管核验", "period_days": 30}, token)
    assert status == 201 and len(req["lines"]) == 2
    assert market.sql("SELECT count(*) FROM access_requests") == [[1]]
    assert market.cli("audit", "verify").returncode == 0


def test_killed_during_a_decision_leaves_the_line_waiting(market):
    (a,) = _ids(market, "企业登记基本信息")
    market.start()
    token = market.token("zhang.wei")
    market.call("POST", "/api/v1/cart/items", {"dataset_id": a}, token)
    status, req = market.call("POST", "/api/v1/requests", {"purpose": "企业监管核验", "period_days": 30}, token)
    assert status == 201
    line = req["lines"][0]
    assert line["state"] != "granted"
    audit_before = market.sql("SELECT count(*) FROM audit_events")
    market.stop()

    market.start(fault="UPDATE approval_steps")
    officer = market.token("li.na")
    decision = f"/api/v1/requests/{req['id']}/lines/{line['id']}/decision"
    with pytest.raises(OSError):
        market.call("POST", decision, {"decision": "approve", "comment": "同意"}, officer)
    market.expect_killed()
    assert market.sql(f"SELECT state FROM request_lines WHERE id = {line['id']}") == [[line["state"]]]
    assert market.sql("SELECT count(*) FROM grants") == [[0]]
    assert market.sql("SELECT count(*) FROM audit_events") == audit_before  # nothing of it was recorded

    market.start()
    status, body = market.call("POST", decision, {"decision": "approve", "comment": "同意"}, market.token("li.na"))
    assert status == 200, body
    assert market.sql("SELECT count(*) FROM grants") == [[1]]
    assert market.cli("audit", "verify").returncode == 0


def _catalog_file(path: Path, n: int) -> Path:
    with open(path, "w", encoding="utf-8") as fh:
        fh.writelines(json.dumps({"id": f"fault:{i:05d}", "title": f"故障测试目录{i:05d}", "description": "导入中断测试",
                                 "publisher": "无锡市测试局", "category": "测试", "tags": ["测试"], "formats": ["csv"],
                                 "update_frequency": "每月", "open_condition": "无条件开放", "fields": ["名称"],
                                 "region": "江苏省无锡市"}, ensure_ascii=False) + "\n" for i in range(n))
    return path


def test_killed_during_an_import_writes_nothing_and_a_rerun_imports_everything(market, tmp_path):
    source = _catalog_file(tmp_path / "big.jsonl", 2500)  # three write batches of up to 1000
    before = market.sql("SELECT count(*) FROM datasets")[0][0]
    out = market.cli("import", str(source), fault="INSERT INTO datasets", after=2)
    assert out.returncode == -signal.SIGKILL
    assert market.sql("SELECT count(*) FROM datasets") == [[before]]
    out = market.cli("import", str(source))
    assert out.returncode == 0, out.stderr
    assert market.sql("SELECT count(*) FROM datasets") == [[before + 2500]]


def test_killed_during_a_reindex_keeps_search_answering_and_a_rerun_is_consistent(market, tmp_path):
    source = _catalog_file(tmp_path / "big.jsonl", 2500)
    assert market.cli("import", str(source)).returncode == 0
    out = market.cli("reindex", fault="FROM datasets", after=3)  # dies while reading the rows to index
    assert out.returncode == -signal.SIGKILL
    market.start()
    status, body = market.call("GET", "/api/v1/datasets?q=故障测试目录&per_page=1")
    assert status == 200 and body["total"] == 2500  # the index of the import is still whole
    market.stop()
    out = market.cli("reindex")
    assert out.returncode == 0 and "Indexed" in out.stdout
    market.start()
    assert market.call("GET", "/api/v1/datasets?q=故障测试目录&per_page=1")[1]["total"] == 2500


def test_unreachable_database_answers_a_clear_503():
    from market import create_app
    from market.config import Settings

    port = free_port()  # nothing listens there
    settings = Settings.from_env({"MARKET_DATA_DIR": str(Path(os.environ.get("TMPDIR", "/tmp")) / "market-503"),
                                  "MARKET_SECRET_KEY": "fault-test-secret-0123456789",
                                  "MARKET_DATABASE_URL": f"postgresql+psycopg://postgres@127.0.0.1:{port}/x",
                                  "MARKET_SEARCH_URL": ""})
    app = create_app({"MARKET": settings, "TESTING": True,
                      "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True, "connect_args": {"connect_timeout": 2}}})
    client = app.test_client()
    resp = client.get("/api/v1/datasets/1")
    assert resp.status_code == 503 and resp.headers["Retry-After"] == "5"
    assert resp.get_json()["error"]["code"] == "database_unavailable"
    page = client.get("/datasets")
    assert page.status_code == 503 and "服务暂时不可用" in page.get_data(as_text=True)
    assert client.get("/healthz").status_code == 503


@pytest.mark.skipif(os.environ.get("MARKET_TEST_DATABASE_URL", "").startswith("postgresql"),
                    reason="the lock below is SQLite's; the PostgreSQL case is the unreachable-server test")
def test_locked_database_answers_503_then_recovers(market):
    """Another process holds the write lock (a long `market import`, a stuck backup): pages keep reading
    (write-ahead log), a change answers a clear 503 after the busy timeout, and works once the lock goes."""
    import sqlite3

    market.start()
    a, b = _ids(market, "公交线路站点信息", "企业登记基本信息")
    token = market.token("zhang.wei")
    assert market.call("GET", f"/api/v1/datasets/{a}")[0] == 200
    locker = sqlite3.connect(market.data_dir / "market.db")
    locker.execute("BEGIN EXCLUSIVE")
    try:
        assert market.call("GET", f"/api/v1/datasets/{a}")[0] == 200  # readers do not wait for the writer
        status, body = market.call("POST", "/api/v1/cart/items", {"dataset_id": b}, token)
        assert status == 503 and body["error"]["code"] == "database_unavailable"
    finally:
        locker.rollback()
        locker.close()
    assert market.call("POST", "/api/v1/cart/items", {"dataset_id": b}, token)[0] in (200, 201)
    assert market.call("GET", "/api/v1/cart", token=token)[1]["count"] == 1


def _mount_tmpfs(path: Path, size: str) -> bool:
    path.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0 or not shutil.which("mount"):
        return False
    return subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
                          check=False, capture_output=True).returncode == 0


@pytest.mark.skipif(os.environ.get("MARKET_TEST_DATABASE_URL", "").startswith("postgresql"),
                    reason="the full disk is the SQLite data folder's; PostgreSQL keeps its own files")
def test_full_disk_during_an_upload_answers_507_and_keeps_nothing(tmp_path):
    mnt = tmp_path / "small-disk"
    if not _mount_tmpfs(mnt, "4m"):
        pytest.skip("needs root and tmpfs to make a small disk")
    m = Market(mnt)
    try:
        m.python(SETUP)
        (ds,) = _ids(m, "公交线路站点信息")
        m.start()
        officer = m.token("li.na")
        free = shutil.disk_usage(mnt).free
        (mnt / "filler").write_bytes(b"\0" * max(0, free - 48 * 1024))  # leave 48 KB
        rows = "".join(f"线路{i:06d}线,站点{i:06d}号站\n" for i in range(40000))  # ~1 MB of rows
        body, boundary = _multipart({"mode": "replace"}, "file", "lines.csv", ("线路名称,站点名称\n" + rows).encode())
        req = urllib.request.Request(m.url(f"/api/v1/datasets/{ds}/data"), data=body, method="POST",
                                     headers={"Authorization": f"Bearer {officer}",
                                              "Content-Type": f"multipart/form-data; boundary={boundary}"})
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(req, timeout=60)
        detail = err.value.read()
        assert err.value.code == 507, (detail, (mnt / f"serve-{m.port}.log").read_text()[-1500:])
        assert json.loads(detail)["error"]["code"] == "storage_full"
        (mnt / "filler").unlink()
        # nothing of the upload was kept, and the market works on once space is back
        assert m.call("GET", "/healthz")[0] == 200
        status, _ = m.call("GET", f"/api/v1/datasets/{ds}/records?limit=1", token=officer)
        assert status in (200, 404)
        if status == 200:
            assert m.call("GET", f"/api/v1/datasets/{ds}/records?limit=1", token=officer)[1].get("records", []) == []
    finally:
        m.stop()
        subprocess.run(["umount", "-l", str(mnt)], check=False, capture_output=True)


def _multipart(fields: dict, file_field: str, filename: str, content: bytes) -> tuple[bytes, str]:
    boundary = "market-fault-boundary-7f3a"
    parts = []
    for k, v in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode())
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{file_field}"; filename="{filename}"\r\n'
                 f"Content-Type: text/csv\r\n\r\n".encode() + content + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), boundary
