"""税费缴纳: for each VAT period a report touches, the output tax its invoices carry now beside
what the 申报 declared (sales, output and input tax, payable or 留抵), and the 税负率 (payable ÷
declared sales). Input tax is what the 申报 declared; received invoices will add theirs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Sum

from fapiao.closing.models import Declaration
from fapiao.domain.money import quantize_fen
from fapiao.domain.reporting import ReportPeriod
from fapiao.invoicing.models import DaySum, Taxpayer

ZERO = Decimal("0.00")


@dataclass(frozen=True, slots=True)
class TaxPeriod:
    start: date
    end: date  # inclusive
    invoiced_sales: Decimal  # the period's invoices now, net of reds and voids
    invoiced_tax: Decimal
    declared: bool
    declared_sales: Decimal = ZERO
    output_tax: Decimal = ZERO  # as declared
    input_tax: Decimal = ZERO
    payable: Decimal = ZERO
    carried_forward: Decimal = ZERO  # 留抵
    comparison_ok: bool = True

    @property
    def burden(self) -> Decimal | None:
        """税负率, per cent: the tax payable over the declared sales."""
        if not self.declared or not self.declared_sales:
            return None
        return (self.payable * 100 / self.declared_sales).quantize(Decimal("0.01"))

    @property
    def differs(self) -> bool:
        """Whether the invoices no longer add up to what was declared (a red issued later)."""
        return self.declared and self.invoiced_tax != self.output_tax

    def as_dict(self) -> dict[str, Any]:
        money = ("invoiced_sales", "invoiced_tax", "declared_sales", "output_tax", "input_tax",
                 "payable", "carried_forward")  # fmt: skip
        return {
            "start": self.start.isoformat(), "end": self.end.isoformat(),
            "declared": self.declared, "comparison_ok": self.comparison_ok,
            **{name: str(getattr(self, name)) for name in money},
            "burden": None if self.burden is None else str(self.burden),
        }  # fmt: skip


def taxes_of(taxpayer: Taxpayer, period: ReportPeriod) -> list[TaxPeriod]:
    """The declared VAT periods overlapping ``period``, oldest first, and, when the report's
    own period is not declared, that period with its invoiced figures only."""
    declarations = Declaration.objects.filter(
        taxpayer=taxpayer, period_start__lt=period.end, period_end__gt=period.start
    ).order_by("period_start")  # a declaration's end is the day after its period
    found = [_declared(taxpayer, d) for d in declarations]
    if not any(row.start <= period.start and row.end >= period.end - timedelta(days=1)
               for row in found):  # fmt: skip
        sales, tax = _invoiced(taxpayer, period.start, period.end)
        found.append(TaxPeriod(period.start, period.end - timedelta(days=1), sales, tax, False))
    return found


def _invoiced(taxpayer: Taxpayer, start: date, end: date) -> tuple[Decimal, Decimal]:
    """Sales and tax of the invoices issued from ``start`` to before ``end``, voids left out."""
    sums = DaySum.objects.filter(
        taxpayer=taxpayer, day__gte=start, day__lt=end, voided=False
    ).aggregate(sales=Sum("amount"), tax=Sum("tax"))
    return quantize_fen(Decimal(sums["sales"] or 0)), quantize_fen(Decimal(sums["tax"] or 0))


def _declared(taxpayer: Taxpayer, declaration: Declaration) -> TaxPeriod:
    result = declaration.result
    sales, tax = _invoiced(taxpayer, declaration.period_start, declaration.period_end)
    return TaxPeriod(
        start=declaration.period_start, end=declaration.period_end - timedelta(days=1),
        invoiced_sales=sales, invoiced_tax=tax, declared=True,
        declared_sales=declaration.declared_sales,
        output_tax=Decimal(result.get("output_tax", "0")),
        input_tax=declaration.input_tax,
        payable=Decimal(result.get("payable", "0")),
        carried_forward=Decimal(result.get("carried_forward", "0")),
        comparison_ok=declaration.comparison_ok,
    )  # fmt: skip
