"""超限额拆分 and 合并: the split invoices add up to the original to the 分, each is within the
limit and passes the tax math; merged lines keep the totals."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from fapiao.domain.money import ZERO
from fapiao.domain.rates import R6, R9, R13
from fapiao.domain.splitting import SplitRefused, merge_lines, split_lines
from fapiao.domain.tax import LineInput, PriceMode, compute_lines

D = Decimal
CODE = "3040201010000000000"


def entered(**kwargs: object) -> LineInput:
    values: dict[str, object] = {
        "name": "螺纹钢",
        "rate": R13,
        "tax_code": CODE,
        "short_name": "黑色金属冶炼压延品",
        **kwargs,
    }
    return LineInput(**values)  # type: ignore[arg-type]


def issued(parts: list[LineInput]) -> tuple[Decimal, Decimal]:
    """The totals of a split invoice as issuing computes them (tax-exclusive, figures named)."""
    computed = compute_lines(parts, mode=PriceMode.EXCLUSIVE)
    return computed.totals.amount, computed.totals.tax


def test_a_line_over_the_limit_is_cut_by_whole_units() -> None:
    # 300 t at 4,056 incl. 13 %: 1,076,814.16 excluding tax, over a 十万元版 limit
    computed = compute_lines(
        [entered(quantity=D("300"), unit_price=D("4056"), unit="吨")], mode=PriceMode.INCLUSIVE
    )
    invoices = split_lines(computed.lines, D("99999.99"))
    quantities = [part.line.quantity for invoice in invoices for part in invoice]
    assert sum(quantities, D(0)) == 300
    assert all(q == q.to_integral_value() for q in quantities if q is not None)
    # 27 t (96,913.27 excluding tax) per invoice: 11 × 27 = 297 t, then the last 3 t
    assert len(invoices) == 12
    assert quantities == [D(27)] * 11 + [D(3)]
    amounts = [issued([p.line for p in invoice]) for invoice in invoices]
    assert all(amount <= D("99999.99") for amount, _ in amounts)
    assert sum(a for a, _ in amounts) == computed.totals.amount
    assert sum(t for _, t in amounts) == computed.totals.tax


def test_lines_that_fit_stay_whole_and_in_order() -> None:
    computed = compute_lines(
        [
            entered(amount=D("60000")),
            entered(amount=D("30000")),
            entered(amount=D("20000"), rate=R6),
        ]
    )
    invoices = split_lines(computed.lines, D("99999.99"))
    assert [[part.source for part in invoice] for invoice in invoices] == [[0, 1], [2]]


def test_a_discount_stays_with_its_line() -> None:
    computed = compute_lines(
        [
            entered(amount=D("60000")),
            entered(amount=D("50000")),
            entered(amount=D("-5000"), tax=D("-650"), discount=True),
        ]
    )
    invoices = split_lines(computed.lines, D("99999.99"))
    assert [[part.source for part in invoice] for invoice in invoices] == [[0], [1, 2]]
    for invoice in invoices:
        issued([part.line for part in invoice])  # a discount line after its line: accepted


def test_a_discounted_line_over_the_limit_is_refused_naming_it() -> None:
    computed = compute_lines(
        [
            entered(amount=D("200000")),
            entered(amount=D("-1000"), tax=D("-130"), discount=True),
        ]
    )
    with pytest.raises(SplitRefused) as refused:
        split_lines(computed.lines, D("99999.99"))
    assert refused.value.field == "lines.0.amount"
    assert "第1行" in refused.value.message


def test_a_price_above_the_limit_cannot_be_cut_by_quantity() -> None:
    computed = compute_lines([entered(quantity=D("2"), unit_price=D("150000"))])
    with pytest.raises(SplitRefused) as refused:
        split_lines(computed.lines, D("99999.99"))
    assert refused.value.field == "lines.0.unit_price"


money = st.decimals(min_value=D("0.01"), max_value=D("500000"), places=2)
rates = st.sampled_from([R13, R9, R6])


@st.composite
def invoices(draw: st.DrawFn) -> list[LineInput]:
    lines = []
    for _ in range(draw(st.integers(1, 8))):
        rate = draw(rates)
        if draw(st.booleans()):
            quantity = D(draw(st.integers(1, 5000)))
            price = draw(st.decimals(min_value=D("0.5"), max_value=D("9000"), places=2))
            lines.append(entered(quantity=quantity, unit_price=price, rate=rate))
        else:
            lines.append(entered(amount=draw(money), rate=rate))
    return lines


@settings(max_examples=300, deadline=None)
@given(
    invoices(),
    st.sampled_from(list(PriceMode)),
    st.decimals(min_value=D("10000"), max_value=D("1000000"), places=2),
)
def test_split_invoices_add_up_to_the_original_to_the_fen(
    lines: list[LineInput], mode: PriceMode, limit: Decimal
) -> None:
    computed = compute_lines(lines, mode=mode)
    try:
        split = split_lines(computed.lines, limit)
    except SplitRefused:
        # only a price above the limit cannot be cut
        assert any(
            line.unit_price is not None and line.unit_price > limit for line in computed.lines
        )
        return
    amount = tax = ZERO
    for invoice in split:
        part_amount, part_tax = issued([part.line for part in invoice])
        assert part_amount <= limit
        amount += part_amount
        tax += part_tax
    assert (amount, tax) == (computed.totals.amount, computed.totals.tax)
    if computed.totals.amount <= limit:
        assert len(split) == 1
    # every line of the original is in the split, in order
    sources = [part.source for invoice in split for part in invoice]
    assert sorted(set(sources)) == list(range(len(lines)))
    assert sources == sorted(sources)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["钢", "铁"]), st.integers(1, 50), st.sampled_from([D("3.5"), D("12")])
        ),
        min_size=1,
        max_size=10,
    )
)
def test_merged_lines_keep_the_totals(rows: list[tuple[str, int, Decimal]]) -> None:
    lines = [entered(name=name, quantity=D(q), unit_price=price) for name, q, price in rows]
    merged, sources = merge_lines(lines)
    assert sorted(index for group in sources for index in group) == list(range(len(lines)))
    assert len(merged) == len({(name, price) for name, _, price in rows})
    before = compute_lines(lines).totals
    after = compute_lines(merged).totals
    assume(before.amount == after.amount)  # amounts are exact: price × quantity, summed
    assert abs(before.tax - after.tax) <= D("0.01") * len(lines)


def test_lines_with_their_own_tax_or_a_discount_after_them_are_not_merged() -> None:
    lines = [
        entered(amount=D("100")),
        entered(amount=D("100")),
        entered(amount=D("-10"), tax=D("-1.3"), discount=True),
        entered(amount=D("100"), tax=D("13")),
    ]
    merged, sources = merge_lines(lines)
    assert sources == [[0], [1], [2], [3]]
    assert merged == lines


def test_a_fractional_quantity_is_shared_in_proportion_and_adds_up() -> None:
    computed = compute_lines([entered(quantity=D("7.5"), unit_price=D("30000"), unit="吨")])
    invoices = split_lines(computed.lines, D("99999.99"))
    parts = [part.line for invoice in invoices for part in invoice]
    assert len(parts) == 3
    assert sum((p.quantity for p in parts if p.quantity is not None), D(0)) == D("7.5")
    assert sum((p.amount for p in parts if p.amount is not None), D(0)) == D("225000.00")
    for invoice in invoices:
        assert issued([part.line for part in invoice])[0] <= D("99999.99")


def test_no_limit_below_a_fen_and_a_merge_that_would_break_the_price_keeps_lines_apart() -> None:
    computed = compute_lines([entered(amount=D("100"))])
    with pytest.raises(SplitRefused) as refused:
        split_lines(computed.lines, D("0"))
    assert refused.value.field == "limit"
    same = entered(quantity=D("1"), unit_price=D("3.3349"), amount=D("3.33"))
    merged, sources = merge_lines([same, same, same])
    # 2 × 3.3349 = 6.6698 against 6.66 stays within 0.01; a third would not
    assert sources == [[0, 1], [2]]
    compute_lines(merged)  # what is kept still passes the tax math


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.decimals(min_value=D("0.01"), max_value=D("900"), places=2),
            st.decimals(min_value=D("1"), max_value=D("5000"), places=2),
            st.sampled_from([R13, R9, R6]),
            st.sampled_from([D("0"), D("0.01"), D("-0.01"), D("0.05"), D("-0.05")]),
        ),
        min_size=1,
        max_size=6,
    ),
    st.decimals(min_value=D("5000"), max_value=D("200000"), places=2),
)
def test_fractional_quantities_and_entered_taxes_split_to_the_fen(
    rows: list[tuple[Decimal, Decimal, object, Decimal]], limit: Decimal
) -> None:
    from fapiao.domain.money import quantize_fen
    from fapiao.domain.tax import tax_of

    lines = []
    for quantity, price, rate, off in rows:
        amount = quantize_fen(quantity * price)
        lines.append(
            entered(
                quantity=quantity,
                unit_price=price,
                amount=amount,
                rate=rate,
                tax=tax_of(amount, rate) + off,
            )
        )  # type: ignore[arg-type]
    try:
        computed = compute_lines(lines)
    except Exception:  # the entered taxes strayed beyond the invoice's tolerance
        return
    try:
        split = split_lines(computed.lines, limit)
    except SplitRefused:
        assert any(
            line.unit_price is not None and line.unit_price > limit for line in computed.lines
        )
        return
    amount = tax = ZERO
    for invoice in split:
        part_amount, part_tax = issued([part.line for part in invoice])
        assert part_amount <= limit
        amount, tax = amount + part_amount, tax + part_tax
    assert (amount, tax) == (computed.totals.amount, computed.totals.tax)
