from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from fapiao.domain.checkcode import check_code, check_code_matches, check_code_tail
from fapiao.domain.rates import NON_TAXABLE, R6, R9
from fapiao.domain.taxcodes import (
    BadTaxCode,
    builtin_table,
    display_name,
    load_table,
    read_table,
    split_display_name,
    validate_tax_code,
)

FIELDS = {
    "code": "042002600711",
    "number": "00000001",
    "issued_on": date(2026, 11, 2),
    "seller_id": "9132020013590404XW",
    "total": Decimal("113.00"),
}


def test_check_code_is_20_digits_keyed_and_verifiable() -> None:
    code = check_code(key=b"secret-a", **FIELDS)  # type: ignore[arg-type]
    assert len(code) == 20 and code.isdigit()
    assert code == check_code(key=b"secret-a", **FIELDS)  # type: ignore[arg-type]
    assert code != check_code(key=b"secret-b", **FIELDS)  # type: ignore[arg-type]
    changed = {**FIELDS, "total": Decimal("113.01")}
    assert code != check_code(key=b"secret-a", **changed)  # type: ignore[arg-type]
    assert check_code_matches(code, key=b"secret-a", **FIELDS)
    assert not check_code_matches(code, key=b"secret-b", **FIELDS)
    assert check_code_tail(code) == code[-6:]


def test_builtin_table_has_the_domain_examples() -> None:
    table = builtin_table()
    assert len(table) >= 40
    assert table.get("1010101010000000000").short_name == "谷物"  # type: ignore[union-attr]
    software = table.get("3040201010000000000")
    assert software is not None
    assert (software.short_name, software.name, software.rate) == (
        "信息技术服务",
        "软件开发服务",
        R6,
    )
    assert software.category == "服务"
    assert table.get("3070401000000000000").short_name == "餐饮服务"  # type: ignore[union-attr]
    assert table.get("3070402000000000000").short_name == "住宿服务"  # type: ignore[union-attr]
    assert table.get("1030107010100000000").rate == R9  # type: ignore[union-attr]
    assert table.get("6010000000000000000").rate == NON_TAXABLE  # type: ignore[union-attr]
    assert [c.code for c in table.search("软件")][:2] == [
        "3040201010000000000",
        "3040201020000000000",
    ]
    assert [c.name for c in table.search("30704")] == ["餐饮服务", "住宿服务"]
    assert all(validate_tax_code(c.code) == c.code for c in table)


def test_display_name_rule() -> None:
    assert display_name("谷物", "稻谷") == "*谷物*稻谷"
    assert display_name("信息技术服务", "*软件*开发") == "*信息技术服务*开发"
    assert split_display_name("*非学历教育服务*培训费") == ("非学历教育服务", "培训费")
    assert split_display_name("培训费") == ("", "培训费")


def test_load_table_from_a_file(tmp_path: Path) -> None:
    path = tmp_path / "full.csv"
    path.write_text(
        "\ufeffcode,short_name,name,rate\n1010101020000000000,谷物,小麦,9%\n", encoding="utf-8"
    )
    table = load_table(path)
    assert [(c.code, c.short_name, c.name, c.rate) for c in table] == [
        ("1010101020000000000", "谷物", "小麦", R9)
    ]


@pytest.mark.parametrize(
    ("text", "field", "message"),
    [
        ("code,name\n", "file", "缺少列：rate、short_name"),
        ("code,short_name,name,rate\n123,谷物,小麦,9%\n", "row.2.code", "19位数字"),
        ("code,short_name,name,rate\n1010101020000000000,,小麦,9%\n", "row.2", "不能为空"),
        ("code,short_name,name,rate\n1010101020000000000,谷物,小麦,17%\n", "row.2.rate", "17%"),
    ],
)
def test_table_errors_name_the_row(text: str, field: str, message: str) -> None:
    with pytest.raises(Exception, match=message) as caught:
        read_table(text.splitlines())
    assert caught.value.field == field  # type: ignore[attr-defined]


def test_validate_tax_code() -> None:
    with pytest.raises(BadTaxCode, match="19位数字"):
        validate_tax_code("7010101010000000000")
