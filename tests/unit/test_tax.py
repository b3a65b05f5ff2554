from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from fapiao.domain.money import quantize_fen
from fapiao.domain.rates import ALL_RATES, EXEMPT, R6, R9, R13, ZERO_RATE, TaxRate
from fapiao.domain.tax import (
    INVOICE_TAX_TOLERANCE_MESSAGE,
    AmountMismatch,
    DiscountError,
    LineError,
    LineInput,
    PriceMode,
    TaxMismatch,
    TaxTotalMismatch,
    compute_lines,
    tax_in,
    tax_of,
)

D = Decimal
STEEL = "3040201010000000000"
INCL, EXCL = PriceMode.INCLUSIVE, PriceMode.EXCLUSIVE


def line(**kwargs: object) -> LineInput:
    values: dict[str, object] = {
        "name": "螺纹钢",
        "rate": R13,
        "tax_code": STEEL,
        "short_name": "黑色金属冶炼压延品",
        **kwargs,
    }
    return LineInput(**values)  # type: ignore[arg-type]


def test_real_digital_special_invoice_entered_tax_inclusive() -> None:
    # samples/shudian-special.pdf: two lines of rebar at 4056/t including 13 % tax.
    computed = compute_lines(
        [
            line(quantity=D("7.44"), unit_price=D("4056"), spec="HRB400φ16E", unit="吨"),
            line(quantity=D("24.28"), unit_price=D("4056"), spec="HRB400φ22E 12m", unit="吨"),
        ],
        mode=INCL,
    )
    first, second = computed.lines
    assert (first.amount, first.tax, first.unit_price) == (
        D("26704.99"),
        D("3471.65"),
        D("3589.38053097345"),
    )
    assert (second.amount, second.tax, second.unit_price) == (
        D("87150.16"),
        D("11329.52"),
        D("3589.38053097345"),
    )
    assert first.display_name == "*黑色金属冶炼压延品*螺纹钢"
    totals = computed.totals
    assert (totals.amount, totals.tax, totals.total) == (
        D("113855.15"),
        D("14801.17"),
        D("128656.32"),
    )
    assert [(r.rate, r.amount, r.tax) for r in totals.by_rate] == [
        (R13, D("113855.15"), D("14801.17"))
    ]


REAL_E_ORDINARY = [  # samples/e-ordinary.pdf: a shaver, its discount, a service fee
    ("剃须刀", "119", "1", False),
    ("剃须刀", "-16", None, True),
    ("退换无忧服务费", "0.5", "1", False),
]


def test_real_e_ordinary_with_discount_line_both_entry_modes() -> None:
    inclusive = compute_lines(
        [
            line(
                name=n,
                amount=D(a),
                quantity=D(q) if q else None,
                discount=d,
                tax_code="1090511010000000000" if n != "退换无忧服务费" else "3049900000000000000",
            )
            for n, a, q, d in REAL_E_ORDINARY
        ],
        mode=INCL,
    )
    assert [(x.amount, x.tax) for x in inclusive.lines] == [
        (D("105.31"), D("13.69")),
        (D("-14.16"), D("-1.84")),
        (D("0.44"), D("0.06")),
    ]
    assert (inclusive.totals.amount, inclusive.totals.tax, inclusive.totals.total) == (
        D("91.59"),
        D("11.91"),
        D("103.50"),
    )
    exclusive = compute_lines(
        [
            line(amount=D("105.31"), quantity=D(1), unit_price=D("105.31")),
            line(amount=D("-14.16"), discount=True),
            line(
                amount=D("0.44"),
                quantity=D(1),
                unit_price=D("0.44"),
                tax_code="3049900000000000000",
            ),
        ],
        mode=EXCL,
    )
    assert [(x.amount, x.tax) for x in exclusive.lines] == [
        (D("105.31"), D("13.69")),
        (D("-14.16"), D("-1.84")),
        (D("0.44"), D("0.06")),
    ]
    assert exclusive.totals.total == D("103.50")


def test_real_digital_ordinary_training_fee() -> None:
    # samples/shudian-ordinary.xml: 培训费 250 including 6 %.
    computed = compute_lines(
        [line(name="培训费", rate=R6, amount=D("250.00"), quantity=D(1))], mode=INCL
    )
    only = computed.lines[0]
    assert (only.amount, only.tax, only.total) == (D("235.85"), D("14.15"), D("250.00"))
    assert only.unit_price == D("235.849056603774")


def test_exclusive_entry_variants() -> None:
    by_price = compute_lines([line(quantity=D(3), unit_price=D("33.333"))]).lines[0]
    assert (by_price.amount, by_price.tax) == (D("100.00"), D("13.00"))
    by_quantity = compute_lines([line(amount=D("100.00"), quantity=D(3))]).lines[0]
    assert by_quantity.unit_price == D("33.3333333333333")
    by_unit_price = compute_lines([line(amount=D("100.00"), unit_price=D(8))]).lines[0]
    assert by_unit_price.quantity == D("12.5")
    at_tolerance = compute_lines(
        [line(amount=D("100.00"), quantity=D(3), unit_price=D("33.33"))]
    ).lines[0]
    assert (at_tolerance.amount, at_tolerance.unit_price) == (D("100.00"), D("33.33"))
    amount_only = compute_lines([line(amount=D("100.00"))]).lines[0]
    assert (amount_only.quantity, amount_only.unit_price, amount_only.tax) == (
        None,
        None,
        D("13.00"),
    )


def test_caller_tax_within_tolerance_is_kept() -> None:
    kept = compute_lines([line(amount=D("100.00"), tax=D("13.05"))]).lines[0]
    assert kept.tax == D("13.05")
    assert compute_lines([line(amount=D("100.00"), tax=D("12.95"))]).totals.total == D("112.95")


def test_inclusive_with_caller_tax() -> None:
    kept = compute_lines([line(amount=D("113.00"), tax=D("13.01"))], mode=INCL).lines[0]
    assert (kept.amount, kept.tax) == (D("99.99"), D("13.01"))


@pytest.mark.parametrize(
    ("item", "error", "field", "message"),
    [
        (
            line(amount=D("100.00"), quantity=D(3), unit_price=D("33.32")),
            AmountMismatch,
            "lines.0.amount",
            "第1行：金额100.00与单价×数量99.96相差超过0.01元",
        ),
        (
            line(quantity=D(3)),
            LineError,
            "lines.0.amount",
            "第1行：请填写金额，或同时填写单价和数量",
        ),
        (
            line(amount=D("100.00"), tax=D("13.07")),
            TaxMismatch,
            "lines.0.tax",
            "第1行：税额13.07与金额×税率13.00相差超过0.06元",
        ),
        (
            line(amount=D("100.00"), rate=EXEMPT, tax=D("0.01")),
            TaxMismatch,
            "lines.0.tax",
            "第1行：免税的税额必须为0",
        ),
        (line(amount=D("-100.00")), LineError, "lines.0.amount", "第1行：金额必须大于0"),
        (line(amount=D("0.00")), LineError, "lines.0.amount", "第1行：金额必须大于0"),
        (
            line(amount=D("10.00"), quantity=D(-1)),
            LineError,
            "lines.0.quantity",
            "第1行：数量必须大于0",
        ),
        (
            line(quantity=D(1), unit_price=D(-1)),
            LineError,
            "lines.0.unit_price",
            "第1行：单价必须大于0",
        ),
        (line(amount=D("-0.40"), tax=D("0.01"), rate=R13), TaxMismatch, "lines.0.tax", "正负"),
    ],
)
def test_line_refusals_name_line_and_field(
    item: LineInput, error: type[Exception], field: str, message: str
) -> None:
    items = [item]
    if "正负" in message:  # a negative line is only legal on a red invoice
        with pytest.raises(error, match=message) as caught:
            compute_lines(items, red=True)
    else:
        with pytest.raises(error, match=message) as caught:
            compute_lines(items)
    assert caught.value.field == field  # type: ignore[attr-defined]


def test_errors_count_lines_from_one() -> None:
    with pytest.raises(LineError, match=r"^第3行") as caught:
        compute_lines([line(amount=D(1)), line(amount=D(2)), line(amount=D(0))])
    assert caught.value.field == "lines.2.amount"  # type: ignore[attr-defined]


def test_invoice_tax_deviation_over_1_27_is_refused() -> None:
    # each line deviates by 0.05 (allowed per line); 26 lines → 1.30 in all
    items = [line(amount=D("100.00"), tax=D("13.05"))] * 26
    with pytest.raises(TaxTotalMismatch) as caught:
        compute_lines(items)
    assert (
        caught.value.message == INVOICE_TAX_TOLERANCE_MESSAGE == "税额总误差大于1.27元,建议拆分开票"
    )
    assert compute_lines(items[:25]).totals.tax == D("326.25")


@pytest.mark.parametrize(
    ("items", "red", "field", "message"),
    [
        ([line(amount=D("-5"), discount=True)], False, "lines.0.discount", "紧跟在被折扣行之后"),
        (
            [
                line(amount=D(10)),
                line(amount=D(-1), discount=True),
                line(amount=D(-1), discount=True),
            ],
            False,
            "lines.2.discount",
            "紧跟在被折扣行之后",
        ),
        (
            [line(amount=D(10)), line(amount=D(-1), quantity=D(1), discount=True)],
            False,
            "lines.1.quantity",
            "不能填写单价、数量",
        ),
        (
            [line(amount=D(10)), line(amount=D(-1), unit="吨", discount=True)],
            False,
            "lines.1.unit",
            "不能填写单价、数量",
        ),
        (
            [line(amount=D(10)), line(amount=D(1), discount=True)],
            False,
            "lines.1.amount",
            "金额必须为负数",
        ),
        (
            [line(amount=D(10)), line(amount=D(-1), rate=R9, discount=True)],
            False,
            "lines.1.rate",
            "税率和税收分类编码必须与被折扣行一致",
        ),
        (
            [line(amount=D(10)), line(amount=D(-1), tax_code="1010101010000000000", discount=True)],
            False,
            "lines.1.rate",
            "税率和税收分类编码必须与被折扣行一致",
        ),
        (
            [line(amount=D(10)), line(amount=D("-10.01"), discount=True)],
            False,
            "lines.1.amount",
            "折扣金额不能超过被折扣行的金额",
        ),
        (
            [line(amount=D(-10)), line(amount=D(-1), discount=True)],
            True,
            "lines.1.discount",
            "红字发票不能有折扣行",
        ),
    ],
)
def test_discount_line_rules(items: list[LineInput], red: bool, field: str, message: str) -> None:
    with pytest.raises(DiscountError, match=message) as caught:
        compute_lines(items, red=red)
    assert caught.value.field == field


def test_full_discount_is_allowed() -> None:
    computed = compute_lines([line(amount=D(10)), line(amount=D(-10), discount=True)])
    assert computed.totals.total == D(0)


def test_red_lines_mirror_blue_lines() -> None:
    blue = compute_lines([line(quantity=D("7.44"), unit_price=D("4056"))], mode=INCL)
    red = compute_lines([line(quantity=D("-7.44"), unit_price=D("4056"))], mode=INCL, red=True)
    assert red.totals.amount == -blue.totals.amount
    assert red.totals.tax == -blue.totals.tax
    assert red.lines[0].unit_price == blue.lines[0].unit_price
    with pytest.raises(LineError, match="红字发票的金额必须为负数"):
        compute_lines([line(amount=D(1))], red=True)
    with pytest.raises(LineError, match="红字发票的数量必须为负数"):
        compute_lines([line(amount=D(-1), quantity=D(1))], red=True)


def test_zero_kind_rates_have_no_tax() -> None:
    computed = compute_lines(
        [line(amount=D("100.00"), rate=ZERO_RATE), line(amount=D("50.00"), rate=EXEMPT)]
    )
    assert computed.totals.tax == D(0)
    assert computed.totals.total == D("150.00")
    assert [r.rate for r in computed.totals.by_rate] == [ZERO_RATE, EXEMPT]


def test_tax_helpers_round_half_up() -> None:
    assert tax_of(D("0.50"), R9) == D("0.05")  # 0.045 → 0.05, not banker's 0.04
    assert tax_in(D("113.00"), R13) == D("13.00")


money = st.decimals(min_value=D("0.01"), max_value=D("9999999.99"), places=2)
quantities = st.decimals(min_value=D("0.001"), max_value=D("100000"), places=3)
taxable = list(ALL_RATES)


@st.composite
def lines(draw: st.DrawFn) -> LineInput:
    rate: TaxRate = draw(st.sampled_from(taxable))
    if draw(st.booleans()):
        return line(amount=draw(money), rate=rate)
    quantity = draw(quantities)
    price = draw(st.decimals(min_value=D("0.01"), max_value=D("99999"), places=4))
    assume(quantize_fen(quantity * price) > 0)
    return line(quantity=quantity, unit_price=price, rate=rate)


@given(st.lists(lines(), min_size=1, max_size=12), st.sampled_from(list(PriceMode)))
def test_amounts_plus_taxes_equal_the_total_exactly(
    items: list[LineInput], mode: PriceMode
) -> None:
    computed = compute_lines(items, mode=mode)
    totals = computed.totals
    assert sum((x.amount for x in computed.lines), D(0)) == totals.amount
    assert sum((x.tax for x in computed.lines), D(0)) == totals.tax
    assert totals.amount + totals.tax == totals.total
    assert sum((r.amount + r.tax for r in totals.by_rate), D(0)) == totals.total
    for item in computed.lines:
        assert item.amount == quantize_fen(item.amount)
        assert item.tax == quantize_fen(item.tax)


@given(money, st.sampled_from(taxable))
def test_inclusive_and_exclusive_agree_within_tolerance(gross: Decimal, rate: TaxRate) -> None:
    inclusive = compute_lines([line(amount=gross, rate=rate)], mode=INCL).lines[0]
    assert inclusive.total == gross
    # the same line entered as its exclusive amount gives back the gross within the tolerance
    exclusive = compute_lines([line(amount=inclusive.amount, rate=rate)], mode=EXCL).lines[0]
    assert exclusive.amount == inclusive.amount
    assert abs(exclusive.tax - inclusive.tax) <= D("0.01")
    assert abs(inclusive.tax - inclusive.amount * rate.value) <= D("0.06")
