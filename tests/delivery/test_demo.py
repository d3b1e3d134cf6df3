"""Demo rows: reproducible, self-consistent, shaped like the entries' data items."""

from __future__ import annotations

from delivery import demo


def _uscc_ok(code: str) -> bool:
    chars = demo.USCC_CHARS
    weights = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
    total = sum(chars.index(c) * w for c, w in zip(code[:17], weights, strict=True))
    return len(code) == 18 and chars[(31 - total % 31) % 31] == code[17]


def test_enterprises_are_reproducible_unique_and_valid():
    first, again = demo.enterprises(300), demo.enterprises(300)
    assert first == again
    codes = [r["统一社会信用代码"] for r in first]
    assert len(set(codes)) == 300 and all(_uscc_ok(c) for c in codes)
    assert len({r["企业名称"] for r in first}) == 300
    assert demo.enterprises(300, seed=1) != first


def test_licences_belong_to_registered_enterprises():
    import random

    pool = demo.enterprises(50)
    row = demo._licence_row(random.Random(1), pool[7], ["许可证编号", "单位名称", "统一社会信用代码", "发证日期", "有效期至"], 3)
    assert (row["单位名称"], row["统一社会信用代码"]) == (pool[7]["企业名称"], pool[7]["统一社会信用代码"])
    assert row["发证日期"] < row["有效期至"]


def test_air_quality_rows_follow_the_items_and_the_index():
    items = ["监测站点", "监测时间", "AQI指数", "首要污染物", "PM2.5浓度"]
    rows = list(demo.air_quality(items, hours=48))
    assert len(rows) == 48 * len(demo.SITES) and list(rows[0]) == items
    assert all(0 < r["AQI指数"] <= 300 for r in rows)
    assert all((r["首要污染物"] == "—") == (r["AQI指数"] <= 50) for r in rows)


def test_generic_rows_follow_any_entrys_items(company_dataset):
    ds = company_dataset(0)
    rows = list(demo.generic_rows(ds, 20))
    assert rows == list(demo.generic_rows(ds, 20))  # reproducible
    assert all(list(r) == [i.name for i in ds.items] for r in rows)
    assert all(len(r["统一社会信用代码"]) == 18 for r in rows)
