from __future__ import annotations

from decimal import Decimal

import cn2an
import pytest
from hypothesis import given
from hypothesis import strategies as st

from fapiao.domain.words import (
    DIGITS,
    AmountTooLarge,
    BadAmountWords,
    amount_in_words,
    words_to_amount,
)

EXAMPLES = [
    ("1409.50", "壹仟肆佰零玖圆伍角"),
    ("6007.14", "陆仟零柒圆壹角肆分"),
    ("100.00", "壹佰圆整"),
    ("0.05", "伍分"),
    ("1680.32", "壹仟陆佰捌拾圆零叁角贰分"),
    ("250.00", "贰佰伍拾圆整"),  # samples/shudian-ordinary.xml
    ("0.00", "零圆整"),
    ("0.50", "伍角"),
    ("10.05", "壹拾圆零伍分"),
    ("1680.02", "壹仟陆佰捌拾圆零贰分"),
    ("100010.00", "壹拾万零壹拾圆整"),
    ("100000001.00", "壹亿零壹圆整"),
    ("1000000000.00", "壹拾亿圆整"),
    ("20000000000000.00", "贰拾万亿圆整"),
    ("-100.00", "（负数）壹佰圆整"),
    ("-1409.50", "（负数）壹仟肆佰零玖圆伍角"),
]


@pytest.mark.parametrize(("amount", "words"), EXAMPLES)
def test_examples(amount: str, words: str) -> None:
    assert amount_in_words(Decimal(amount)) == words
    assert words_to_amount(words) == Decimal(amount)


def test_reading_accepts_yuan_and_variants() -> None:
    assert words_to_amount("壹佰元整") == Decimal("100.00")
    assert words_to_amount("壹佰元正") == Decimal("100.00")
    assert words_to_amount("(负数)伍角") == Decimal("-0.50")
    assert words_to_amount("拾圆整") == Decimal("10.00")


@pytest.mark.parametrize("text", ["", "壹佰美元", "壹佰圆伍", "壹佰圆叁肆角", "整"])
def test_reading_refuses_what_is_not_an_amount(text: str) -> None:
    with pytest.raises(BadAmountWords):
        words_to_amount(text)


def test_too_large() -> None:
    with pytest.raises(AmountTooLarge):
        amount_in_words(Decimal("10000000000000000"))


def oracle(words: str) -> Decimal:
    """An independent reading: cn2an for the 圆 part, the digit table for 角 and 分."""
    negative = words.startswith("（负数）")
    words = words.removeprefix("（负数）").removesuffix("整")
    yuan, _, cents = words.rpartition("圆")
    value = Decimal(cn2an.cn2an(yuan, "normal")) if yuan else Decimal(0)
    cents = cents.lstrip("零")
    for unit, scale in (("角", Decimal("0.1")), ("分", Decimal("0.01"))):
        if unit in cents:
            digit, _, cents = cents.partition(unit)
            value += DIGITS.index(digit.lstrip("零")) * scale
    return -value if negative else value


@given(
    st.decimals(min_value=Decimal("-99999999999.99"), max_value=Decimal("99999999999.99"), places=2)
)
def test_every_amount_reads_back_the_same_through_cn2an(amount: Decimal) -> None:
    words = amount_in_words(amount)
    assert oracle(words) == amount
    assert words_to_amount(words) == amount
    assert "零零" not in words
    assert not words.endswith("零")
