"""Servers for the open-data tests: this app on a real WSGI server in a thread, a second instance
of the app (own data folder and SQLite database), and a tiny CKAN-shaped fixture server."""

from __future__ import annotations

import threading
from contextlib import contextmanager

import pytest
from werkzeug.serving import make_server

from market import create_app
from market.config import Settings
from market.db import db


@contextmanager
def serving(wsgi_app):
    """Serve ``wsgi_app`` on a free loopback port in a thread; yield its base URL."""
    server = make_server("127.0.0.1", 0, wsgi_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def live_url(app):
    """This test's app, served over HTTP (ckanapi and the harvester speak to it like to any site)."""
    with serving(app) as url:
        yield url


@pytest.fixture
def second_instance(tmp_path):
    """Another instance of the app with its own data folder and database, and a helper to seed it."""
    data_dir = tmp_path / "second"
    settings = Settings.from_env({"MARKET_DATA_DIR": str(data_dir), "MARKET_SECRET_KEY": "second-secret-0123456789",
                                  "MARKET_ARGON2_TIME_COST": "1", "MARKET_ARGON2_MEMORY_COST": "64",
                                  "MARKET_SEARCH_URL": ""})
    other = create_app({"MARKET": settings, "TESTING": True})
    with other.app_context():
        from market.dbmigrate import upgrade_database

        upgrade_database()
    with serving(other) as url:
        yield SecondInstance(other, url)
    with other.app_context():
        db.engine.dispose()


class SecondInstance:
    def __init__(self, app, url: str):
        self.app, self.url = app, url

    @contextmanager
    def context(self):
        """Work inside the second instance (its own session and database)."""
        with self.app.app_context():
            yield
            db.session.remove()

    def add(self, code: str, title: str, *, department: str = "市教育局", category: str | None = "教育",
            open_attribute: str = "open", share_attribute: str = "conditional", level: int = 2,
            tags=("学校",), formats=("CSV", "JSON"), items=None, status: str = "published", **extra) -> int:
        """Create one catalog entry in the second instance; return its id."""
        import datetime

        from sqlalchemy import select

        from catalog.models import Category, DataItem, Dataset, Department

        with self.context():
            dept = db.session.scalar(select(Department).where(Department.name == department))
            if dept is None:
                dept = Department(code=f"R{abs(hash(department)) % 10**6}", name=department)
            cat = None
            if category:
                cat = db.session.scalar(select(Category).where(Category.name == category))
                cat = cat or Category(code=f"RC{abs(hash(category)) % 10**6}", name=category, library="theme")
            ds = Dataset(code=code, title=title, summary=f"{title}的摘要", department=dept, category=cat,
                         status=status, open_attribute=open_attribute, share_attribute=share_attribute,
                         level=level, delivery_modes=["download", "api"] if level < 4 else ["query"],
                         update_frequency="monthly", published_at=datetime.date(2025, 3, 1),
                         source_updated_at=datetime.date(2025, 6, 30), **extra)
            ds.tags = list(tags)
            ds.formats = list(formats)
            for pos, (name, kind, description, sensitive) in enumerate(items or [
                    ("学校名称", "string", "学校的全称", False), ("在校人数", "integer", "", False),
                    ("校长身份证号", "string", "校长的公民身份号码", True)]):
                ds.items.append(DataItem(position=pos, name=name, type=kind, description=description,
                                         sensitive=sensitive))
            db.session.add(ds)
            db.session.commit()
            return ds.id

    def change(self, code: str, **values) -> None:
        from sqlalchemy import select

        from catalog.models import Dataset

        with self.context():
            ds = db.session.scalar(select(Dataset).where(Dataset.code == code))
            for key, value in values.items():
                setattr(ds, key, value)
            db.session.commit()
