"""Line and invoice tax math (DOMAIN §3), for tax-exclusive and tax-inclusive entry.

Exclusive: 金额 = 单价 × 数量; 税额 = 金额 × 税率. Inclusive: 税额 = 含税金额 ÷ (1 + 税率) × 税率;
金额 = 含税金额 − 税额; 不含税单价 = 含税单价 ÷ (1 + 税率). Every money figure is rounded half-up
to 分 once; 价税合计 = Σ金额 + Σ税额 exactly. Figures the caller supplies are accepted within the
tolerances and refused beyond them, naming the line and the field.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from fapiao.domain.errors import DomainError, Text, line_field, line_label
from fapiao.domain.money import ZERO, format_plain, quantize_fen, round_price
from fapiao.domain.rates import TaxRate

#: |单价 × 数量 − 金额| may not exceed this.
AMOUNT_TOLERANCE = Decimal("0.01")
#: |税额 − 金额 × 税率| per line may not exceed this.
LINE_TAX_TOLERANCE = Decimal("0.06")
#: |Σ(entered tax − computed tax)| over an invoice may not exceed this.
INVOICE_TAX_TOLERANCE = Decimal("1.27")
INVOICE_TAX_TOLERANCE_MESSAGE = "税额总误差大于1.27元,建议拆分开票"

_ONE = Decimal(1)


class PriceMode(enum.StrEnum):
    EXCLUSIVE = "exclusive"  # 不含税
    INCLUSIVE = "inclusive"  # 含税


class LineError(DomainError):
    """A line's figures are inconsistent or incomplete."""

    code = "line_invalid"


class AmountMismatch(LineError):
    code = "amount_mismatch"


class TaxMismatch(LineError):
    code = "tax_mismatch"


class DiscountError(LineError):
    code = "discount_invalid"


class TaxTotalMismatch(DomainError):
    code = "tax_total_mismatch"


@dataclass(frozen=True, slots=True)
class LineInput:
    """One line as entered. ``amount`` and ``unit_price`` are in the invoice's price mode."""

    name: str
    rate: TaxRate
    amount: Decimal | None = None
    quantity: Decimal | None = None
    unit_price: Decimal | None = None
    tax: Decimal | None = None  # the caller's own figure, checked against ours
    tax_code: str = ""
    short_name: str = ""  # 简称 of the tax code
    spec: str = ""
    unit: str = ""
    discount: bool = False  # 折扣行: discounts the line before it


@dataclass(frozen=True, slots=True)
class Line:
    """A computed line: every figure excluding tax, as the invoice prints it."""

    name: str  # the bare name; ``*简称*名称`` is display_name
    short_name: str
    tax_code: str
    spec: str
    unit: str
    quantity: Decimal | None
    unit_price: Decimal | None
    amount: Decimal
    rate: TaxRate
    tax: Decimal
    discount: bool = False

    @property
    def total(self) -> Decimal:
        return self.amount + self.tax

    @property
    def display_name(self) -> str:
        return f"*{self.short_name}*{self.name}" if self.short_name else self.name


@dataclass(frozen=True, slots=True)
class RateTotal:
    rate: TaxRate
    amount: Decimal
    tax: Decimal


@dataclass(frozen=True, slots=True)
class Totals:
    amount: Decimal  # 合计金额
    tax: Decimal  # 合计税额
    by_rate: tuple[RateTotal, ...]

    @property
    def total(self) -> Decimal:
        """价税合计."""
        return self.amount + self.tax


@dataclass(frozen=True, slots=True)
class Computed:
    lines: tuple[Line, ...]
    totals: Totals


def tax_of(amount: Decimal, rate: TaxRate) -> Decimal:
    """税额 of a tax-exclusive amount."""
    return quantize_fen(amount * rate.value)


def tax_in(gross: Decimal, rate: TaxRate) -> Decimal:
    """税额 contained in a tax-inclusive amount."""
    return quantize_fen(gross / (_ONE + rate.value) * rate.value)


def _figures(item: LineInput, index: int) -> tuple[Decimal, Decimal | None, Decimal | None]:
    """The line's amount, quantity and price in its entry mode, completed and cross-checked."""
    amount, quantity, price = item.amount, item.quantity, item.unit_price
    if amount is None:
        if quantity is None or price is None:
            raise LineError(
                Text("{0}：请填写金额，或同时填写单价和数量", line_label(index)),
                field=line_field(index, "amount"),
            )
        return quantize_fen(price * quantity), quantity, price
    if quantity is not None and price is not None:
        if abs(price * quantity - amount) > AMOUNT_TOLERANCE:
            raise AmountMismatch(
                Text(
                    "{0}：金额{1}与单价×数量{2}相差超过0.01元",
                    line_label(index),
                    amount,
                    format_plain(price * quantity),
                ),
                field=line_field(index, "amount"),
            )
    elif quantity is not None and quantity:
        price = round_price(amount / quantity)
    elif price is not None and price:
        quantity = round_price(amount / price)
    return amount, quantity, price


def _check_signs(item: LineInput, index: int, amount: Decimal, red: bool) -> None:
    label = line_label(index)
    if item.unit_price is not None and item.unit_price <= 0:
        raise LineError(Text("{0}：单价必须大于0", label), field=line_field(index, "unit_price"))
    if red:
        if amount >= 0:
            raise LineError(
                Text("{0}：红字发票的金额必须为负数", label), field=line_field(index, "amount")
            )
        if item.quantity is not None and item.quantity >= 0:
            raise LineError(
                Text("{0}：红字发票的数量必须为负数", label), field=line_field(index, "quantity")
            )
        return
    if amount <= 0:
        raise LineError(Text("{0}：金额必须大于0", label), field=line_field(index, "amount"))
    if item.quantity is not None and item.quantity <= 0:
        raise LineError(Text("{0}：数量必须大于0", label), field=line_field(index, "quantity"))


def _check_discount(
    item: LineInput, index: int, amount: Decimal, previous: Line | None, red: bool
) -> None:
    label = line_label(index)
    if red:
        raise DiscountError(
            Text("{0}：红字发票不能有折扣行", label), field=line_field(index, "discount")
        )
    if previous is None or previous.discount:
        raise DiscountError(
            Text("{0}：折扣行必须紧跟在被折扣行之后", label), field=line_field(index, "discount")
        )
    for name, value in (
        ("quantity", item.quantity),
        ("unit_price", item.unit_price),
        ("spec", item.spec),
        ("unit", item.unit),
    ):
        if value:
            raise DiscountError(
                Text("{0}：折扣行不能填写单价、数量、规格型号或单位", label),
                field=line_field(index, name),
            )
    if amount >= 0:
        raise DiscountError(
            Text("{0}：折扣行的金额必须为负数", label), field=line_field(index, "amount")
        )
    if item.rate != previous.rate or item.tax_code != previous.tax_code:
        raise DiscountError(
            Text("{0}：折扣行的税率和税收分类编码必须与被折扣行一致", label),
            field=line_field(index, "rate"),
        )


def compute_line(
    item: LineInput, *, index: int, mode: PriceMode, red: bool = False, previous: Line | None = None
) -> tuple[Line, Decimal]:
    """The computed line and the deviation of the caller's tax from ours (0 when not given)."""
    rate = item.rate
    entered, quantity, price = _figures(item, index)
    if item.discount:
        _check_discount(item, index, entered, previous, red)
    else:
        _check_signs(item, index, entered, red)
    if mode is PriceMode.INCLUSIVE:
        computed_tax = tax_in(entered, rate)
        tax = computed_tax if item.tax is None else item.tax
        amount = entered - tax
        if price is not None:
            price = round_price(price / (_ONE + rate.value))
    else:
        amount = entered
        computed_tax = tax_of(amount, rate)
        tax = computed_tax if item.tax is None else item.tax
    if item.tax is not None:
        _check_tax(item.tax, amount, rate, index)
    if (
        item.discount
        and previous is not None
        and (-amount > previous.amount or -tax > previous.tax)
    ):
        raise DiscountError(
            Text("{0}：折扣金额不能超过被折扣行的金额", line_label(index)),
            field=line_field(index, "amount"),
        )
    line = Line(
        item.name,
        item.short_name,
        item.tax_code,
        item.spec,
        item.unit,
        quantity,
        price,
        amount,
        rate,
        tax,
        item.discount,
    )
    return line, tax - computed_tax


def _check_tax(tax: Decimal, amount: Decimal, rate: TaxRate, index: int) -> None:
    label = line_label(index)
    if rate.is_zero_kind and tax:
        raise TaxMismatch(
            Text("{0}：{1}的税额必须为0", label, rate.label), field=line_field(index, "tax")
        )
    if tax and (tax < 0) != (amount < 0):
        raise TaxMismatch(
            Text("{0}：税额与金额的正负不一致", label), field=line_field(index, "tax")
        )
    if abs(tax - amount * rate.value) > LINE_TAX_TOLERANCE:
        raise TaxMismatch(
            Text(
                "{0}：税额{1}与金额×税率{2}相差超过0.06元",
                label,
                tax,
                quantize_fen(amount * rate.value),
            ),
            field=line_field(index, "tax"),
        )


def compute_lines(
    items: Sequence[LineInput], *, mode: PriceMode = PriceMode.EXCLUSIVE, red: bool = False
) -> Computed:
    lines: list[Line] = []
    deviation = ZERO
    previous: Line | None = None
    for index, item in enumerate(items):
        line, line_deviation = compute_line(
            item, index=index, mode=mode, red=red, previous=previous
        )
        lines.append(line)
        deviation += line_deviation
        previous = line
    if abs(deviation) > INVOICE_TAX_TOLERANCE:
        raise TaxTotalMismatch(INVOICE_TAX_TOLERANCE_MESSAGE, field="lines")
    return Computed(tuple(lines), totals_of(lines))


def totals_of(lines: Sequence[Line]) -> Totals:
    """合计金额, 合计税额 and the same by rate, in the order rates first appear."""
    by_rate: dict[TaxRate, list[Decimal]] = {}
    amount = tax = ZERO
    for line in lines:
        amount += line.amount
        tax += line.tax
        sums = by_rate.setdefault(line.rate, [ZERO, ZERO])
        sums[0] += line.amount
        sums[1] += line.tax
    return Totals(amount, tax, tuple(RateTotal(rate, a, t) for rate, (a, t) in by_rate.items()))
