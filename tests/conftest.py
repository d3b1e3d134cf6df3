"""Test fixtures: one migrated database per run (SQLite by default, PostgreSQL when
MARKET_TEST_DATABASE_URL is set), emptied after every test; creator fixtures; a logged-in client."""

from __future__ import annotations

import os
import re
import socket
import subprocess
from itertools import count

import pytest
from sqlalchemy import delete

from market import create_app
from market.config import Settings
from market.db import db

_seq = count(1)


def pytest_configure(config):
    # Guard: nothing in the test run may reach beyond loopback (SMTP, remote APIs, CDNs).
    real_connect = socket.socket.connect

    def guarded(self, address):
        host = address[0] if isinstance(address, tuple) else address
        if isinstance(host, str) and host not in ("127.0.0.1", "localhost", "::1") and not host.startswith("/"):
            raise RuntimeError(f"test tried to reach {address!r}: only loopback is allowed")
        return real_connect(self, address)

    socket.socket.connect = guarded


@pytest.fixture(scope="session")
def settings(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("market-data")
    env = {
        "MARKET_DATA_DIR": str(data_dir),
        "MARKET_SECRET_KEY": "test-secret-key-0123456789",
        "MARKET_ARGON2_TIME_COST": "1",
        "MARKET_ARGON2_MEMORY_COST": "64",
        "MARKET_SEARCH_URL": "",
        "MARKET_PAGE_CACHE_SECONDS": "0",  # tests/market/test_pagecache.py turns it on
    }
    if os.environ.get("MARKET_TEST_DATABASE_URL"):
        env["MARKET_DATABASE_URL"] = os.environ["MARKET_TEST_DATABASE_URL"]
    return Settings.from_env(env)


@pytest.fixture(scope="session")
def _app(settings):
    # recommendations follow carts and requests at once here (in service, at most every few seconds)
    app = create_app({"MARKET": settings, "TESTING": True, "RECS_FEEDBACK_REFRESH_SECONDS": 0})

    def _fresh_request_globals():
        # the `app` fixture holds one app context for a whole test, so Flask's `g` would outlive
        # requests (Flask-WTF's token, Flask-Babel's locale, Flask-Login's user, bearer_auth);
        # start every request with an empty `g`, as a deployment (one context per request) does
        from flask import g

        g.__dict__.clear()

    app.before_request_funcs.setdefault(None, []).insert(0, _fresh_request_globals)

    with app.app_context():
        from market.dbmigrate import upgrade_database

        upgrade_database()
    yield app
    with app.app_context():
        db.engine.dispose()  # close pooled connections (psycopg warns about open ones at exit)


@pytest.fixture
def app(_app):
    with _app.app_context():
        yield _app
        db.session.rollback()
        db.session.remove()
        with db.engine.begin() as conn:
            for table in reversed(db.metadata.sorted_tables):
                conn.execute(delete(table))
        from search.service import reset_search_state

        reset_search_state()  # the index must not keep documents whose rows were just deleted


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


# --- creator fixtures -----------------------------------------------------------------------------
@pytest.fixture
def make_department(app):
    from catalog.models import Department

    def make(code: str | None = None, name: str | None = None) -> Department:
        n = next(_seq)
        dept = Department(code=code or f"D{n:03d}", name=name or f"测试部门{n}")
        db.session.add(dept)
        db.session.commit()
        return dept

    return make


@pytest.fixture
def make_category(app):
    from catalog.models import Category

    def make(code: str | None = None, name: str | None = None, library: str = "theme") -> Category:
        n = next(_seq)
        cat = Category(code=code or f"cat{n}", name=name or f"分类{n}", library=library)
        db.session.add(cat)
        db.session.commit()
        return cat

    return make


@pytest.fixture
def make_user(app, make_department):
    from market.auth.services import create_user

    def make(role: str = "requester", *, username: str | None = None, department=None,
             password: str = "passw0rd!") -> object:
        if department is None and role in ("requester", "officer"):
            department = make_department()
        user = create_user(username or f"{role}{next(_seq)}", password, role,
                           department_code=department.code if department is not None else None)
        db.session.commit()
        return user

    return make


@pytest.fixture
def make_dataset(app, make_department):
    from catalog.models import DataItem, Dataset

    def make(title: str = "人口基本信息", *, department=None, category=None, status: str = "published",
             share_attribute: str = "conditional", open_attribute: str = "open", level: int = 2,
             tags=(), formats=("CSV",), items=None, summary: str = "测试摘要", request_count: int = 0,
             **extra) -> Dataset:
        n = next(_seq)
        department = department or make_department()
        ds = Dataset(code=f"T-{n:05d}", title=title, summary=summary, department=department, category=category,
                     status=status, share_attribute=share_attribute, open_attribute=open_attribute, level=level,
                     request_count=request_count, delivery_modes=["download", "api"] if level < 4 else ["query"],
                     **extra)
        if status == "published":
            import datetime

            ds.published_at = ds.published_at or datetime.date(2026, 1, 1)
        ds.tags = list(tags)
        ds.formats = list(formats)
        for pos, item in enumerate(items if items is not None else [("姓名", False), ("公民身份号码", True)]):
            name, sensitive = item
            ds.items.append(DataItem(position=pos, name=name, type="string", sensitive=sensitive))
        db.session.add(ds)
        db.session.commit()
        return ds

    return make


# --- client helpers -------------------------------------------------------------------------------
CSRF_RE = re.compile(r'name="csrf-token" content="([^"]+)"')


def csrf_token(client, path: str = "/") -> str:
    """Read the CSRF token the way a browser does: from a page this site served."""
    html = client.get(path).get_data(as_text=True)
    m = CSRF_RE.search(html)
    assert m, f"no csrf-token meta tag on {path}"
    return m.group(1)


def free_port() -> int:
    """A free TCP port on loopback, for a throwaway server a test starts."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop_process(proc, timeout: float = 10) -> None:
    """Stop a server a test started (its Popen, so by PID): SIGTERM, then SIGKILL if it lingers."""
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def signed_in_client(app, user, password: str = "passw0rd!"):
    """A browser of its own signed in as ``user`` (for tests that switch between users)."""
    other = app.test_client()
    resp = other.post("/login", data={"username": user.username, "password": password,
                                      "csrf_token": csrf_token(other, "/login")})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:500]
    return other


@pytest.fixture
def login(client):
    def do(user, password: str = "passw0rd!"):
        token = csrf_token(client, "/login")
        resp = client.post("/login", data={"username": user.username, "password": password, "csrf_token": token})
        assert resp.status_code == 302, resp.get_data(as_text=True)[:500]
        return user

    return do


@pytest.fixture
def api_token(client):
    def make(user, password: str = "passw0rd!") -> dict:
        resp = client.post("/api/v1/auth/token", json={"username": user.username, "password": password})
        assert resp.status_code == 201, resp.get_json()
        return {"Authorization": f"Bearer {resp.get_json()['token']}"}

    return make
