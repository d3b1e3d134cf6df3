"""``market seed-demo``: the demo city of Wuxi is big, believable, consistent, reproducible, and never
loaded twice; its accounts log in and the shop shows its data."""

from __future__ import annotations

import hashlib
import json
import re
import statistics
from collections import Counter
from datetime import date

import pytest
from sqlalchemy import delete, func, select, text
from sqlalchemy.orm import selectinload

from catalog.demo import DEMO_USERS
from catalog.demo.build import TemplateError, _check
from catalog.demo.spec import t
from catalog.models import Category, Dataset, DatasetChange, Department
from market.auth.models import User
from market.cli import cli
from market.db import db


@pytest.fixture
def seed(runner):
    def run(*args: str):
        return runner.invoke(cli, ["seed-demo", *args])

    return run


@pytest.fixture
def seeded(seed):
    result = seed()
    assert result.exit_code == 0, result.output
    return result


def all_datasets() -> list[Dataset]:
    return list(
        db.session.scalars(select(Dataset).options(selectinload(Dataset.items)).order_by(Dataset.code))
    )


def fingerprint() -> str:
    """A digest of everything a visitor would notice about the seeded catalog."""
    rows = [
        [
            d.code,
            d.title,
            d.summary,
            d.department.code,
            d.category.code,
            d.share_attribute.value,
            d.open_attribute.value,
            d.level,
            d.delivery_modes,
            str(d.price),
            d.published_at,
            d.request_count,
            d.rating_avg,
            d.featured,
            d.sample,
            [(i.name, i.type, i.sensitive) for i in d.items],
            sorted(d.tags),
        ]
        for d in all_datasets()
    ]
    return hashlib.sha256(json.dumps(rows, ensure_ascii=False, default=str).encode()).hexdigest()


def test_seed_loads_a_city_of_departments_categories_and_entries(seeded):
    assert re.search(
        r"Seeded \d+ catalog entries, \d+ departments, 26 categories and 12 accounts", seeded.stdout
    )
    departments = db.session.scalars(select(Department)).all()
    assert len(departments) >= 40
    assert all(d.name_en for d in departments)
    names = {d.code: d.name for d in departments}
    assert names["GA"] == "无锡市公安局" and names["SCJG"] == "无锡市市场监督管理局"
    assert names["SWJ"] == "国家税务总局无锡市税务局" and names["JYS"] == "江阴市人民政府"

    datasets = all_datasets()
    assert len(datasets) >= 500
    statuses = Counter(d.status.value for d in datasets)
    assert statuses["published"] >= 480 and statuses["draft"] > 0 and statuses["retired"] > 0
    used = {d.category_id for d in datasets}
    categories = db.session.scalars(select(Category)).all()
    base = {c.name for c in categories if c.library.value == "base" and c.id in used}
    assert base == {"人口", "法人", "空间地理", "社会信用", "电子证照"}
    assert len([c for c in categories if c.library.value == "theme" and c.id in used]) >= 10
    assert len({d.department_id for d in datasets}) >= 40  # every department publishes something
    assert {
        "居民户籍信息",
        "企业登记基本信息",
        "不动产登记信息",
        "公交线路及站点信息",
        "空气质量实时监测数据",
    } <= {d.title for d in datasets}


def test_attribute_spread_and_invariants(seeded):
    datasets = all_datasets()
    n = len(datasets)
    share = Counter(d.share_attribute.value for d in datasets)
    assert 0.28 <= share["unconditional"] / n <= 0.42
    assert 0.48 <= share["conditional"] / n <= 0.62
    assert 0.06 <= share["none"] / n <= 0.14
    levels = Counter(d.level for d in datasets)
    assert set(levels) == {1, 2, 3, 4} and levels[4] / n <= 0.06  # level 4 is rare

    assert len({d.code for d in datasets}) == n and len({d.title for d in datasets}) == n
    for d in datasets:
        assert re.fullmatch(rf"{d.department.code}-\d{{5}}", d.code), d.code
        assert 3 <= len(d.items) <= 15, d.code
        if d.share_attribute.value == "none":
            assert d.open_attribute.value == "closed", d.code
        if d.level == 4:
            assert "download" not in d.delivery_modes, d.code
        if d.has_sensitive_items:
            assert d.level >= 3 and d.open_attribute.value == "closed", d.code
        assert 3 <= len(d.sample) <= 5 and all(set(row) == {i.name for i in d.items} for row in d.sample), (
            d.code
        )
        assert d.summary and d.tags and d.formats and d.delivery_modes and d.region == "无锡市"
        if d.status.value == "published":
            assert date(2021, 1, 1) <= d.published_at <= date(2026, 12, 31), d.code
    sensitive_names = {i.name for d in datasets for i in d.items if i.sensitive}
    assert {"公民身份号码", "手机号码", "住址", "银行账号"} <= sensitive_names
    assert any(d.has_sensitive_items for d in datasets)


def test_products_featured_entries_popularity_and_history(seeded):
    datasets = all_datasets()
    priced = [d for d in datasets if d.price is not None]
    assert 3 <= len(priced) <= 30
    for d in priced:
        assert (
            500 <= d.price <= 20000 and d.open_attribute.value != "closed" and d.status.value == "published"
        )
    featured = [d for d in datasets if d.featured]
    assert len(featured) == 8 and all(d.open_attribute.value == "open" for d in featured)

    counts = sorted(d.request_count for d in datasets)
    assert counts.count(0) < len(counts) / 2
    assert counts[-1] >= 20 * max(1, statistics.median(counts))  # a long tail, not a flat spread
    rated = [d for d in datasets if d.rating_count]
    assert len(rated) > len(datasets) / 3 and all(1 <= d.rating_avg <= 5 for d in rated)

    actions = Counter(db.session.scalars(select(DatasetChange.action)))
    published = sum(d.status.value != "draft" for d in datasets)
    assert actions["created"] == len(datasets) and actions["published"] == published
    assert actions["retired"] == sum(d.status.value == "retired" for d in datasets)


def test_two_seeds_into_fresh_databases_are_identical(seed):
    assert seed().exit_code == 0
    first = fingerprint()
    db.session.remove()
    with db.engine.begin() as conn:  # a fresh database: every row gone and ids from 1, as before the first seed
        if conn.dialect.name == "postgresql":
            names = ", ".join(t.name for t in db.metadata.sorted_tables)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in reversed(db.metadata.sorted_tables):
                conn.execute(delete(table))
    assert seed().exit_code == 0
    assert fingerprint() == first


def test_if_empty_skips_and_a_second_seed_is_refused(seed, seeded):
    total = db.session.scalar(select(func.count()).select_from(Dataset))
    users = db.session.scalar(select(func.count()).select_from(User))  # demo accounts + history staff (recs)
    skipped = seed("--if-empty")
    assert skipped.exit_code == 0
    assert f"already has {total} entries; demo seed skipped" in skipped.stdout
    refused = seed()
    assert refused.exit_code == 1
    assert (
        "Error: the catalog already has" in refused.stderr and len(refused.stderr.strip().splitlines()) == 1
    )
    assert db.session.scalar(select(func.count()).select_from(Dataset)) == total
    assert db.session.scalar(select(func.count()).select_from(User)) == users >= len(DEMO_USERS)


def test_seed_prints_the_accounts_and_reuses_existing_ones(seed, make_user):
    make_user("operator", username="operator", password="MyOwn-pass1")
    result = seed()
    assert result.exit_code == 0, result.output
    for user in DEMO_USERS:
        assert user.username in result.stdout
    assert "Demo2026!of" in result.stdout and "Demo2026!pb" in result.stdout
    assert re.search(r"operator\s+operator\s+\(existing account, unchanged\)", result.stdout)
    assert "Seeding the demo city of Wuxi" in result.stderr  # the progress bar goes to stderr


def test_every_role_logs_in_and_sees_its_share_of_the_catalog(seeded, client, login):
    roles = {u.role for u in DEMO_USERS}
    assert roles == {"operator", "officer", "requester", "public"}
    published = db.session.scalar(
        select(func.count()).select_from(Dataset).where(Dataset.status == "published")
    )
    open_published = db.session.scalar(
        select(func.count())
        .select_from(Dataset)
        .where(Dataset.status == "published", Dataset.open_attribute != "closed")
    )
    for demo in DEMO_USERS:
        user = db.session.scalar(select(User).where(User.username == demo.username))
        assert user.role.value == demo.role
        assert (user.department.code if user.department else None) == demo.department
        login(user, demo.password)
        total = client.get("/api/v1/datasets").get_json()["total"]
        assert total == (open_published if demo.role == "public" else published), demo.username
        with client.session_transaction() as session:
            session.clear()


def test_home_api_and_product_page_show_seeded_data(seeded, client, login):
    open_published = db.session.scalar(
        select(func.count())
        .select_from(Dataset)
        .where(Dataset.status == "published", Dataset.open_attribute != "closed")
    )
    html = client.get("/").get_data(as_text=True)
    assert f"共 {open_published} 个数据目录" in html
    featured = html[html.index('id="featured-title"') : html.index('id="newest-title"')]
    for title in db.session.scalars(select(Dataset.title).where(Dataset.featured.is_(True))):
        assert title in featured

    open_transport = db.session.scalar(
        select(func.count())
        .select_from(Dataset)
        .join(Category)
        .where(Category.code == "TRANS", Dataset.status == "published", Dataset.open_attribute != "closed")
    )
    body = client.get("/api/v1/datasets?category=TRANS&per_page=100").get_json()
    assert body["total"] == open_transport > 0
    assert all(item["category"]["code"] == "TRANS" for item in body["items"])
    departments = {d["code"] for d in client.get("/api/v1/departments").get_json()["items"]}
    assert {"GA", "DSJ", "LXQ"} <= departments

    household = db.session.scalar(select(Dataset).where(Dataset.title == "居民户籍信息"))
    fake_id = household.sample[0]["公民身份号码"]
    assert re.fullmatch(r"3202\d{13}[\dX]", fake_id)
    requester = next(u for u in DEMO_USERS if u.role == "requester")
    login(db.session.scalar(select(User).where(User.username == requester.username)), requester.password)
    page = client.get(f"/datasets/{household.id}").get_data(as_text=True)
    assert "居民户籍信息" in page and "****" in page and fake_id not in page


def test_a_template_naming_an_unknown_data_item_is_refused_with_its_title():
    bad = t("测试目录", "POP", "姓名 公民身份号码 不存在的字段", "测试")
    with pytest.raises(TemplateError, match="测试目录.*不存在的字段"):
        _check("GA", bad, bad.title, {"GA": "无锡市公安局"}, {"POP"})
