"""报表查询: the figures of a period, read from the invoices with the database's sums, scoped to
one taxpayer. Web, API and CLI show the same rows.

Counted: blue and red invoices issued in the period, and those of them now voided. The figures
(金额 excluding tax, 税额, 价税合计) are net: reds count negative, voided invoices not at all.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Count, Max, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth

from fapiao.domain.kinds import InvoiceKind, spec
from fapiao.domain.lifecycle import Status
from fapiao.domain.money import quantize_fen
from fapiao.domain.rates import parse_rate
from fapiao.domain.reporting import (
    ReportPeriod,
    growth,
    months_in,
    next_month,
    period_before,
    share,
    year_before,
)
from fapiao.invoicing.models import DaySum, Invoice, LineSum, Taxpayer
from fapiao.reports.taxes import TaxPeriod, taxes_of
from fapiao.reports.usage import Usage, usage_of

ZERO = Decimal("0.00")
TOP = 10


@dataclass(frozen=True, slots=True)
class Figures:
    """Net amounts of a group of invoices, and how many there are."""

    count: int = 0
    amount: Decimal = ZERO
    tax: Decimal = ZERO
    total: Decimal = ZERO

    def as_dict(self) -> dict[str, Any]:
        return {"count": self.count, "amount": str(self.amount), "tax": str(self.tax),
                "total": str(self.total)}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Group:
    key: str  # what the group is, as a clerk reads it (a kind's name, a rate, a buyer …)
    figures: Figures
    code: str = ""  # the same as stored (VAT_SPECIAL_PAPER, 0.13 …): what a link filters by

    def as_dict(self) -> dict[str, Any]:
        return {"key": self.key, "code": self.code, **self.figures.as_dict()}


@dataclass(frozen=True, slots=True)
class Report:
    period: ReportPeriod
    blue: int
    red: int
    voided: int
    net: Figures
    by_kind: list[Group] = field(default_factory=list)
    by_rate: list[Group] = field(default_factory=list)
    by_channel: list[Group] = field(default_factory=list)
    by_issuer: list[Group] = field(default_factory=list)
    top_buyers: list[Group] = field(default_factory=list)
    top_products: list[Group] = field(default_factory=list)
    # 收入情况: sales (金额) against the same period last year and the period before
    sales_year_before: Decimal = ZERO
    sales_period_before: Decimal = ZERO
    usage: Usage | None = None  # 发票使用情况
    taxes: list[TaxPeriod] = field(default_factory=list)  # 税费缴纳

    @property
    def yoy(self) -> Decimal | None:  # 同比, per cent
        return growth(self.net.amount, self.sales_year_before)

    @property
    def mom(self) -> Decimal | None:  # 环比, per cent
        return growth(self.net.amount, self.sales_period_before)

    @property
    def void_rate(self) -> Decimal | None:  # 作废率: per cent of the blue invoices issued
        return share(self.voided, self.blue)

    @property
    def red_rate(self) -> Decimal | None:  # 红冲率
        return share(self.red, self.blue)

    def as_dict(self) -> dict[str, Any]:
        def rows(groups: list[Group]) -> list[dict[str, Any]]:
            return [group.as_dict() for group in groups]

        return {
            "span": self.period.span.value,
            "label": self.period.label,
            "start": self.period.start.isoformat(),
            "end": self.period.end.isoformat(),
            "blue": self.blue,
            "red": self.red,
            "voided": self.voided,
            "net": self.net.as_dict(),
            "by_kind": rows(self.by_kind),
            "by_rate": rows(self.by_rate),
            "by_channel": rows(self.by_channel),
            "by_issuer": rows(self.by_issuer),
            "top_buyers": rows(self.top_buyers),
            "top_products": rows(self.top_products),
            "sales_year_before": str(self.sales_year_before),
            "sales_period_before": str(self.sales_period_before),
            "yoy": None if self.yoy is None else str(self.yoy),
            "mom": None if self.mom is None else str(self.mom),
            "taxes": [row.as_dict() for row in self.taxes],
            "usage": None
            if self.usage is None
            else {
                **self.usage.as_dict(),
                "void_rate": None if self.void_rate is None else str(self.void_rate),
                "red_rate": None if self.red_rate is None else str(self.red_rate),
            },
        }


def _invoices(taxpayer: Taxpayer, period: ReportPeriod) -> QuerySet[Invoice]:
    return Invoice.objects.filter(
        taxpayer=taxpayer, issued_on__gte=period.start, issued_on__lt=period.end
    )


def _fen(value: Decimal | None) -> Decimal:
    """A database sum to the 分 (SQLite sums decimals as binary floats)."""
    return quantize_fen(Decimal(value)) if value is not None else ZERO


def _figures(row: dict[str, Any]) -> Figures:
    return Figures(
        count=row.get("n") or 0,
        amount=_fen(row.get("amount")),
        tax=_fen(row.get("tax")),
        total=_fen(row.get("total")),
    )


def _groups(
    rows: QuerySet[Any], key: str, label: Any = str, *, limit: int | None = None
) -> list[Group]:
    groups = [Group(label(row[key]), _figures(row), str(row[key] or "")) for row in rows
              if row.get("n")]  # a day sum of invoices voided since holds nothing  # fmt: skip
    groups.sort(key=lambda group: (-group.figures.amount, group.key))
    return groups[:limit] if limit else groups


def _kind_name(kind: str) -> str:
    return spec(InvoiceKind(kind)).short_name


SUMS = {"n": Count("pk"), "amount": Sum("amount"), "tax": Sum("tax"), "total": Sum("total")}


@dataclass(frozen=True)
class Totals:
    """A period's invoices at a glance: blue ones issued, those voided since, the reds, and
    what stands net of both (the reds are negative)."""

    blue: Figures
    voided: Figures
    red: Figures
    net: Figures


def totals_of(taxpayer: Taxpayer, period: ReportPeriod) -> Totals:
    """:class:`Totals` of ``period`` in one query."""
    sums: dict[str, Any] = {}
    parts = {"blue": Q(red=False), "voided": Q(status=Status.VOIDED), "red": Q(red=True),
             "net": ~Q(status=Status.VOIDED)}  # fmt: skip
    for name, where in parts.items():
        sums[f"{name}_n"] = Count("pk", filter=where)
        for field_name in ("amount", "tax", "total"):
            sums[f"{name}_{field_name}"] = Sum(field_name, filter=where)
    row = _invoices(taxpayer, period).aggregate(**sums)

    def figures(name: str) -> Figures:
        return _figures({key.removeprefix(f"{name}_"): value for key, value in row.items()
                         if key.startswith(f"{name}_")})  # fmt: skip

    return Totals(*(figures(name) for name in parts))


#: a trend of a period up to this many days goes by day, a longer one by month
DAILY_TREND_DAYS = 62


@dataclass(frozen=True, slots=True)
class Point:
    """One step of a trend: the days from ``start`` to ``end`` (inclusive) and their figures."""

    start: date
    end: date
    figures: Figures

    def as_dict(self) -> dict[str, Any]:
        return {"start": self.start.isoformat(), "end": self.end.isoformat(),
                **self.figures.as_dict()}  # fmt: skip


def trend_of(taxpayer: Taxpayer, period: ReportPeriod) -> list[Point]:
    """Net figures of ``period`` by day (up to 62 days) or by month, every step present."""
    live = _days(taxpayer, period).filter(voided=False)
    if period.days <= DAILY_TREND_DAYS:
        found = {row["day"]: _figures(row) for row in live.values("day").annotate(**DAY_SUMS)}
        days = [period.start + timedelta(days=n) for n in range(period.days)]
        return [Point(day, day, found.get(day, Figures())) for day in days]
    rows = live.annotate(month=TruncMonth("day")).values("month").annotate(**DAY_SUMS)
    found = {_as_date(row["month"]): _figures(row) for row in rows}
    points = []
    for month in months_in(period):
        last = min(next_month(month), period.end) - timedelta(days=1)
        points.append(Point(max(month, period.start), last, found.get(month, Figures())))
    return points


def _as_date(value: Any) -> date:
    return value.date() if isinstance(value, datetime) else value


def _days(taxpayer: Taxpayer, period: ReportPeriod) -> QuerySet[DaySum]:
    """The period's day sums (kept by the issuing and voiding transactions)."""
    return DaySum.objects.filter(taxpayer=taxpayer, day__gte=period.start, day__lt=period.end)


#: the day sums added up: how many invoices and their money
DAY_SUMS = {"n": Sum("n"), "amount": Sum("amount"), "tax": Sum("tax"), "total": Sum("total")}


def report_of(taxpayer: Taxpayer, period: ReportPeriod) -> Report:
    """The report of ``period`` for ``taxpayer``, from the day sums: a few rows a day, whatever
    the number of invoices (each figure equals the sum over the invoices, tested)."""
    days = _days(taxpayer, period)
    counted = days.aggregate(
        blue=Sum("n", filter=Q(red=False)),
        red=Sum("n", filter=Q(red=True)),
        voided=Sum("n", filter=Q(voided=True)),
    )
    live = days.filter(voided=False)
    lines = LineSum.objects.filter(taxpayer=taxpayer, day__gte=period.start, day__lt=period.end)
    line_sums = {"n": Sum("n"), "amount": Sum("amount"), "tax": Sum("tax")}

    def sales(other: ReportPeriod) -> Decimal:
        return _fen(_days(taxpayer, other).filter(voided=False).aggregate(s=Sum("amount"))["s"])

    def with_total(group: Group, key: str | None = None) -> Group:
        """A group of lines: 价税合计 is its 金额 and 税额."""
        figures = group.figures
        total = figures.amount + figures.tax
        return Group(
            key or group.key, Figures(figures.count, figures.amount, figures.tax, total), group.code
        )

    by_rate = _groups(lines.filter(dimension="rate").values("key").annotate(**line_sums), "key",
                      lambda rate: parse_rate(rate).label)  # fmt: skip
    products = (lines.filter(dimension="product").values("key")
                .annotate(**line_sums, short_name=Max("short_name")))  # fmt: skip
    names = {row["key"]: row["short_name"] for row in products}
    return Report(
        period=period,
        blue=counted["blue"] or 0,
        red=counted["red"] or 0,
        voided=counted["voided"] or 0,
        net=_figures(live.aggregate(**DAY_SUMS)),
        by_kind=_groups(live.values("kind").annotate(**DAY_SUMS), "kind", _kind_name),
        by_rate=[with_total(group) for group in by_rate],
        by_channel=_groups(live.values("channel__name").annotate(**DAY_SUMS), "channel__name"),
        by_issuer=_groups(live.values("drawer").annotate(**DAY_SUMS), "drawer"),
        top_buyers=_groups(live.values("buyer_name").annotate(**DAY_SUMS), "buyer_name", limit=TOP),
        top_products=[
            with_total(group, f"{group.key} {names[group.code]}".strip())
            for group in _groups(products, "key", limit=TOP)
        ],
        usage=usage_of(taxpayer, period),
        taxes=taxes_of(taxpayer, period),
        sales_year_before=sales(year_before(period)),
        sales_period_before=sales(period_before(period)),
    )
