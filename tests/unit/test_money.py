from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fapiao.domain.money import (
    NotANumber,
    TooPrecise,
    decimals,
    format_money,
    format_plain,
    parse_money,
    parse_price,
    quantize_fen,
    round_price,
    significant_digits,
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0.125", "0.13"),
        ("0.135", "0.14"),
        ("2.675", "2.68"),
        ("-0.125", "-0.13"),
        ("1.004", "1.00"),
        ("1.005", "1.01"),
        ("0", "0.00"),
        ("99999.995", "100000.00"),
    ],
)
def test_quantize_fen_rounds_half_up_not_to_even(value: str, expected: str) -> None:
    assert quantize_fen(Decimal(value)) == Decimal(expected)
    assert str(quantize_fen(Decimal(value))) == expected


def test_builtin_round_would_be_wrong_here() -> None:
    # The reason quantize_fen exists: round() is half-even.
    assert round(Decimal("0.125"), 2) == Decimal("0.12")
    assert quantize_fen(Decimal("0.125")) == Decimal("0.13")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Decimal("250") / Decimal("1.06"), "235.849056603774"),
        (Decimal("4056") / Decimal("1.13"), "3589.38053097345"),
        (Decimal("1") / Decimal("3"), "0.3333333333333"),
        (Decimal("0.00012345") / Decimal("7"), "0.0000176357143"),
        (Decimal("123456789012345.678"), "123456789012346"),
        (Decimal("2.50"), "2.5"),
        (Decimal("1000"), "1000"),
        (Decimal(0), "0"),
    ],
)
def test_round_price_keeps_13_decimals_and_15_significant_digits(
    value: Decimal, expected: str
) -> None:
    rounded = round_price(value)
    assert format_plain(rounded) == expected
    assert decimals(rounded) <= 13
    assert significant_digits(rounded) <= 15


def test_parse_money_reads_text_and_integers() -> None:
    assert parse_money("1,234.5", field="f", label="金额") == Decimal("1234.50")
    assert parse_money(12, field="f", label="金额") == Decimal("12.00")
    assert parse_money(Decimal("-3.1"), field="f", label="金额") == Decimal("-3.10")


@pytest.mark.parametrize("value", [1.5, True, "abc", "NaN", "Infinity", None, [1]])
def test_parse_money_refuses_floats_and_non_numbers(value: object) -> None:
    with pytest.raises(NotANumber) as caught:
        parse_money(value, field="lines.0.amount", label="金额")
    assert caught.value.field == "lines.0.amount"
    assert "金额" in caught.value.message


def test_parse_money_refuses_fractions_of_a_fen_and_huge_amounts() -> None:
    with pytest.raises(TooPrecise, match="金额最多保留两位小数"):
        parse_money("1.001", field="f", label="金额")
    with pytest.raises(TooPrecise, match="超出允许的范围"):
        parse_money("1e16", field="f", label="金额")


def test_parse_price_limits() -> None:
    assert parse_price("3589.38053097345", field="p", label="单价") == Decimal("3589.38053097345")
    assert parse_price("2.500", field="p", label="单价") == Decimal("2.5")
    assert str(parse_price("1E+3", field="p", label="单价")) == "1000"
    with pytest.raises(TooPrecise, match="单价最多保留13位小数"):
        parse_price("0.12345678901234", field="p", label="单价")
    with pytest.raises(TooPrecise, match="单价最多15位有效数字"):
        parse_price("1234.123456789012", field="p", label="单价")


def test_formats() -> None:
    assert format_money(Decimal("1409.5")) == "1409.50"
    assert format_money(Decimal("-12")) == "-12.00"
    assert format_plain(Decimal("112.00")) == "112"
    assert format_plain(Decimal("476.60")) == "476.6"
    assert format_plain(Decimal("0.00")) == "0"
    assert format_plain(Decimal("1E+2")) == "100"


@given(st.decimals(min_value=-(10**12), max_value=10**12, places=6, allow_nan=False))
def test_quantize_fen_is_within_half_a_fen_and_symmetric(value: Decimal) -> None:
    rounded = quantize_fen(value)
    assert abs(rounded - value) <= Decimal("0.005")
    assert quantize_fen(-value) == -rounded


def _digits_of(text: str) -> tuple[int, int]:
    """Decimals and significant digits of a plain decimal string, counted on the text."""
    whole, _, fraction = text.lstrip("-").partition(".")
    fraction = fraction.rstrip("0")
    digits = (whole + fraction).lstrip("0")
    if not fraction:
        digits = digits.rstrip("0") + "0" * (len(whole.lstrip("0")) - len(digits.rstrip("0")))
    return len(fraction), max(len(digits), 1)


@given(
    st.integers(min_value=0, max_value=10**20),
    st.integers(min_value=0, max_value=10**35),
    st.integers(min_value=0, max_value=35),
)
def test_price_and_quantity_follow_one_rule_at_any_length(
    whole: int, fraction: int, width: int
) -> None:
    """≤ 13 decimals and ≤ 15 significant digits, else refused: never rounded silently, however
    many digits are given (beyond Decimal's 28-digit context too)."""
    text = f"{whole}.{fraction:0{width}d}" if width else str(whole)
    places, digits = _digits_of(text)
    if Decimal(text) == 0:
        return
    if places <= 13 and digits <= 15:
        for label in ("单价", "数量"):
            assert parse_price(text, field="f", label=label) == Decimal(text)
    else:
        for label in ("单价", "数量"):
            with pytest.raises(TooPrecise):
                parse_price(text, field="f", label=label)


def test_thirty_decimals_are_refused_not_rounded() -> None:
    with pytest.raises(TooPrecise, match="最多保留13位小数"):
        parse_price("1." + "0" * 29 + "1", field="unit_price", label="单价")
    with pytest.raises(TooPrecise, match="最多保留两位小数"):
        parse_money("1." + "0" * 30 + "1", field="amount", label="金额")
    assert parse_price("3589.38053097345000000000000000000", field="f", label="单价") == Decimal(
        "3589.38053097345"
    )
