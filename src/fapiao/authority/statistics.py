"""What the authority's pages read: 查验 per day, the most-checked invoices, clients whose checks
find nothing (enumeration), and the risk events the registry recorded."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db.models import Sum

from fapiao.authority.models import CheckCount, MissCount, Risk

#: risk kinds as the authority's clerk reads them
RISK_LABELS = {
    "bad_signature": "签名校验失败的上传",
    "conflicting_upload": "与已登记发票内容不同的上传",
}


@dataclass(frozen=True)
class CheckStatistics:
    days: list[tuple[date, int]]  # checks per day, oldest first, every day of the window
    top: list[dict[str, Any]]  # the most-checked invoices of the window
    misses: list[dict[str, Any]]  # clients with the most checks that found nothing
    total: int


def check_statistics(*, today: date, days: int = 30, limit: int = 20) -> CheckStatistics:
    since = today - timedelta(days=days - 1)
    counted = dict(
        CheckCount.objects.filter(day__gte=since, day__lte=today)
        .values_list("day")
        .annotate(n=Sum("count"))
        .values_list("day", "n")
    )
    series = [(since + timedelta(days=i), int(counted.get(since + timedelta(days=i), 0)))
              for i in range(days)]  # fmt: skip
    top = list(
        CheckCount.objects.filter(day__gte=since, day__lte=today)
        .values("invoice__code", "invoice__number", "invoice__taxpayer__name")
        .annotate(n=Sum("count"))
        .order_by("-n", "invoice__number")[:limit]
    )
    misses = list(
        MissCount.objects.filter(hour__date__gte=since)
        .values("client")
        .annotate(n=Sum("count"))
        .order_by("-n", "client")[:limit]
    )
    return CheckStatistics(series, top, misses, sum(n for _, n in series))


def risks_recent(*, limit: int = 200) -> list[Risk]:
    """The latest risk events, with their taxpayers."""
    return list(Risk.objects.select_related("taxpayer").order_by("-at", "-pk")[:limit])
