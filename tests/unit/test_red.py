"""Red-letter lines mirrored from the blue invoice (DOMAIN §6)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fapiao.domain.channels import ChannelRefused, validate_device_number
from fapiao.domain.invoice import Draft, Party, validate_draft
from fapiao.domain.kinds import InvoiceKind
from fapiao.domain.rates import R6, R13, TaxpayerKind
from fapiao.domain.red import (
    Pick,
    RedLineError,
    Used,
    confirmation_number,
    info_table_number,
    red_inputs,
    red_remarks,
)
from fapiao.domain.tax import LineInput, compute_lines

D = Decimal

BLUE = compute_lines(
    [
        LineInput("螺纹钢", R13, quantity=D("7.44"), unit_price=D("3589.38053097345"),
                  tax_code="1080206010000000000", short_name="黑色金属冶炼压延品", unit="吨"),
        LineInput("软件开发服务", R6, amount=D("1000.00"), tax_code="3040201010000000000",
                  short_name="信息技术服务"),
        LineInput("软件开发服务", R6, amount=D("-100.00"), tax_code="3040201010000000000",
                  short_name="信息技术服务", discount=True),
    ]
).lines  # fmt: skip
SELLER = Party("无锡市安协安全培训中心", "52320200509244470T")
BUYER = Party("江苏苏豪天鹏农产品集团有限公司", "9132020013590404XW")


def validated(pairs: tuple[tuple[int, LineInput], ...]) -> D:
    draft = Draft(
        kind=InvoiceKind.VAT_ORDINARY_ELECTRONIC,
        seller=SELLER,
        buyer=BUYER,
        lines=[line for _, line in pairs],
        red=True,
    )
    totals = validate_draft(draft, taxpayer_kind=TaxpayerKind.GENERAL).totals
    return totals.amount + totals.tax


def test_full_red_mirrors_every_line_and_folds_the_discount() -> None:
    pairs = red_inputs(BLUE, picks=None, used={})
    assert [index for index, _ in pairs] == [0, 2 - 1]
    steel, software = (line for _, line in pairs)
    assert (steel.amount, steel.tax, steel.quantity) == (D("-26704.99"), D("-3471.65"), D("-7.44"))
    assert steel.unit_price == D("3589.38053097345")
    assert (software.amount, software.tax) == (D("-900.00"), D("-54.00"))
    blue_total = sum((line.amount + line.tax for line in BLUE), D(0))
    assert validated(pairs) == -blue_total


def test_partial_by_quantity_and_by_amount() -> None:
    pairs = red_inputs(BLUE, picks=[Pick(0, quantity=D("2")), Pick(1, amount=D("300.00"))], used={})
    (_, steel), (_, software) = pairs
    assert (steel.amount, steel.tax, steel.quantity) == (D("-7178.76"), D("-933.24"), D("-2"))
    assert (software.amount, software.tax, software.quantity) == (D("-300.00"), D("-18.00"), None)
    validated(pairs)


def test_the_rest_of_a_line_after_earlier_reds_is_exact() -> None:
    used = {0: Used(D("7178.76"), D("933.24"), D("2"))}
    (_, rest), = red_inputs(BLUE, picks=[Pick(0, quantity=D("5.44"))], used=used)  # fmt: skip
    assert (rest.amount, rest.tax) == (D("-19526.23"), D("-2538.41"))
    (_, same), = red_inputs(BLUE, picks=[Pick(0)], used=used)  # fmt: skip
    assert (same.amount, same.tax, same.quantity) == (rest.amount, rest.tax, D("-5.44"))


@pytest.mark.parametrize(
    ("picks", "used", "field", "message"),
    [
        ([Pick(0, quantity=D("8"))], {}, "lines.0.quantity", "不超过剩余数量7.44"),
        ([Pick(0, quantity=D("0"))], {}, "lines.0.quantity", "应大于0"),
        ([Pick(1, quantity=D("1"))], {}, "lines.1.quantity", "没有数量"),
        ([Pick(1, amount=D("900.01"))], {}, "lines.1.amount", "不超过剩余金额900.00"),
        ([Pick(2)], {}, "lines.2.index", "折扣行随被折扣行红冲"),
        ([Pick(7)], {}, "lines.7.index", "没有第8行"),
        ([Pick(1), Pick(1)], {}, "lines.1.index", "重复"),
        ([Pick(1)], {1: Used(D("900.00"), D("54.00"))}, "lines.1.amount", "已无可红冲金额"),
        ([], {}, "lines", "没有可红冲的明细"),
    ],
)
def test_refusals_name_the_line(
    picks: list[Pick], used: dict[int, Used], field: str, message: str
) -> None:
    with pytest.raises(RedLineError, match=message) as caught:
        red_inputs(BLUE, picks=picks, used=used)
    assert caught.value.field == field


def test_nothing_left_to_red() -> None:
    used = {0: Used(D("26704.99"), D("3471.65"), D("7.44")), 1: Used(D("900"), D("54"))}
    with pytest.raises(RedLineError, match="没有可红冲的明细"):
        red_inputs(BLUE, picks=None, used=used)


@given(st.lists(st.integers(min_value=1, max_value=743), min_size=1, max_size=6))
def test_partial_reds_never_exceed_the_blue_line(steps: list[int]) -> None:
    """Red the steel line in quantity steps (hundredths of a ton): the last step takes the exact
    rest, and the reds never add up to more than the line."""
    used = Used()
    for step in steps:
        left = D("7.44") - used.quantity
        if left <= 0:
            break
        quantity = min(D(step) / 100, left)
        pairs = red_inputs(BLUE, picks=[Pick(0, quantity=quantity)], used={0: used})
        line = pairs[0][1]
        assert line.amount is not None and line.tax is not None and line.quantity is not None
        used = Used(used.amount - line.amount, used.tax - line.tax, used.quantity - line.quantity)
        assert used.amount <= D("26704.99") and used.tax <= D("3471.65")
    if used.quantity == D("7.44"):
        assert (used.amount, used.tax) == (D("26704.99"), D("3471.65"))


def test_remarks_name_the_blue_invoice_and_the_form() -> None:
    paper = red_remarks(
        blue_code="032002600111", blue_number="00001001", form_number="", digital=False
    )
    assert paper == "对应正数发票代码:032002600111号码:00001001"
    special = red_remarks(
        blue_code="", blue_number="00001001", form_number="6618071051600001", digital=False
    )
    assert special == "开具红字增值税专用发票信息表编号6618071051600001"
    digital = red_remarks(
        blue_code="", blue_number="26320000000000000001", form_number="32260000000000000001",
        digital=True,
    )  # fmt: skip
    assert digital == (
        "被红冲蓝字数电发票号码：26320000000000000001 红字发票信息确认单编号：32260000000000000001"
    )
    assert red_remarks(blue_code="", blue_number="2632", form_number="", digital=True) == (
        "被红冲蓝字数电发票号码：2632"
    )


def test_form_numbers() -> None:
    assert info_table_number("661807105160", 1) == "6618071051600001"
    assert len(info_table_number("661807105160", 9999)) == 16
    with pytest.raises(RedLineError, match="已用完"):
        info_table_number("661807105160", 10_000)
    with pytest.raises(ChannelRefused, match="12位数字"):
        info_table_number("66180710516", 1)
    assert confirmation_number(region="32", year=2026, sequence=1) == "32260000000000000001"
    with pytest.raises(RedLineError, match="地区代码"):
        confirmation_number(region="3", year=2026, sequence=1)
    with pytest.raises(RedLineError, match="已用完"):
        confirmation_number(region="32", year=2026, sequence=10**16)
    assert validate_device_number(" 661807105160 ") == "661807105160"
