"""发票使用情况: stock used and left per segment, 数电 credit used per month and numbers issued
per day in a period (its void and red rates come from the report's counts)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Sum

from fapiao.domain.kinds import ChannelType, InvoiceKind, spec
from fapiao.domain.money import quantize_fen
from fapiao.domain.reporting import ReportPeriod, months_in
from fapiao.invoicing.models import Channel, DaySum, StockSegment, Taxpayer
from fapiao.invoicing.selectors import credit_used


@dataclass(frozen=True, slots=True)
class SegmentUse:
    channel: str
    kind: str
    code: str
    first: int
    last: int
    used: int
    left: int


@dataclass(frozen=True, slots=True)
class CreditMonth:
    channel: str
    month: date
    credit: Decimal | None  # the monthly line; None: unlimited
    used: Decimal


@dataclass(frozen=True, slots=True)
class Usage:
    segments: list[SegmentUse]
    credit: list[CreditMonth]
    per_day: list[tuple[date, int]]

    def as_dict(self) -> dict[str, Any]:
        return {
            "segments": [
                {"channel": s.channel, "kind": s.kind, "code": s.code, "first": s.first,
                 "last": s.last, "used": s.used, "left": s.left} for s in self.segments
            ],
            "credit": [
                {"channel": c.channel, "month": c.month.strftime("%Y-%m"),
                 "credit": None if c.credit is None else str(c.credit), "used": str(c.used)}
                for c in self.credit
            ],
            "per_day": [{"date": day.isoformat(), "count": n} for day, n in self.per_day],
        }  # fmt: skip


def usage_of(taxpayer: Taxpayer, period: ReportPeriod) -> Usage:
    segments = [
        SegmentUse(s.channel.name, spec(InvoiceKind(s.kind)).short_name, s.code, s.first, s.last,
                   s.next_number - s.first, s.last - s.next_number + 1)
        for s in StockSegment.objects.filter(channel__taxpayer=taxpayer)
        .select_related("channel").order_by("channel_id", "kind", "code", "first")
    ]  # fmt: skip
    digital = Channel.objects.filter(taxpayer=taxpayer, type=ChannelType.DIGITAL).order_by("pk")
    credit = [
        CreditMonth(channel.name, month, channel.monthly_credit,
                    quantize_fen(credit_used(channel, month)))
        for channel in digital for month in months_in(period)
    ]  # fmt: skip
    issued = DaySum.objects.filter(
        taxpayer=taxpayer, day__gte=period.start, day__lt=period.end
    )  # every invoice issued that day, voided or not, from the day sums
    per_day = [
        (row["day"], row["n"])
        for row in issued.values("day").annotate(n=Sum("n")).order_by("day")
        if row["n"]
    ]
    return Usage(segments=segments, credit=credit, per_day=per_day)
