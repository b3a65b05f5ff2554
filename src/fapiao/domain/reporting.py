"""The periods of 报表查询 and the comparisons they carry: 日报表, 月报表, 年报表 or any range of
days, the same period a year before (同比) and the period before (环比), and growth rates.

A period is half-open, ``[start, end)``, in business dates (Asia/Shanghai).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from fapiao.domain.errors import DomainError, Text

MAX_RANGE_DAYS = 3 * 366  # a range report covers at most about three years


class BadPeriod(DomainError):
    code = "bad_period"


class Span(enum.StrEnum):
    DAILY = "daily"  # 日报表
    MONTHLY = "monthly"  # 月报表
    ANNUAL = "annual"  # 年报表
    RANGE = "range"  # 任意日期范围

    @property
    def label(self) -> str:
        return {"daily": "日报表", "monthly": "月报表", "annual": "年报表", "range": "区间报表"}[
            self.value
        ]


@dataclass(frozen=True, slots=True)
class ReportPeriod:
    span: Span
    start: date
    end: date  # exclusive

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    @property
    def label(self) -> str:
        """``2026年12月``: a :class:`Text`, so a page in another language says it its way."""
        last = self.end - timedelta(days=1)
        start = self.start
        if self.span is Span.DAILY:
            return Text("{0}年{1:02d}月{2:02d}日", start.year, start.month, start.day)
        if self.span is Span.MONTHLY:
            return Text("{0}年{1:02d}月", start.year, start.month)
        if self.span is Span.ANNUAL:
            return Text("{0}年", start.year)
        return Text("{0} 至 {1}", start.isoformat(), last.isoformat())


def _month_start(day: date, months: int = 0) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _shifted_year(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a year without one
        return day.replace(year=day.year + years, day=28)


def period_of(span: Span, day: date, until: date | None = None) -> ReportPeriod:
    """The period of ``span`` that holds ``day`` (for a range: ``day`` to ``until``, both
    included)."""
    if span is Span.DAILY:
        return ReportPeriod(span, day, day + timedelta(days=1))
    if span is Span.MONTHLY:
        return ReportPeriod(span, _month_start(day), _month_start(day, 1))
    if span is Span.ANNUAL:
        return ReportPeriod(span, date(day.year, 1, 1), date(day.year + 1, 1, 1))
    if until is None:
        raise BadPeriod("请填写结束日期", field="to")
    if until < day:
        raise BadPeriod("结束日期不能早于开始日期", field="to")
    if (until - day).days + 1 > MAX_RANGE_DAYS:
        raise BadPeriod(Text("日期范围不能超过{0}天", MAX_RANGE_DAYS), field="to")
    return ReportPeriod(span, day, until + timedelta(days=1))


def year_before(period: ReportPeriod) -> ReportPeriod:
    """The same period a year earlier (同比)."""
    if period.span is Span.MONTHLY or period.span is Span.ANNUAL:
        return period_of(period.span, _shifted_year(period.start, -1))
    start = _shifted_year(period.start, -1)
    return ReportPeriod(period.span, start, start + timedelta(days=period.days))


def period_before(period: ReportPeriod) -> ReportPeriod:
    """The period just before (环比): the day, month or year before, or a range as long."""
    if period.span is Span.MONTHLY:
        return period_of(Span.MONTHLY, _month_start(period.start, -1))
    if period.span is Span.ANNUAL:
        return period_of(Span.ANNUAL, date(period.start.year - 1, 1, 1))
    return ReportPeriod(period.span, period.start - timedelta(days=period.days), period.start)


def growth(now: Decimal, before: Decimal) -> Decimal | None:
    """The change from ``before`` to ``now`` in per cent, to 0.01 % half-up; None when there was
    nothing before to compare with."""
    if before == 0:
        return None
    return ((now - before) / abs(before) * 100).quantize(Decimal("0.01"), ROUND_HALF_UP)


def _date(text: str | None, field: str) -> date | None:
    value = (text or "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise BadPeriod(Text("日期“{0}”格式应为YYYY-MM-DD", value), field=field) from None


def parse_period(
    span: str,
    *,
    today: date,
    day: str | None = None,
    month: str | None = None,
    year: str | None = None,
    start: str | None = None,
    end: str | None = None,
) -> ReportPeriod:
    """The period a request names: ``daily`` (``day``, default today), ``monthly`` (``month``
    YYYY-MM, default this month), ``annual`` (``year``, default this year), ``range`` (``start``
    and ``end``, both included)."""
    try:
        kind = Span(span)
    except ValueError:
        raise BadPeriod(
            Text("报表类型“{0}”应为 daily、monthly、annual 或 range", span), field="span"
        ) from None
    if kind is Span.DAILY:
        return period_of(kind, _date(day, "date") or today)
    if kind is Span.MONTHLY:
        text = (month or "").strip() or today.strftime("%Y-%m")
        try:
            first = date.fromisoformat(f"{text}-01")
        except ValueError:
            raise BadPeriod(Text("月份“{0}”格式应为YYYY-MM", text), field="month") from None
        return period_of(kind, first)
    if kind is Span.ANNUAL:
        text = (year or "").strip() or str(today.year)
        if not (text.isdigit() and len(text) == 4 and int(text) >= 1):
            raise BadPeriod(Text("年份“{0}”格式应为YYYY", text), field="year")
        return period_of(kind, date(int(text), 1, 1))
    begin = _date(start, "from")
    if begin is None:
        raise BadPeriod("请填写开始日期", field="from")
    return period_of(kind, begin, _date(end, "to"))


def share(part: int, whole: int) -> Decimal | None:
    """``part`` of ``whole`` in per cent, to 0.01 % half-up (a void or red rate); None of none."""
    if whole == 0:
        return None
    return (Decimal(part) / Decimal(whole) * 100).quantize(Decimal("0.01"), ROUND_HALF_UP)


def next_month(day: date) -> date:
    """The first day of the month after ``day``'s."""
    return _month_start(day, 1)


def months_in(period: ReportPeriod) -> list[date]:
    """The first day of each month the period touches."""
    first, months = _month_start(period.start), []
    while first < period.end:
        months.append(first)
        first = _month_start(first, 1)
    return months
