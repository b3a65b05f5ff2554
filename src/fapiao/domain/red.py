"""The lines of a red-letter invoice, mirrored from its blue invoice (DOMAIN §6).

A red invoice carries the blue lines with negative amounts and quantities: all of what is left
of each line (full red), or chosen lines by quantity or by amount (partial). A discount line is
folded into the line it discounts, because a red invoice has no discount lines. The result goes
through the same validation as any invoice (``validate_draft`` with ``red=True``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from fapiao.domain.channels import validate_device_number
from fapiao.domain.errors import DomainError, Text, line_field
from fapiao.domain.money import parse_money, parse_price, quantize_fen, round_price
from fapiao.domain.tax import Line, LineInput, tax_of

ZERO = Decimal(0)

#: Policy: a 确认单's 20-digit number is the 2-digit region, the 2-digit year and a 16-digit
#: running number of the taxpayer's year, so it never reads like a 数电 invoice number.
CONFIRMATION_SEQUENCE_DIGITS = 16

#: A 税控 专票's red needs a 信息表 whose number is 16 digits. Policy: the 12-digit device number
#: followed by a 4-digit running number of that device.
INFO_TABLE_DIGITS = 16
INFO_TABLE_SEQUENCE_MAX = 9999


class RedLineError(DomainError):
    code = "red_line"


@dataclass(frozen=True, slots=True)
class Pick:
    """Part of blue line ``index`` to red-flush: a quantity, an amount excluding tax, or all."""

    index: int
    quantity: Decimal | None = None
    amount: Decimal | None = None


def pick_of(line: int, quantity: str | None, amount: str | None) -> Pick:
    """The pick of printed line ``line`` (1-based) as a form or a request gives it: a quantity,
    an amount excluding tax, or neither (the whole line)."""
    index = line - 1
    return Pick(
        index,
        quantity=None if quantity in (None, "")
        else parse_price(quantity, field=f"lines.{index}.quantity", label="数量"),
        amount=None if amount in (None, "")
        else parse_money(amount, field=f"lines.{index}.amount", label="金额"),
    )  # fmt: skip


@dataclass(frozen=True, slots=True)
class Used:
    """What earlier reds already took from one blue line (positive figures)."""

    amount: Decimal = ZERO
    tax: Decimal = ZERO
    quantity: Decimal = ZERO


def _net(lines: Sequence[Line]) -> dict[int, Line]:
    """Blue lines by index with their discount lines folded in."""
    net: dict[int, Line] = {}
    previous = -1
    for index, line in enumerate(lines):
        if line.discount and previous in net:
            base = net[previous]
            amount, tax = base.amount + line.amount, base.tax + line.tax
            price = round_price(amount / base.quantity) if base.quantity else base.unit_price
            net[previous] = Line(
                base.name,
                base.short_name,
                base.tax_code,
                base.spec,
                base.unit,
                base.quantity,
                price,
                amount,
                base.rate,
                tax,
            )
            continue
        net[index] = line
        previous = index
    return net


def _part(line: Line, used: Used, pick: Pick) -> tuple[Decimal, Decimal, Decimal | None]:
    """Amount, tax and quantity (positive) that ``pick`` takes from what is left of ``line``."""
    left_amount, left_tax = line.amount - used.amount, line.tax - used.tax
    left_quantity = None if line.quantity is None else line.quantity - used.quantity
    field = line_field(pick.index, "amount")
    if left_amount <= 0:
        raise RedLineError(Text("第{0}行已无可红冲金额", pick.index + 1), field=field)
    if pick.quantity is not None:
        if left_quantity is None or line.unit_price is None:
            raise RedLineError(
                Text("第{0}行没有数量，请按金额红冲", pick.index + 1),
                field=line_field(pick.index, "quantity"),
            )
        if not ZERO < pick.quantity <= left_quantity:
            raise RedLineError(
                Text(
                    "第{0}行红冲数量应大于0且不超过剩余数量{1:f}",
                    pick.index + 1,
                    left_quantity.normalize(),
                ),
                field=line_field(pick.index, "quantity"),
            )
        if pick.quantity == left_quantity:
            return left_amount, left_tax, pick.quantity
        amount = quantize_fen(line.amount * pick.quantity / line.quantity)  # type: ignore[operator]
        return amount, tax_of(amount, line.rate), pick.quantity
    if pick.amount is not None:
        if not ZERO < pick.amount <= left_amount:
            raise RedLineError(
                Text("第{0}行红冲金额应大于0且不超过剩余金额{1}", pick.index + 1, left_amount),
                field=field,
            )
        if pick.amount == left_amount:
            return left_amount, left_tax, left_quantity or None
        return pick.amount, tax_of(pick.amount, line.rate), None
    return left_amount, left_tax, left_quantity or None


def red_inputs(
    blue: Sequence[Line], *, picks: Sequence[Pick] | None, used: Mapping[int, Used]
) -> tuple[tuple[int, LineInput], ...]:
    """The red invoice's lines, each with the index of the blue line it reverses: what is left
    of every line when ``picks`` is None, else the picks."""
    net = _net(blue)
    if picks is None:
        picks = [Pick(index) for index in net if net[index].amount - used.get(index, Used()).amount]
    if not picks:
        raise RedLineError("没有可红冲的明细", field="lines")
    seen: set[int] = set()
    result: list[tuple[int, LineInput]] = []
    for pick in picks:
        if pick.index not in net:
            raise RedLineError(
                Text("蓝字发票没有第{0}行可红冲（折扣行随被折扣行红冲）", pick.index + 1),
                field=line_field(pick.index, "index"),
            )
        if pick.index in seen:
            raise RedLineError(
                Text("第{0}行重复", pick.index + 1), field=line_field(pick.index, "index")
            )
        seen.add(pick.index)
        line = net[pick.index]
        amount, tax, quantity = _part(line, used.get(pick.index, Used()), pick)
        result.append(
            (
                pick.index,
                LineInput(
                    name=line.name,
                    rate=line.rate,
                    amount=-amount,
                    quantity=None if quantity is None else -quantity,
                    unit_price=line.unit_price if quantity is not None else None,
                    tax=-tax,
                    tax_code=line.tax_code,
                    short_name=line.short_name,
                    spec=line.spec,
                    unit=line.unit,
                ),
            )
        )
    return tuple(result)


def red_remarks(*, blue_code: str, blue_number: str, form_number: str, digital: bool) -> str:
    """备注 of a red invoice: the blue invoice it reverses and the form it rests on."""
    if digital:
        text = f"被红冲蓝字数电发票号码：{blue_number}"
        return f"{text} 红字发票信息确认单编号：{form_number}" if form_number else text
    if form_number:
        return f"开具红字增值税专用发票信息表编号{form_number}"
    return f"对应正数发票代码:{blue_code}号码:{blue_number}"


def info_table_number(device_number: str, sequence: int) -> str:
    """The 16-digit number of a 红字发票信息表 (policy: device number + 4-digit sequence)."""
    validate_device_number(device_number)
    if not 1 <= sequence <= INFO_TABLE_SEQUENCE_MAX:
        raise RedLineError("该设备的红字信息表编号已用完", field="device_number")
    return f"{device_number}{sequence:04d}"


def confirmation_number(*, region: str, year: int, sequence: int) -> str:
    """The 20-digit number of a 红字发票信息确认单 (policy, see above)."""
    if len(region) != 2 or not region.isdigit():
        raise RedLineError("地区代码应为2位数字", field="region")
    if not 1 <= sequence < 10**CONFIRMATION_SEQUENCE_DIGITS:
        raise RedLineError("确认单编号已用完", field="number")
    return f"{region}{year % 100:02d}{sequence:0{CONFIRMATION_SEQUENCE_DIGITS}d}"
