"""超限额拆分 and 合并: an invoice over the single-invoice limit becomes several, each within
it, as the official software does; identical lines become one when asked.

Splitting works on the computed lines (every figure excluding tax, rounded once), so the parts
add up to the original to the 分: lines go whole into invoices in their order, a line over the
limit is cut by quantity (whole units when its quantity is whole) or by amount, and the tax of
a cut line is shared so that the parts' taxes add up to the line's own. A discount line stays
with the line it discounts. The parts are given back as lines to issue tax-exclusive with their
amount and tax named, which the tax math checks as it checks any entered figure.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

from fapiao.domain.errors import DomainError, Text, line_field, line_label
from fapiao.domain.kinds import MAX_LINES
from fapiao.domain.money import FEN, ZERO, quantize_fen
from fapiao.domain.tax import AMOUNT_TOLERANCE, Line, LineInput, tax_of

#: how far a cut line's share of tax may move from its own amount × rate, per part (the tax
#: math accepts 0.06 per line; rounding takes up to 0.005 of it)
_SHARE_STEP = Decimal("0.05")


class SplitRefused(DomainError):
    code = "split_refused"


@dataclass(frozen=True, slots=True)
class Part:
    """One line of a split invoice and the original line (0-based) it comes from."""

    line: LineInput
    source: int


def _as_input(line: Line, *, amount: Decimal, tax: Decimal, quantity: Decimal | None) -> LineInput:
    price = line.unit_price
    if quantity is None or price is None or abs(price * quantity - amount) > AMOUNT_TOLERANCE:
        price = None  # the part's price follows from its amount and quantity
    return LineInput(
        name=line.name,
        rate=line.rate,
        amount=amount,
        quantity=quantity if quantity is not None and quantity else None,
        unit_price=price,
        tax=tax,
        tax_code=line.tax_code,
        short_name=line.short_name,
        spec=line.spec,
        unit=line.unit,
        discount=line.discount,
    )


def _whole(line: Line) -> LineInput:
    return _as_input(line, amount=line.amount, tax=line.tax, quantity=line.quantity)


def _cut_amounts(line: Line, limit: Decimal, index: int) -> list[tuple[Decimal, Decimal | None]]:
    """The amounts (and quantities) of the parts of a line over ``limit``; the last part takes
    what is left, so the amounts add up to the line's."""
    quantity, price = line.quantity, line.unit_price
    if quantity is not None and price is not None and quantity == quantity.to_integral_value():
        per_part = (limit / price).to_integral_value(rounding=ROUND_DOWN)
        while per_part >= 1 and quantize_fen(price * per_part) > limit:
            per_part -= 1
        if per_part < 1:
            raise SplitRefused(
                Text(
                    "{0}：单价超过单张发票限额（{1}元），无法按数量拆分", line_label(index), limit
                ),
                field=line_field(index, "unit_price"),
            )
        parts: list[tuple[Decimal, Decimal | None]] = []
        left, amount_left = quantity, line.amount
        while left > per_part:
            amount = quantize_fen(price * per_part)
            parts.append((amount, per_part))
            left -= per_part
            amount_left -= amount
        if amount_left > limit or amount_left <= 0:  # the entered amount strayed from price×qty
            return _by_amount(line, limit)
        parts.append((amount_left, left))
        return parts
    return _by_amount(line, limit)


def _by_amount(line: Line, limit: Decimal) -> list[tuple[Decimal, Decimal | None]]:
    step = limit.quantize(FEN, rounding=ROUND_DOWN)
    parts: list[tuple[Decimal, Decimal | None]] = []
    left = line.amount
    while left > step:
        parts.append((step, None))
        left -= step
    parts.append((left, None))
    if line.quantity is None:
        return parts
    # the quantity shared in proportion to the amounts, the last part taking what is left
    shared: list[tuple[Decimal, Decimal | None]] = []
    quantity_left = line.quantity
    for amount, _ in parts[:-1]:
        share = (line.quantity * amount / line.amount).quantize(Decimal("0.000001"))
        shared.append((amount, share))
        quantity_left -= share
    shared.append((parts[-1][0], quantity_left))
    return shared


def _share_tax(line: Line, amounts: Sequence[Decimal]) -> list[Decimal]:
    """Each part's tax: its own amount × rate, the difference to the line's tax spread a 分 at
    a time over the parts (at most :data:`_SHARE_STEP` each)."""
    taxes = [tax_of(amount, line.rate) for amount in amounts]
    left = line.tax - sum(taxes, ZERO)
    step = FEN if left > 0 else -FEN
    index = 0
    while left and index < len(taxes) * 5:
        part = index % len(taxes)
        if abs(taxes[part] - tax_of(amounts[part], line.rate) + step) <= _SHARE_STEP:
            taxes[part] += step
            left -= step
        index += 1
    if left:
        raise SplitRefused("拆分后的税额无法与原税额一致，请手工拆分", field="lines")
    return taxes


def _units(lines: Sequence[Line]) -> list[list[int]]:
    """The lines' indices grouped: a line with the discount lines that follow it."""
    units: list[list[int]] = []
    for index, line in enumerate(lines):
        if line.discount and units:
            units[-1].append(index)
        else:
            units.append([index])
    return units


def split_lines(
    lines: Sequence[Line], limit: Decimal, *, max_lines: int = MAX_LINES
) -> list[list[Part]]:
    """The invoices ``lines`` make when none may exceed ``limit`` (合计金额, excluding tax)
    nor hold more than ``max_lines`` lines; one invoice when they fit."""
    if limit <= 0:
        raise SplitRefused("拆分限额必须大于0", field="limit")
    invoices: list[list[Part]] = []
    current: list[Part] = []
    current_amount = ZERO

    def close() -> None:
        nonlocal current, current_amount
        if current:
            invoices.append(current)
        current, current_amount = [], ZERO

    for unit in _units(lines):
        net = sum((lines[index].amount for index in unit), ZERO)
        if net > limit:
            if len(unit) > 1:
                message = "{0}带折扣，折扣后金额仍超过单张发票限额（{1}元），无法拆分"
                raise SplitRefused(
                    Text(message, line_label(unit[0]), limit), field=line_field(unit[0], "amount")
                )
            line = lines[unit[0]]
            cuts = _cut_amounts(line, limit, unit[0])
            taxes = _share_tax(line, [amount for amount, _ in cuts])
            parts = [
                Part(_as_input(line, amount=amount, tax=tax, quantity=quantity), unit[0])
                for (amount, quantity), tax in zip(cuts, taxes, strict=True)
            ]
            close()
            for part in parts[:-1]:
                invoices.append([part])
            current, current_amount = [parts[-1]], cuts[-1][0]
            continue
        if current and (current_amount + net > limit or len(current) + len(unit) > max_lines):
            close()
        current.extend(Part(_whole(lines[index]), index) for index in unit)
        current_amount += net
    close()
    return invoices


def merge_key(line: LineInput) -> tuple[object, ...] | None:
    """What makes two lines the same for 合并 (None: never merged): name, code, spec, unit, rate
    and price, with figures given the same way."""
    if line.discount or line.tax is not None:
        return None
    shape = (line.quantity is None, line.amount is None, line.unit_price)
    return (line.name, line.tax_code, line.short_name, line.spec, line.unit, line.rate, shape)


def _added(first: Decimal | None, second: Decimal | None) -> Decimal | None:
    return None if first is None or second is None else first + second


def _consistent(line: LineInput) -> bool:
    if line.amount is None or line.quantity is None or line.unit_price is None:
        return True
    return abs(line.unit_price * line.quantity - line.amount) <= AMOUNT_TOLERANCE


def merge_lines(lines: Sequence[LineInput]) -> tuple[list[LineInput], list[list[int]]]:
    """Identical lines (:func:`merge_key`) as one, quantities and amounts added, in the order
    they first appear; with, for each line kept, the indices of the lines it stands for. A
    line followed by a discount line is never merged."""
    kept: list[LineInput] = []
    sources: list[list[int]] = []
    seen: dict[tuple[object, ...], int] = {}
    for index, line in enumerate(lines):
        discounted = index + 1 < len(lines) and lines[index + 1].discount
        key = None if discounted else merge_key(line)
        at = seen.get(key) if key is not None else None
        if at is None:
            if key is not None:
                seen[key] = len(kept)
            kept.append(line)
            sources.append([index])
            continue
        first = kept[at]
        merged = dataclasses.replace(
            first,
            amount=_added(first.amount, line.amount),
            quantity=_added(first.quantity, line.quantity),
        )
        if _consistent(merged):
            kept[at] = merged
            sources[at].append(index)
        else:  # the sums' rounding would break 单价 × 数量 = 金额: kept apart
            kept.append(line)
            sources.append([index])
    return kept, sources
