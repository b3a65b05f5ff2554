from __future__ import annotations

from decimal import Decimal

import pytest

from fapiao.domain.rates import (
    ALL_RATES,
    EXEMPT,
    NON_TAXABLE,
    R1,
    R1_5,
    R3,
    R6,
    R13,
    RATES_BY_TAXPAYER,
    ZERO_RATE,
    RateNotAllowed,
    TaxpayerKind,
    UnknownRate,
    check_rate_allowed,
    parse_rate,
)


@pytest.mark.parametrize(
    ("text", "rate"),
    [
        ("0.13", R13),
        ("13%", R13),
        ("13", R13),
        (" 13.00% ", R13),
        ("0.06", R6),
        ("6%", R6),
        ("1.5%", R1_5),
        ("0.015", R1_5),
        ("1.5", R1_5),
        ("0.01", R1),
        ("0", ZERO_RATE),
        ("0%", ZERO_RATE),
        ("零税率", ZERO_RATE),
        ("免税", EXEMPT),
        ("exempt", EXEMPT),
        ("不征税", NON_TAXABLE),
        ("non_taxable", NON_TAXABLE),
        (R3, R3),
    ],
)
def test_parse_rate(text: object, rate: object) -> None:
    assert parse_rate(text) == rate


@pytest.mark.parametrize("text", ["17%", "0.17", "abc", "", "-3%", "NaN", 0.13])
def test_parse_rate_refuses_what_does_not_exist(text: object) -> None:
    with pytest.raises(UnknownRate) as caught:
        parse_rate(text, field="lines.0.rate")
    assert caught.value.field == "lines.0.rate"


def test_labels_and_keys() -> None:
    assert [r.label for r in ALL_RATES] == [
        "13%",
        "9%",
        "6%",
        "5%",
        "3%",
        "1.5%",
        "1%",
        "0%",
        "免税",
        "不征税",
    ]
    assert {parse_rate(r.key) for r in ALL_RATES} == set(ALL_RATES)
    assert EXEMPT.value == NON_TAXABLE.value == ZERO_RATE.value == Decimal(0)
    assert EXEMPT != ZERO_RATE
    assert [r.is_zero_kind for r in (R13, ZERO_RATE, EXEMPT, NON_TAXABLE)] == [
        False,
        True,
        True,
        True,
    ]


def test_rates_by_taxpayer_kind() -> None:
    general = RATES_BY_TAXPAYER[TaxpayerKind.GENERAL]
    small = RATES_BY_TAXPAYER[TaxpayerKind.SMALL]
    assert R13 in general and R13 not in small
    assert R1 in small and R1 not in general
    for special in (ZERO_RATE, EXEMPT, NON_TAXABLE):
        assert special in general and special in small
    with pytest.raises(RateNotAllowed, match="小规模纳税人不能使用13%税率"):
        check_rate_allowed(R13, TaxpayerKind.SMALL, field="lines.0.rate")
    check_rate_allowed(R3, TaxpayerKind.SMALL, field="lines.0.rate")
    assert TaxpayerKind.SMALL.label == "小规模纳税人"
