"""A small seeded market served by waitress on loopback, for the browser journeys.

Run as `python -m tests.browser.server PORT DATA_DIR`: migrates a fresh SQLite database in DATA_DIR,
seeds two departments, their staff, a citizen, an operator, a handful of entries and the data behind two
of them (delivery store), prints READY, then serves until killed."""

from __future__ import annotations

import datetime
import sys

PASSWORD = "passw0rd!"
USERS = {"requester": ("zhang.wei", "requester", "REQ"), "officer": ("li.na", "officer", "OWN"),
         "keyboard": ("zhao.lei", "requester", "REQ"), "citizen": ("wang.fang", "public", None),
         "operator": ("chen.ops", "operator", None)}
ROWS = {  # the data behind entries (delivery store), by title: what downloads deliver
    "企业登记基本信息": [{"统一社会信用代码": "91320200MA1X000001", "法定代表人": "王一"},
                  {"统一社会信用代码": "91320200MA1X000002", "法定代表人": "李二"}],
    "公交线路站点信息": [{"线路名称": "1路", "站点名称": "火车站"}, {"线路名称": "1路", "站点名称": "三阳广场"}],
}
ENTRIES = [  # title, share, open, level, tags, items
    ("企业登记基本信息", "conditional", "closed", 2, ["市场监管"], [("统一社会信用代码", False), ("法定代表人", False)]),
    ("企业纳税信用评级", "unconditional", "conditional", 1, ["税务"], [("纳税人名称", False)]),
    ("公交线路站点信息", "unconditional", "open", 1, ["交通"], [("线路名称", False), ("站点名称", False)]),
    ("公共自行车租赁点", "unconditional", "open", 1, ["交通"], [("站点名称", False)]),
]


def seed() -> None:
    from sqlalchemy import select

    from catalog.models import DataItem, Dataset, Department
    from market.auth.services import create_user
    from market.db import db

    depts = {"OWN": Department(code="OWN", name="市市场监管局", name_en="Market Regulation"),
             "REQ": Department(code="REQ", name="市税务局", name_en="Taxation Bureau")}
    db.session.add_all(depts.values())
    db.session.flush()
    for n, (title, share, open_, level, tags, items) in enumerate(ENTRIES, 1):
        ds = Dataset(code=f"B-{n:03d}", title=title, summary=f"{title}（浏览器测试数据）", department=depts["OWN"],
                     status="published", share_attribute=share, open_attribute=open_, level=level,
                     delivery_modes=["download", "api"], published_at=datetime.date(2026, 1, n))
        ds.tags, ds.formats = tags, ["CSV"]
        for pos, (name, sensitive) in enumerate(items):
            ds.items.append(DataItem(position=pos, name=name, type="string", sensitive=sensitive))
        db.session.add(ds)
    for username, role, dept in USERS.values():
        create_user(username, PASSWORD, role, department_code=dept)
    db.session.flush()
    from delivery import store

    for ds in db.session.scalars(select(Dataset).where(Dataset.title.in_(ROWS))):
        store.replace_rows(ds.id, ROWS[ds.title])
    db.session.commit()


def main(port: int, data_dir: str) -> None:
    from waitress import create_server

    from market import create_app
    from market.config import Settings
    from market.dbmigrate import upgrade_database

    settings = Settings.from_env({"MARKET_DATA_DIR": data_dir, "MARKET_SECRET_KEY": "browser-test-secret-0123456789",
                                  "MARKET_ARGON2_TIME_COST": "1", "MARKET_ARGON2_MEMORY_COST": "64",
                                  "MARKET_SEARCH_URL": ""})
    app = create_app({"MARKET": settings})
    with app.app_context():
        upgrade_database()
        seed()
    server = create_server(app, host="127.0.0.1", port=port, threads=4)
    print("READY", flush=True)  # the socket listens from here on
    server.run()


if __name__ == "__main__":
    main(int(sys.argv[1]), sys.argv[2])
