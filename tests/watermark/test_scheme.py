"""The fingerprint scheme on its own: what is marked, how, and what never is."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

import pytest

from watermark.matching import log10_binom_sf
from watermark.readers import UnreadableFile, read_table
from watermark.scheme import (
    NBSP,
    Column,
    Scheme,
    derive_key,
    normalize,
    numeric_eligible,
    numeric_variant,
    same_value,
    text_eligible,
    text_variant,
)

KEY = derive_key("unit-test-secret-0123456789")
COLUMNS = [Column("编号", "anchor"), Column("名称", "text"), Column("金额", "numeric"), Column("人数", "numeric"),
           Column("日期", "anchor"), Column("身份证号", "skip")]


def _rows(n=2000, seed=1):
    rnd = random.Random(seed)
    return [{"编号": f"B{i:06d}", "名称": f"无锡{i}号（分店）", "金额": round(rnd.uniform(100, 9999), 2),
             "人数": rnd.randrange(101, 9999), "日期": "2024-05-01", "身份证号": f"3202{i:014d}"} for i in range(n)]


def test_marks_are_deterministic_per_grant_and_differ_between_grants():
    rows = _rows()
    a1 = [Scheme(KEY, 1, COLUMNS, "编号").mark_row(r) for r in rows]
    a2 = [Scheme(KEY, 1, COLUMNS, "编号").mark_row(r) for r in rows]
    b = [Scheme(KEY, 2, COLUMNS, "编号").mark_row(r) for r in rows]
    assert a1 == a2
    assert a1 != b
    assert [Scheme(derive_key("another-secret-abcdefgh"), 1, COLUMNS, "编号").mark_row(r) for r in rows] != a1


def test_about_a_fifth_of_rows_carry_exactly_one_harmless_mark():
    rows = _rows()
    scheme = Scheme(KEY, 9, COLUMNS, "编号")
    changed = 0
    for row in rows:
        out = scheme.mark_row(row)
        diff = [k for k in row if out[k] != row[k]]
        assert len(diff) <= 1
        if not diff:
            continue
        changed += 1
        col = diff[0]
        assert col in ("名称", "金额", "人数")  # never the key, the date or the sensitive item
        if col == "金额":
            unit = Decimal(1).scaleb(Decimal(repr(row[col])).as_tuple().exponent)  # one unit of the last digit
            assert abs(Decimal(repr(out[col])) - Decimal(repr(row[col]))) == unit
            assert isinstance(out[col], float)
        elif col == "人数":
            assert abs(out[col] - row[col]) == 1 and isinstance(out[col], int)
        else:
            assert out[col].replace("(", "（").replace(")", "）") == row[col]
    assert 0.15 < changed / len(rows) < 0.25


def test_marks_do_not_depend_on_row_order_or_column_order():
    rows = _rows(500)
    scheme = Scheme(KEY, 3, COLUMNS, "编号")
    reordered = Scheme(KEY, 3, list(reversed(COLUMNS)), "编号")
    expected = {r["编号"]: scheme.mark_row(r) for r in rows}
    shuffled = rows[:]
    random.Random(2).shuffle(shuffled)
    for r in shuffled:
        assert reordered.mark_row(r) == expected[r["编号"]]


def test_without_a_key_the_identity_survives_the_marks():
    cols = [Column("名称", "text"), Column("金额", "numeric"), Column("日期", "anchor")]
    scheme = Scheme(KEY, 5, cols, None)
    assert scheme.anchors == ["名称", "日期"]  # text in mark-free form, never the numbers
    changed = 0
    for r in _rows(300):
        row = {"名称": r["名称"], "金额": r["金额"], "日期": r["日期"]}
        out = scheme.mark_row(row)
        changed += out != row
        assert scheme.identity(out) == scheme.identity(row)
    assert changed > 30
    assert scheme.identity({"名称": "甲", "金额": 1}) == scheme.identity({"金额": 2, "名称": "甲"})


def test_only_numbers_keep_one_column_unmarked_as_identity():
    scheme = Scheme(KEY, 5, [Column("b", "numeric"), Column("a", "numeric")], None)
    assert scheme.anchors == ["a"] and [c.name for c in scheme.markable] == ["b"]


@pytest.mark.parametrize("value, ok", [(123, True), (120, False), (12, False), (0.05, False), (3.14, True),
                                       ("4521.37", True), ("3.10", False), (True, False), (1e-7, False),
                                       ("12a", False), (None, False)])
def test_numeric_eligibility(value, ok):
    assert numeric_eligible(value) is ok


def test_numeric_variants_keep_type_and_precision():
    assert numeric_variant(123, True) == 124
    assert numeric_variant(4521.37, False) == 4521.36
    assert numeric_variant("4521.37", True) == "4521.38"
    assert numeric_variant(Decimal("1.239"), True) == Decimal("1.240")
    assert same_value(3.1, "3.10") and same_value("3.10", 3.1)  # XLSX drops the trailing zero
    assert same_value("12,345.68", 12345.68) and normalize("1,234") == "1234"  # thousands separators


@pytest.mark.parametrize("value, variant", [("无锡(分店)", "无锡（分店)"), ("上海，浦东", "上海,浦东"),
                                            ("Main street", "Main" + NBSP + "street"), ("张三丰", "张三丰 ")])
def test_text_variants_look_the_same(value, variant):
    assert text_eligible(value)
    assert text_variant(value) == variant


@pytest.mark.parametrize("value", ["91320200MA1X", "A", " 前导空格", "", 5])
def test_codes_and_odd_text_are_not_text_marked(value):
    assert not text_eligible(value)


def test_normalisation_survives_format_changes():
    assert normalize("2024-05-01") == normalize(dt.datetime(2024, 5, 1)) == normalize(dt.date(2024, 5, 1))
    assert normalize("2024/5/1 00:00") == "2024-05-01"
    assert normalize("2024-05-01T07:30:00") == normalize("2024/5/1 7:30") == normalize(dt.datetime(2024, 5, 1, 7, 30))
    assert normalize("3.10") == normalize(3.1) == "3.1"
    assert normalize("0510") == normalize(510)
    assert normalize(" 无锡 ") == "无锡"


def test_binomial_tail():
    assert log10_binom_sf(0, 10, 0.5) == 0.0
    assert log10_binom_sf(10, 10, 0.5) == pytest.approx(-10 * 0.30103, abs=1e-6)
    assert log10_binom_sf(700, 700, 0.04) < -900
    assert -1 < log10_binom_sf(28, 700, 0.04) <= 0


def test_readers_handle_csv_variants_json_and_reject_junk():
    t = read_table("# comment\nA;B\n1;2\n\n3;4\n".encode("gb18030"), "x.txt")
    assert t.rows == [["A", "B"], ["1", "2"], ["3", "4"]]
    t = read_table(b'{"items": [{"a": 1, "b": "x"}, {"b": "y"}]}', "x.json")
    assert t.header == ["a", "b"] and t.rows == [[1, "x"], [None, "y"]]
    t = read_table(b'{"a": 1}\n{"a": 2}\n', "x.jsonl")
    assert t.rows == [[1], [2]]
    with pytest.raises(UnreadableFile):
        read_table(b'{"a": 1', "x.json")
    with pytest.raises(UnreadableFile):
        read_table(b"PK\x03\x04junk", "x.xlsx")
