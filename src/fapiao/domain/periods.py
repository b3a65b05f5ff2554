"""Tax periods, the filing window (征期) and the device lock date (DOMAIN §7).

Periods are half-open ``[start, end)``. The window for a period runs from the 1st of the month
after it to the 15th, extended as the 税收征收管理法实施细则 (art. 109) says: by the length of
any run of three or more rest days inside it, and past a deadline that falls on a rest day. Which
days are rest days comes from a :class:`HolidayCalendar` (weekends, public holidays, and the
weekend days made working days). Every function takes the date it judges as an argument.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from importlib import resources

from fapiao.domain.errors import DomainError, Text

WINDOW_LAST_DAY = 15
LOCKED_MESSAGE = "超过开票截止日期，请完成上期抄报、申报和清卡"


class Cycle(enum.StrEnum):
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"

    @property
    def months(self) -> int:
        return 1 if self is Cycle.MONTHLY else 3

    @property
    def label(self) -> str:
        return "按月申报" if self is Cycle.MONTHLY else "按季申报"


class ClearingType(enum.StrEnum):
    MONTHLY = "月度"
    QUARTERLY = "季度"
    ANNUAL = "年度"
    SPECIAL = "特殊"  # device replacement, deregistration or 逾期


class PeriodError(DomainError):
    code = "period"


class OutsideWindow(PeriodError):
    code = "outside_window"


@dataclass(frozen=True, slots=True, order=True)
class Period:
    """A month or a quarter: ``start`` is its first day, ``end`` the first day after it."""

    start: date
    end: date

    @property
    def label(self) -> str:
        months = (self.end.year - self.start.year) * 12 + self.end.month - self.start.month
        if months == 1:
            return Text("{0}年{1}月", self.start.year, self.start.month)
        return Text("{0}年第{1}季度", self.start.year, (self.start.month - 1) // 3 + 1)

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.start <= day < self.end


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def period_of(day: date, cycle: Cycle) -> Period:
    """The period of the given cycle that contains ``day``."""
    first_month = (day.month - 1) // cycle.months * cycle.months + 1
    start = date(day.year, first_month, 1)
    return Period(start, _add_months(start, cycle.months))


def next_period(period: Period) -> Period:
    months = (period.end.year - period.start.year) * 12 + period.end.month - period.start.month
    return Period(period.end, _add_months(period.end, months))


def previous_period(period: Period) -> Period:
    months = (period.end.year - period.start.year) * 12 + period.end.month - period.start.month
    return Period(_add_months(period.start, -months), period.start)


@dataclass(frozen=True)
class HolidayCalendar:
    """Rest days: weekends and ``holidays``, less the ``workdays`` (调休 working weekends).

    ``deadlines`` pins the window's last day for a month (``"2026-10"`` → date) where the
    authority published one that the rule does not give.
    """

    holidays: frozenset[date] = frozenset()
    workdays: frozenset[date] = frozenset()
    deadlines: Mapping[str, date] = field(default_factory=dict)

    def is_rest_day(self, day: date) -> bool:
        if day in self.workdays:
            return False
        return day in self.holidays or day.weekday() >= 5

    @classmethod
    def from_json(cls, text: str) -> HolidayCalendar:
        """``{"holidays": ["2026-10-01", …], "workdays": […], "deadlines": {"2026-10": …}}``."""
        data = json.loads(text)
        try:
            return cls(
                holidays=frozenset(_dates(data.get("holidays", ()))),
                workdays=frozenset(_dates(data.get("workdays", ()))),
                deadlines={k: date.fromisoformat(v) for k, v in data.get("deadlines", {}).items()},
            )
        except (TypeError, ValueError, AttributeError) as error:
            raise PeriodError(Text("节假日日历格式不正确：{0}", error), field="calendar") from None

    def merged(self, other: HolidayCalendar) -> HolidayCalendar:
        return HolidayCalendar(
            self.holidays | other.holidays,
            self.workdays | other.workdays,
            {**self.deadlines, **other.deadlines},
        )


def _dates(values: Iterable[str]) -> Iterable[date]:
    return (date.fromisoformat(value) for value in values)


def filing_deadline(year: int, month: int, calendar: HolidayCalendar) -> date:
    """The last day of the filing window that opens on the 1st of ``year``-``month``."""
    pinned = calendar.deadlines.get(f"{year:04d}-{month:02d}")
    if pinned is not None:
        return pinned
    deadline = date(year, month, WINDOW_LAST_DAY)
    extension = 0
    day = date(year, month, 1)
    one = timedelta(days=1)
    while day <= deadline:
        if not calendar.is_rest_day(day):
            day += one
            continue
        run_start = day
        while calendar.is_rest_day(day):
            day += one
        if (day - run_start).days >= 3:
            extension += (min(day, deadline + one) - run_start).days
    deadline += timedelta(days=extension)
    while calendar.is_rest_day(deadline):
        deadline += one
    return deadline


@dataclass(frozen=True, slots=True)
class Window:
    opens: date
    closes: date  # the last day, inclusive

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.opens <= day <= self.closes


def filing_window(period: Period, calendar: HolidayCalendar) -> Window:
    """The 征期 in which ``period`` is reported, declared and cleared."""
    return Window(period.end, filing_deadline(period.end.year, period.end.month, calendar))


def lock_date_after_clearing(cleared: Period, calendar: HolidayCalendar) -> date:
    """Once ``cleared`` is cleared the device may issue until the next period's window closes."""
    return filing_window(next_period(cleared), calendar).closes


def is_locked(lock_date: date, today: date) -> bool:
    """A device past its lock date refuses to issue until it is cleared."""
    return today > lock_date


def clearing_type_for(cycle: Cycle, period: Period) -> ClearingType:
    if cycle is Cycle.QUARTERLY:
        return ClearingType.QUARTERLY
    return ClearingType.MONTHLY


def check_clearing_window(
    period: Period, *, today: date, calendar: HolidayCalendar, clearing_type: ClearingType
) -> None:
    """Raise :class:`OutsideWindow` unless ``period`` may be cleared on ``today``.

    特殊 (逾期, replacement, deregistration) clearing is allowed any time after the period.
    """
    if today < period.end:
        raise OutsideWindow(Text("{0}尚未结束，不能清卡", period.label), field="period")
    if clearing_type is ClearingType.SPECIAL:
        return
    window = filing_window(period, calendar)
    if today not in window:
        raise OutsideWindow(
            Text(
                "不在征期内：{0}的征期为{1:%m月%d日}至{2:%m月%d日}",
                period.label,
                window.opens,
                window.closes,
            ),
            field="period",
        )


def shipped_calendar() -> HolidayCalendar:
    """The holiday calendar that ships with Fapiao (``data/holidays.json``: the current year's
    public holidays and working weekends as the State Council published them)."""
    text = resources.files("fapiao.domain").joinpath("data/holidays.json").read_text("utf-8")
    return HolidayCalendar.from_json(text)
