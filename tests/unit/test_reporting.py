"""The periods of 报表查询, their comparisons and growth rates."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fapiao.domain.errors import DomainError
from fapiao.domain.reporting import (
    Span,
    growth,
    parse_period,
    period_before,
    period_of,
    year_before,
)

TODAY = date(2026, 12, 1)


def test_each_span_and_its_comparisons() -> None:
    month = period_of(Span.MONTHLY, date(2026, 3, 17))
    assert (month.start, month.end, month.label) == (
        date(2026, 3, 1),
        date(2026, 4, 1),
        "2026年03月",
    )
    assert (
        period_before(month).start == date(2026, 2, 1) and period_before(month).end == month.start
    )
    assert year_before(month).start == date(2025, 3, 1)
    january = period_of(Span.MONTHLY, date(2026, 1, 5))
    assert period_before(january).start == date(2025, 12, 1)
    leap = period_of(Span.DAILY, date(2024, 2, 29))
    assert year_before(leap).start == date(2023, 2, 28)
    year = period_of(Span.ANNUAL, date(2026, 6, 1))
    assert (year.start, year.end, period_before(year).start) == (
        date(2026, 1, 1), date(2027, 1, 1), date(2025, 1, 1)
    )  # fmt: skip
    span = period_of(Span.RANGE, date(2026, 11, 1), date(2026, 11, 10))
    assert span.days == 10 and period_before(span).end == span.start


def test_growth_in_per_cent_half_up() -> None:
    assert growth(Decimal("150"), Decimal("100")) == Decimal("50.00")
    assert growth(Decimal("0"), Decimal("100")) == Decimal("-100.00")
    assert growth(Decimal("1"), Decimal("3")) == Decimal("-66.67")
    assert growth(Decimal("5"), Decimal("-10")) == Decimal("150.00")  # from a net loss
    assert growth(Decimal("5"), Decimal("0")) is None


@pytest.mark.parametrize(
    ("span", "values", "field"),
    [
        ("weekly", {}, "span"),
        ("daily", {"day": "2026-02-30"}, "date"),
        ("monthly", {"month": "2026-13"}, "month"),
        ("annual", {"year": "26"}, "year"),
        ("range", {"end": "2026-01-01"}, "from"),
        ("range", {"start": "2026-01-01"}, "to"),
        ("range", {"start": "2026-02-01", "end": "2026-01-01"}, "to"),
        ("range", {"start": "2020-01-01", "end": "2026-01-01"}, "to"),
    ],
)
def test_bad_periods_are_refused_with_their_field(
    span: str, values: dict[str, str], field: str
) -> None:
    with pytest.raises(DomainError) as refused:
        parse_period(span, today=TODAY, **values)
    assert refused.value.field == field


def test_defaults_are_today_this_month_this_year() -> None:
    assert parse_period("daily", today=TODAY).start == TODAY
    assert parse_period("monthly", today=TODAY).start == date(2026, 12, 1)
    assert parse_period("annual", today=TODAY).end == date(2027, 1, 1)


@given(
    span=st.sampled_from([Span.DAILY, Span.MONTHLY, Span.ANNUAL]),
    day=st.dates(date(2001, 1, 1), date(2099, 12, 31)),
)
def test_a_period_holds_its_day_and_the_one_before_ends_where_it_starts(
    span: Span, day: date
) -> None:
    period = period_of(span, day)
    assert period.start <= day < period.end
    before = period_before(period)
    assert before.end == period.start and before.span is span
    earlier = year_before(period)
    assert earlier.start.year == period.start.year - 1 and earlier.start <= earlier.end
    if span is not Span.DAILY:
        assert period_of(span, period.end - timedelta(days=1)) == period
