"""``market import``: JSONL, CSV and CKAN files become published catalog entries, idempotently; invalid
rows are all listed and (without --skip-invalid) nothing is written."""

import json
import shutil
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from catalog.importing import parse_date
from catalog.models import Category, DataItem, Dataset, DatasetChange, DatasetFormat, DatasetTag, Department
from market.cli import cli
from market.db import db

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "import"
TABLES = (Dataset, DatasetChange, Department, Category, DatasetTag, DatasetFormat, DataItem)


def counts() -> dict:
    return {m.__tablename__: db.session.scalar(select(func.count()).select_from(m)) for m in TABLES}


def entry(source_id: str) -> Dataset:
    db.session.expire_all()
    return db.session.scalar(select(Dataset).where(Dataset.source_id == source_id))


def jsonl_rows() -> list[dict]:
    return [
        json.loads(line) for line in (FIXTURES / "catalog.jsonl").read_text(encoding="utf-8").splitlines()
    ]


def write_jsonl(path: Path, rows: list) -> Path:
    path.write_text(
        "".join((r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)) + "\n" for r in rows),
        encoding="utf-8",
    )
    return path


@pytest.fixture
def run(runner):
    def invoke(*args):
        return runner.invoke(cli, ["import", *map(str, args)])

    return invoke


def test_jsonl_import_creates_published_entries(run, make_category):
    education = make_category("edu", "教育", "theme")
    result = run(FIXTURES / "catalog.jsonl")
    assert result.exit_code == 0, result.output
    assert "4 rows: 4 created, 0 updated, 0 unchanged, 0 skipped" in result.stdout
    assert "3 new departments, 1 new categories" in result.stdout

    schools = entry("wuxi:edu-001")
    assert schools.code == "wuxi:edu-001"
    assert schools.status == "published"
    assert schools.title == "无锡市中小学校名录" and schools.summary.startswith("全市中小学校")
    assert schools.department.name == "无锡市教育局" and schools.department.code.startswith("P-")
    assert schools.category_id == education.id  # an existing category of that name is used
    assert sorted(schools.tags) == ["学校", "教育"]
    assert sorted(schools.formats) == ["API", "CSV", "XLSX"]
    assert schools.delivery_modes == ["download", "api"]
    assert [(i.name, i.type, i.sensitive) for i in schools.items] == [
        ("学校名称", "string", False),
        ("地址", "string", False),
        ("办学类型", "string", False),
    ]
    assert (schools.update_frequency, schools.update_frequency_text) == ("yearly", "每半年")
    assert (schools.open_attribute, schools.share_attribute, schools.level) == ("open", "unconditional", 1)
    assert schools.published_at == date(2023, 6, 2) and schools.source_updated_at == date(2023, 7, 1)
    assert (schools.record_count, schools.region) == (1520, "江苏省无锡市")
    assert schools.url == "https://data.wuxi.example/catalog/edu-001"
    assert [(c.action, c.changes["source_id"]) for c in schools.changes] == [("imported", "wuxi:edu-001")]

    # the same publisher is one department; an unknown category becomes a theme category
    assert entry("wuxi:edu-004").department_id == schools.department_id
    health = entry("wuxi:hosp-002")
    assert (health.category.name, health.category.library) == ("医疗卫生", "theme")
    assert health.delivery_modes == ["api"]
    assert health.record_count is None  # the portal's -1 means "unknown"

    closed = entry("wuxi:env-003")
    assert (closed.open_attribute, closed.share_attribute, closed.level) == ("closed", "conditional", 3)
    assert closed.category is None and closed.summary == ""
    assert len(closed.items[0].name) == 200  # over-long field names are cut, not refused
    # no usable publish date: the entry is dated by its last update
    assert closed.published_at == date(2023, 8, 1)


def test_chinese_frequency_and_open_condition_keep_the_original_text(run):
    assert run(FIXTURES / "catalog.jsonl").exit_code == 0
    health = entry("wuxi:hosp-002")
    assert (health.update_frequency, health.update_frequency_text) == ("weekly", "每 2 日")
    assert (health.open_attribute, health.open_condition_text) == ("conditional", "依申请开放")
    assert (health.share_attribute, health.level) == ("conditional", 2)
    live = entry("wuxi:edu-004")
    assert (live.update_frequency, live.update_frequency_text) == ("realtime", "实时")
    assert (live.open_attribute, live.open_condition_text) == ("open", "完全开放")


def test_second_run_changes_nothing(run):
    path = FIXTURES / "catalog.jsonl"
    assert run(path).exit_code == 0
    before = counts()
    result = run(path)
    assert result.exit_code == 0, result.output
    assert (
        "4 rows: 0 created, 0 updated, 4 unchanged, 0 skipped; 0 new departments, 0 new categories"
        in result.stdout
    )
    assert counts() == before


def test_changed_row_updates_the_entry_and_records_the_diff(run, tmp_path):
    assert run(FIXTURES / "catalog.jsonl").exit_code == 0
    rows = jsonl_rows()
    rows[0]["title"] = "无锡市中小学校名录（2024）"
    rows[0]["tags"] = ["学校"]
    rows[0]["open_condition"] = "有条件开放"
    before = counts()

    result = run(write_jsonl(tmp_path / "changed.jsonl", rows))
    assert result.exit_code == 0, result.output
    assert "0 created, 1 updated, 3 unchanged" in result.stdout
    schools = entry("wuxi:edu-001")
    assert schools.title == "无锡市中小学校名录（2024）" and schools.tags == ["学校"]
    assert (schools.open_attribute, schools.share_attribute, schools.level) == (
        "conditional",
        "conditional",
        2,
    )
    last = schools.changes[-1]
    assert last.action == "updated"
    assert last.changes["title"] == ["无锡市中小学校名录", "无锡市中小学校名录（2024）"]
    assert last.changes["tags"] == [["学校", "教育"], ["学校"]]
    assert last.changes["open_attribute"] == ["open", "conditional"]
    assert set(last.changes) == {
        "title",
        "tags",
        "open_attribute",
        "open_condition_text",
        "share_attribute",
        "level",
    }
    after = counts()
    assert after["datasets"] == before["datasets"]
    assert after["dataset_changes"] == before["dataset_changes"] + 1


def test_reimport_keeps_an_operators_level_while_the_open_condition_is_unchanged(run):
    assert run(FIXTURES / "catalog.jsonl").exit_code == 0
    schools = entry("wuxi:edu-001")
    schools.level = 2
    db.session.commit()
    result = run(FIXTURES / "catalog.jsonl")
    assert "0 updated, 4 unchanged" in result.stdout
    assert entry("wuxi:edu-001").level == 2


def test_one_broken_line_writes_nothing_and_names_the_line(run, tmp_path):
    lines = (FIXTURES / "catalog.jsonl").read_text(encoding="utf-8").splitlines()
    lines[2] = lines[2][:40]  # cut in the middle of the JSON object
    path = write_jsonl(tmp_path / "broken.jsonl", lines)

    result = run(path)
    assert result.exit_code == 1
    assert "line 3: json: broken JSON" in result.stderr
    assert "Error: 1 invalid row(s) in broken.jsonl, first on line 3; nothing was imported" in result.stderr
    assert set(counts().values()) == {0}


def test_every_bad_row_is_listed_with_its_field(run, tmp_path):
    good, *_ = jsonl_rows()
    path = write_jsonl(
        tmp_path / "bad.jsonl",
        [
            {**good, "id": "a", "title": None},
            {**good, "id": "b", "tags": "学校,教育"},
            {**good, "id": "c", "title": "长" * 301},
            {**good, "id": "d", "publisher": "", "region": None, "record_count": "many"},
            good,
            {**good, "title": "同一个编号"},
            "[1, 2]",
        ],
    )
    result = run(path)
    assert result.exit_code == 1
    for expected in (
        "line 1: title: missing",
        "line 2: tags: must be a list of text, not str",
        "line 3: title: longer than 300 characters (301)",
        "line 4: publisher: missing",
        "line 4: record_count: must be a whole number",
        "line 6: id: duplicate id 'wuxi:edu-001', first on line 5",
        "line 7: row: must be a JSON object, not a list",
    ):
        assert expected in result.stderr
    assert "6 invalid row(s)" in result.stderr
    assert "line 5" not in result.stderr.replace("first on line 5", "")
    assert set(counts().values()) == {0}


def test_skip_invalid_imports_the_good_rows_and_reports_the_bad(run, tmp_path):
    rows = jsonl_rows()
    rows[1]["formats"] = ["CSV", 3]
    rows[3]["title"] = ""
    result = run(write_jsonl(tmp_path / "mixed.jsonl", rows), "--skip-invalid")
    assert result.exit_code == 0, result.output
    assert "line 2: formats: item 2 must be text, not a number" in result.stderr
    assert "line 4: title: missing" in result.stderr
    assert "4 rows: 2 created, 0 updated, 0 unchanged, 2 skipped" in result.stdout
    assert sorted(db.session.scalars(select(Dataset.source_id))) == ["wuxi:edu-001", "wuxi:env-003"]


def test_skip_invalid_with_no_valid_row_fails(run, tmp_path):
    result = run(write_jsonl(tmp_path / "bad.jsonl", ["{oops"]), "--skip-invalid")
    assert result.exit_code == 1
    assert "no valid rows in bad.jsonl" in result.stderr


def test_csv_import(run):
    result = run(FIXTURES / "catalog.csv")
    assert result.exit_code == 0, result.output
    assert "2 rows: 2 created" in result.stdout
    bus = entry("csv:bus-001")
    assert (bus.title, bus.department.name, bus.category.name) == (
        "公交线路信息",
        "无锡市交通运输局",
        "交通出行",
    )
    assert sorted(bus.tags) == ["公交", "出行"] and sorted(bus.formats) == ["CSV", "JSON"]
    assert [i.name for i in bus.items] == ["线路名称", "站点名称", "首班时间"]
    assert (bus.published_at, bus.source_updated_at, bus.record_count) == (
        date(2023, 3, 15),
        date(2023, 8, 1),
        412,
    )
    parking = entry("csv:park-002")
    assert parking.category is None and parking.record_count is None and parking.url is None
    assert (parking.update_frequency, parking.open_attribute, parking.delivery_modes) == (
        "realtime",
        "conditional",
        ["api"],
    )


def test_csv_header_with_an_unknown_column_is_refused(run, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("id,titel,publisher\nx,公交,交通局\n", encoding="utf-8")
    result = run(path)
    assert result.exit_code == 1
    assert "CSV header: unknown column(s) titel; missing column(s) title" in result.stderr


def test_ckan_package_search_answer(run):
    result = run(FIXTURES / "ckan_package_search.json")
    assert result.exit_code == 0, result.output
    assert "2 rows: 2 created" in result.stdout
    roads = entry("3f1c2a9e-0001-4c1b-9a52-000000000001")
    assert roads.title == "Road Network File 2012" and roads.summary.startswith("Streets")
    assert roads.department.name == "Statistics Canada" and roads.category.name == "Transport"
    assert sorted(roads.tags) == ["roads", "streets"] and sorted(roads.formats) == ["CSV", "SHP", "WMS"]
    assert roads.delivery_modes == ["download", "api"]
    assert (roads.update_frequency, roads.update_frequency_text) == ("yearly", "Annually")
    # CKAN has no open condition: an open licence says the data is open
    assert (roads.open_attribute, roads.open_condition_text) == ("open", "Open Government Licence - Canada")
    assert (roads.published_at, roads.source_updated_at) == (date(2012, 5, 26), date(2013, 6, 7))


@pytest.mark.parametrize("shape", ["package_show", "bare list", "json lines"])
def test_ckan_other_shapes(run, tmp_path, shape):
    show = json.loads((FIXTURES / "ckan_package_show.json").read_text(encoding="utf-8"))
    packages = json.loads((FIXTURES / "ckan_package_search.json").read_text(encoding="utf-8"))["result"][
        "results"
    ]
    if shape == "package_show":
        path, expected = FIXTURES / "ckan_package_show.json", ["3f1c2a9e-0003-4c1b-9a52-000000000003"]
    elif shape == "bare list":
        path = tmp_path / "packages.json"
        path.write_text(json.dumps([show["result"], *packages]), encoding="utf-8")
        expected = sorted(p["id"] for p in [show["result"], *packages])
    else:
        path = write_jsonl(tmp_path / "packages.jsonl", [show["result"], *packages])
        expected = sorted(p["id"] for p in [show["result"], *packages])
    result = run(path, "--format", "ckan")
    assert result.exit_code == 0, result.output
    assert sorted(db.session.scalars(select(Dataset.source_id))) == expected
    bridges = entry("3f1c2a9e-0003-4c1b-9a52-000000000003")
    assert bridges.department.name == "Transport Canada" and bridges.update_frequency == "monthly"
    assert bridges.open_attribute == "conditional"  # a non-commercial licence is a condition


def test_ckan_package_with_bad_shapes_is_invalid(run, tmp_path):
    pkg = json.loads((FIXTURES / "ckan_package_show.json").read_text(encoding="utf-8"))["result"]
    path = tmp_path / "bad.json"
    path.write_text(
        json.dumps(
            {"result": {"results": [{**pkg, "resources": "XLSX"}, {**pkg, "id": "x2", "organization": None}]}}
        ),
        encoding="utf-8",
    )
    result = run(path)
    assert result.exit_code == 1
    assert "record 1: resources: must be a list of resources" in result.stderr
    assert "record 2: publisher: missing" in result.stderr


def test_ckan_failure_answer(run, tmp_path):
    path = tmp_path / "failed.json"
    path.write_text(
        json.dumps({"success": False, "error": {"message": "Not found", "__type": "Not Found Error"}})
    )
    result = run(path)
    assert result.exit_code == 1
    assert "the CKAN answer reports a failure: Not found" in result.stderr


def test_unknown_format(run, tmp_path):
    result = run(FIXTURES / "catalog.jsonl", "--format", "xml")
    assert result.exit_code == 2
    assert "Invalid value for '--format'" in result.output
    path = shutil.copy(FIXTURES / "catalog.jsonl", tmp_path / "catalog.txt")
    result = run(path)
    assert result.exit_code == 1
    assert (
        "cannot tell the format of catalog.txt from its extension; pass --format jsonl|csv|ckan"
        in result.stderr
    )
    result = run(path, "--format", "jsonl")
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("empty.jsonl", ""),
        ("blank.jsonl", "\n\n"),
        ("empty.csv", ""),
        ("header.csv", "id,title,publisher\n"),
        ("empty.json", ""),
    ],
)
def test_empty_file(run, tmp_path, name, content):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    result = run(path)
    assert result.exit_code == 1
    assert f"Error: {name} holds no catalog entries" in result.stderr


@pytest.mark.parametrize("name", ["catalog.jsonl", "catalog.csv", "ckan_package_show.json"])
def test_a_byte_order_mark_is_ignored(run, tmp_path, name):
    path = tmp_path / name
    path.write_bytes(b"\xef\xbb\xbf" + (FIXTURES / name).read_bytes())
    result = run(path)
    assert result.exit_code == 0, result.output
    assert "0 skipped" in result.stdout


def test_bad_utf8_line_is_an_invalid_row(run, tmp_path):
    path = tmp_path / "latin1.jsonl"
    path.write_bytes(
        (FIXTURES / "catalog.jsonl").read_bytes() + '{"id": "x", "title": "café"}\n'.encode("latin-1")
    )
    result = run(path)
    assert result.exit_code == 1
    assert "line 5: encoding: not UTF-8 text" in result.stderr


def test_imported_open_entries_are_found_by_search(run, client):
    assert run(FIXTURES / "catalog.csv").exit_code == 0
    body = client.get("/api/v1/datasets?q=公交").get_json()
    assert [item["title"] for item in body["items"]] == ["公交线路信息"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2023-06-02", date(2023, 6, 2)),
        ("2023/6/2 08:00:00", date(2023, 6, 2)),
        ("2023-06-02T09:00:00Z", date(2023, 6, 2)),
        ("2023-06-02\n10:30", date(2023, 6, 2)),
        ("2023年6月2日", date(2023, 6, 2)),
        ("20230602", date(2023, 6, 2)),
        ("2023-02-30", None),
        ("不详", None),
        ("", None),
    ],
)
def test_dates_are_parsed_leniently(text, expected):
    assert parse_date(text) == expected


def test_missing_publisher_falls_back_to_the_portal_region(run, tmp_path):
    from sqlalchemy import select

    from catalog.models import Dataset, Department
    from market.db import db

    good, *_ = jsonl_rows()
    path = write_jsonl(tmp_path / "nopub.jsonl", [{**good, "id": "np-1", "publisher": None}])
    result = run(path)
    assert result.exit_code == 0, result.stderr
    ds = db.session.scalar(select(Dataset).where(Dataset.source_id == "np-1"))
    assert ds.department.name == "江苏省无锡市（未注明数源部门）"
    assert db.session.scalar(select(Department).where(Department.name == "无锡市教育局")) is None
