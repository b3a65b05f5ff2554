from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fapiao.domain.kinds import InvoiceKind
from fapiao.domain.numbering import (
    BadInvoiceCode,
    BadInvoiceNumber,
    build_code,
    build_digital_number,
    format_number,
    parse_code,
    parse_digital_number,
    parse_number,
)
from fapiao.domain.regions import PROVINCES, UnknownRegion, region4, region_name

K = InvoiceKind


def test_real_12_digit_code_from_a_qr_payload() -> None:
    # 01,10,011001605111,80100798,64.9,20161018,… (DOMAIN §2)
    code = parse_code("011001605111")
    assert (code.region, code.region_name, code.year) == ("1100", "北京", 2016)
    assert code.kinds == (K.VAT_ORDINARY_ELECTRONIC,)


def test_10_digit_codes_tell_special_from_ordinary_by_the_8th_digit() -> None:
    assert parse_code("4200161130").kinds == (K.VAT_SPECIAL_PAPER,)
    assert parse_code("4200161320").kinds == (K.VAT_ORDINARY_PAPER,)
    assert parse_code("4403191620").region_name == "深圳"
    assert parse_code("4403191620").kinds == (K.VAT_ORDINARY_PAPER,)


@pytest.mark.parametrize(
    ("kind", "region", "length", "expected"),
    [
        (K.VAT_ORDINARY_ELECTRONIC, "42", None, "042002600711"),
        (K.VAT_SPECIAL_ELECTRONIC, "61", None, "061002600713"),
        (K.VAT_ORDINARY_PAPER, "4403", 12, "044032600704"),
        (K.VAT_ORDINARY_PAPER, "11", 10, "1100267332"),
        (K.VAT_SPECIAL_PAPER, "3502", None, "3502267132"),
    ],
)
def test_build_code(kind: InvoiceKind, region: str, length: int | None, expected: str) -> None:
    code = build_code(kind, region=region, year=2026, batch=7, length=length)
    assert code == expected
    parsed = parse_code(code)
    assert kind in parsed.kinds
    assert parsed.year == 2026
    assert parsed.region == region4(region)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"kind": K.DIGITAL_ORDINARY}, "没有发票代码"),
        ({"kind": K.VAT_SPECIAL_PAPER, "length": 12}, "不能是12位"),
        ({"kind": K.VAT_ORDINARY_ELECTRONIC, "batch": 1000}, "批次必须是0至999"),
        ({"kind": K.VAT_SPECIAL_PAPER, "batch": 10}, "一位数字"),
        ({"kind": K.VAT_ORDINARY_ELECTRONIC, "year": 1999}, "年份1999超出范围"),
    ],
)
def test_build_code_refusals(kwargs: dict[str, object], message: str) -> None:
    arguments: dict[str, object] = {"region": "42", "year": 2026, "batch": 1, **kwargs}
    with pytest.raises(BadInvoiceCode, match=message):
        build_code(**arguments)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("12345", "10位或12位"),
        ("1100160511a", "10位或12位"),
        ("111001605111", "以0开头"),
        ("099001605111", "地区“9900”无效"),
    ],
)
def test_parse_code_refusals(code: str, message: str) -> None:
    with pytest.raises(BadInvoiceCode, match=message) as caught:
        parse_code(code, field="blue.code")
    assert caught.value.field == "blue.code"


def test_eight_digit_numbers() -> None:
    assert format_number(1) == "00000001"
    assert parse_number("80100798") == 80100798
    for bad in (0, 100_000_000):
        with pytest.raises(BadInvoiceNumber):
            format_number(bad)
    for text in ("1234567", "0000000a", "00000000"):
        with pytest.raises(BadInvoiceNumber):
            parse_number(text)


def test_real_digital_number() -> None:
    # 01,32,,23442000000014209621,112,20230215,,74AE (DOMAIN §2)
    number = parse_digital_number("23442000000014209621")
    assert (number.year, number.region, number.region_name) == (2023, "44", "广东")
    assert (number.channel, number.sequence) == ("2", 14209621)
    sample = parse_digital_number("25322000000365404822")  # samples/shudian-ordinary.xml
    assert (sample.year, sample.region_name, sample.sequence) == (2025, "江苏", 365404822)


def test_digital_number_refusals() -> None:
    with pytest.raises(BadInvoiceNumber, match="20位数字"):
        parse_digital_number("2344200000001420962")
    with pytest.raises(BadInvoiceNumber, match="地区“99”无效"):
        parse_digital_number("23992000000014209621")
    for kwargs in ({"region": "4403"}, {"channel": "x"}, {"sequence": 0}, {"sequence": 10**15}):
        arguments: dict[str, object] = {
            "year": 2026,
            "region": "42",
            "channel": "0",
            "sequence": 1,
            **kwargs,
        }
        with pytest.raises(BadInvoiceNumber):
            build_digital_number(**arguments)  # type: ignore[arg-type]


@given(
    year=st.integers(2000, 2099),
    region=st.sampled_from(sorted(PROVINCES)),
    channel=st.sampled_from("0123456789"),
    sequence=st.integers(1, 10**15 - 1),
)
def test_digital_numbers_round_trip(year: int, region: str, channel: str, sequence: int) -> None:
    number = build_digital_number(year=year, region=region, channel=channel, sequence=sequence)
    assert len(number) == 20
    parsed = parse_digital_number(number)
    assert (parsed.year, parsed.region, parsed.channel, parsed.sequence) == (
        year,
        region,
        channel,
        sequence,
    )


def test_regions() -> None:
    assert region_name("42") == "湖北"
    assert region_name("4201") == "湖北"
    assert region_name("2102") == "大连"
    assert region4("61") == "6100"
    for bad in ("99", "4", "abcd"):
        with pytest.raises(UnknownRegion):
            region_name(bad)
