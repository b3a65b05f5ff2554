"""The period close (DOMAIN §7): the 抄报 summary, the VAT return (申报) with its 比对, and what
stands in the way of 清卡.

Pure functions over plain facts; the services feed them from the database and the authority
feeds them from its registry, so both sides summarise alike.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from fapiao.domain.errors import DomainError, Text
from fapiao.domain.kinds import InvoiceKind, spec
from fapiao.domain.periods import (
    ClearingType,
    HolidayCalendar,
    OutsideWindow,
    Period,
    check_clearing_window,
)

ZERO = Decimal("0.00")

MISSING_REPORT_MESSAGE = "未完成抄报"
MISSING_DECLARATION_MESSAGE = "未完成申报"
UPLOADS_PENDING_MESSAGE = "本期还有发票未上传"
COMPARISON_FAILED_MESSAGE = "申报比对不通过：申报销售额小于开票销售额，请说明原因"
ALREADY_CLEARED_MESSAGE = "该期已清卡，不能重复清卡"
PENDING_REVIEW_MESSAGE = "该期清卡申请正在税务机关审核中"


class ClosingRefused(DomainError):
    code = "closing_refused"


@dataclass(frozen=True, slots=True)
class InvoiceFacts:
    """What the close needs of one invoice: amounts are signed (a red invoice negative)."""

    kind: InvoiceKind
    red: bool
    voided: bool
    amount: Decimal
    tax: Decimal
    lines: tuple[tuple[str, Decimal, Decimal], ...]  # (rate key, amount, tax)


@dataclass
class KindTotals:
    blue_count: int = 0
    blue_amount: Decimal = ZERO
    blue_tax: Decimal = ZERO
    red_count: int = 0
    red_amount: Decimal = ZERO
    red_tax: Decimal = ZERO
    void_count: int = 0
    void_amount: Decimal = ZERO
    void_tax: Decimal = ZERO

    @property
    def net_amount(self) -> Decimal:
        return self.blue_amount + self.red_amount

    @property
    def net_tax(self) -> Decimal:
        return self.blue_tax + self.red_tax


def summarize(invoices: Iterable[InvoiceFacts], kinds: Iterable[InvoiceKind]) -> dict[str, Any]:
    """The 抄报 summary: for every kind of ``kinds`` (each reported, even with nothing issued)
    the counts and amounts of blue, red and voided invoices, and sales and tax by rate.

    A voided invoice counts as voided only; its amounts are not sales."""
    totals = {kind: KindTotals() for kind in kinds}
    rates: dict[str, list[Decimal]] = {}
    for item in invoices:
        row = totals.setdefault(item.kind, KindTotals())
        if item.voided:
            row.void_count += 1
            row.void_amount += item.amount
            row.void_tax += item.tax
            continue
        if item.red:
            row.red_count += 1
            row.red_amount += item.amount
            row.red_tax += item.tax
        else:
            row.blue_count += 1
            row.blue_amount += item.amount
            row.blue_tax += item.tax
        for rate, amount, tax in item.lines:
            sums = rates.setdefault(rate, [ZERO, ZERO])
            sums[0] += amount
            sums[1] += tax
    return {
        "kinds": {
            kind.value: {
                "name": spec(kind).name,
                **{name: str(value) if isinstance(value, Decimal) else value
                   for name, value in vars(row).items()},
                "net_amount": str(row.net_amount),
                "net_tax": str(row.net_tax),
            }
            for kind, row in sorted(totals.items(), key=lambda pair: pair[0].value)
        },
        "rates": {
            rate: {"amount": str(amount), "tax": str(tax)}
            for rate, (amount, tax) in sorted(rates.items())
        },
        "sales": str(sum((row.net_amount for row in totals.values()), ZERO)),
        "tax": str(sum((row.net_tax for row in totals.values()), ZERO)),
    }  # fmt: skip


def same_totals(ours: dict[str, Any], theirs: dict[str, Any]) -> list[str]:
    """Where two summaries of the same invoices disagree (by kind: counts and net amounts)."""
    found = []
    for kind in sorted(set(ours["kinds"]) | set(theirs["kinds"])):
        mine = ours["kinds"].get(kind, {})
        other = theirs["kinds"].get(kind, {})
        for name in ("blue_count", "red_count", "void_count", "net_amount", "net_tax"):
            a, b = Decimal(str(mine.get(name, 0))), Decimal(str(other.get(name, 0)))
            if a != b:
                label = spec(InvoiceKind(kind)).short_name
                found.append(f"{label}{_LABELS[name]}：{a} ≠ {b}")
    return found


_LABELS = {
    "blue_count": "蓝字份数", "red_count": "红字份数", "void_count": "作废份数",
    "net_amount": "销售额", "net_tax": "税额",
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class VatReturn:
    """The 申报 of a period: output tax from the invoices, input tax, what is payable."""

    sales_by_rate: dict[str, str]
    output_tax: Decimal
    input_tax: Decimal
    payable: Decimal  # never below zero
    carried_forward: Decimal  # 留抵: input beyond output
    invoiced_sales: Decimal
    declared_sales: Decimal
    comparison_ok: bool
    #: the input tax selected for deduction (勾选抵扣) of the period, when any was
    input_deducted: Decimal | None = None

    @property
    def input_ok(self) -> bool:
        """进项比对: no more input tax declared than was selected for deduction."""
        return self.input_deducted is None or self.input_tax <= self.input_deducted

    def as_dict(self) -> dict[str, Any]:
        return {
            "sales_by_rate": self.sales_by_rate,
            "output_tax": str(self.output_tax),
            "input_tax": str(self.input_tax),
            "payable": str(self.payable),
            "carried_forward": str(self.carried_forward),
            "invoiced_sales": str(self.invoiced_sales),
            "declared_sales": str(self.declared_sales),
            "comparison_ok": self.comparison_ok,
            "input_deducted": None if self.input_deducted is None else str(self.input_deducted),
            "input_ok": self.input_ok,
        }


def vat_return(
    summary: dict[str, Any],
    *,
    declared_sales: Decimal,
    input_tax: Decimal = ZERO,
    input_deducted: Decimal | None = None,
) -> VatReturn:
    """The return from a period's summary (all channels) and the sales the taxpayer declares.

    比对 (票表比对): the declared sales may exceed the invoiced ones (sales without invoices are
    declared too) but never fall short of them; where invoices were selected for deduction
    (``input_deducted``), the input tax declared may not exceed their tax."""
    if declared_sales < 0:
        raise ClosingRefused("申报销售额不能为负数", field="declared_sales")
    if input_tax < 0:
        raise ClosingRefused("进项税额不能为负数", field="input_tax")
    output = Decimal(summary["tax"])
    invoiced = Decimal(summary["sales"])
    balance = output - input_tax
    return VatReturn(
        sales_by_rate={rate: row["amount"] for rate, row in summary["rates"].items()},
        output_tax=output,
        input_tax=input_tax,
        payable=max(balance, ZERO),
        carried_forward=max(-balance, ZERO),
        invoiced_sales=invoiced,
        declared_sales=declared_sales,
        comparison_ok=declared_sales >= invoiced
        and (input_deducted is None or input_tax <= input_deducted),
        input_deducted=input_deducted,
    )


@dataclass(frozen=True, slots=True)
class ClearingState:
    """What the taxpayer side knows of a device's period when it asks to clear."""

    period: Period
    clearing_type: ClearingType
    today: date
    reported: bool
    declared: bool
    comparison_ok: bool
    explained: bool
    uploads_pending: int
    cleared: bool
    under_review: bool


def clearing_blockers(state: ClearingState, calendar: HolidayCalendar) -> list[str]:
    """Every reason the period cannot be cleared now (empty: it can), in the order a clerk
    fixes them."""
    found = []
    if state.cleared:
        return [ALREADY_CLEARED_MESSAGE]
    if state.under_review:
        return [PENDING_REVIEW_MESSAGE]
    try:
        check_clearing_window(
            state.period, today=state.today, calendar=calendar, clearing_type=state.clearing_type
        )
    except OutsideWindow as outside:
        found.append(outside.message)
    if state.uploads_pending:
        found.append(Text("{0}（{1}张）", UPLOADS_PENDING_MESSAGE, state.uploads_pending))
    if not state.reported:
        found.append(MISSING_REPORT_MESSAGE)
    if not state.declared:
        found.append(MISSING_DECLARATION_MESSAGE)
    elif not state.comparison_ok and not state.explained:
        found.append(COMPARISON_FAILED_MESSAGE)
    return found


def application_number(*, device_number: str, period: Period, attempt: int) -> str:
    """清卡申请编号: QK + device + the period's first month + the attempt (2 digits)."""
    return f"QK{device_number}{period.start:%Y%m}{attempt:02d}"
