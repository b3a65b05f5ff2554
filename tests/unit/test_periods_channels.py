from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fapiao.domain.channels import (
    DeviceLocked,
    Monitoring,
    OverCredit,
    OverOfflineLimit,
    OverSingleLimit,
    check_credit,
    check_device,
)
from fapiao.domain.periods import (
    LOCKED_MESSAGE,
    ClearingType,
    Cycle,
    HolidayCalendar,
    OutsideWindow,
    Period,
    PeriodError,
    check_clearing_window,
    clearing_type_for,
    filing_deadline,
    filing_window,
    is_locked,
    lock_date_after_clearing,
    next_period,
    period_of,
    previous_period,
)

NO_HOLIDAYS = HolidayCalendar()
D = Decimal
SH = ZoneInfo("Asia/Shanghai")


def test_periods_are_half_open() -> None:
    october = period_of(date(2026, 10, 31), Cycle.MONTHLY)
    assert october == Period(date(2026, 10, 1), date(2026, 11, 1))
    assert date(2026, 10, 31) in october and date(2026, 11, 1) not in october
    assert october.label == "2026年10月"
    q4 = period_of(date(2026, 11, 23), Cycle.QUARTERLY)
    assert q4 == Period(date(2026, 10, 1), date(2027, 1, 1))
    assert q4.label == "2026年第4季度"
    assert next_period(q4) == Period(date(2027, 1, 1), date(2027, 4, 1))
    assert previous_period(october) == Period(date(2026, 9, 1), date(2026, 10, 1))
    assert next_period(period_of(date(2026, 12, 5), Cycle.MONTHLY)).start == date(2027, 1, 1)


@given(st.dates(date(2000, 1, 1), date(2099, 12, 31)), st.sampled_from(list(Cycle)))
def test_every_day_is_in_exactly_its_period(day: date, cycle: Cycle) -> None:
    period = period_of(day, cycle)
    assert day in period
    assert day not in next_period(period) and day not in previous_period(period)
    assert next_period(previous_period(period)) == period


def test_deadline_is_the_15th_on_a_working_day() -> None:
    # 2026-12-15 is a Tuesday
    assert filing_deadline(2026, 12, NO_HOLIDAYS) == date(2026, 12, 15)
    # 2026-11-15 is a Sunday: the next working day
    assert filing_deadline(2026, 11, NO_HOLIDAYS) == date(2026, 11, 16)


def test_three_or_more_rest_days_extend_the_window() -> None:
    # 国庆: 1–7 October off, with two weekend working days
    national_day = HolidayCalendar(
        holidays=frozenset(date(2026, 10, d) for d in range(1, 8)),
        workdays=frozenset({date(2026, 9, 20), date(2026, 10, 10)}),
    )
    # 1–7 off (7 days) → 15 + 7 = 22 October, a Thursday
    assert filing_deadline(2026, 10, national_day) == date(2026, 10, 22)
    # a plain weekend (2 days) never extends
    assert filing_deadline(2026, 12, national_day) == date(2026, 12, 15)
    # 清明-like: Saturday 4 to Monday 6 April 2026 off → 3 days → 15 + 3 = 18 (Saturday) → 20
    qingming = HolidayCalendar(holidays=frozenset({date(2026, 4, 6)}))
    assert filing_deadline(2026, 4, qingming) == date(2026, 4, 20)


def test_published_deadlines_win_and_calendars_load_from_json() -> None:
    calendar = HolidayCalendar.from_json(
        '{"holidays": ["2026-10-01"], "workdays": ["2026-10-10"],'
        ' "deadlines": {"2026-10": "2026-10-27"}}'
    )
    assert filing_deadline(2026, 10, calendar) == date(2026, 10, 27)
    assert calendar.is_rest_day(date(2026, 10, 1))
    assert not calendar.is_rest_day(date(2026, 10, 10))  # a Saturday made a working day
    merged = NO_HOLIDAYS.merged(calendar)
    assert merged.deadlines == {"2026-10": date(2026, 10, 27)}
    with pytest.raises(PeriodError, match="节假日日历格式不正确"):
        HolidayCalendar.from_json('{"holidays": ["not a date"]}')


def test_window_lock_date_and_clearing() -> None:
    october = period_of(date(2026, 10, 5), Cycle.MONTHLY)
    window = filing_window(october, NO_HOLIDAYS)
    assert (window.opens, window.closes) == (date(2026, 11, 1), date(2026, 11, 16))
    # cleared October → may issue until November's window closes (15 December)
    lock = lock_date_after_clearing(october, NO_HOLIDAYS)
    assert lock == date(2026, 12, 15)
    assert not is_locked(lock, date(2026, 12, 15))
    assert is_locked(lock, date(2026, 12, 16))
    check_clearing_window(
        october, today=date(2026, 11, 10), calendar=NO_HOLIDAYS, clearing_type=ClearingType.MONTHLY
    )
    with pytest.raises(OutsideWindow, match="不在征期内：2026年10月的征期为11月01日至11月16日"):
        check_clearing_window(
            october,
            today=date(2026, 11, 17),
            calendar=NO_HOLIDAYS,
            clearing_type=ClearingType.MONTHLY,
        )
    with pytest.raises(OutsideWindow, match="尚未结束"):
        check_clearing_window(
            october,
            today=date(2026, 10, 31),
            calendar=NO_HOLIDAYS,
            clearing_type=ClearingType.MONTHLY,
        )
    check_clearing_window(
        october, today=date(2026, 12, 20), calendar=NO_HOLIDAYS, clearing_type=ClearingType.SPECIAL
    )


def test_quarterly_filers_clear_in_january_april_july_october() -> None:
    months = set()
    for month in range(1, 13):
        day = date(2026, month, 10)
        period = previous_period(period_of(day, Cycle.QUARTERLY))
        try:
            check_clearing_window(
                period, today=day, calendar=NO_HOLIDAYS, clearing_type=ClearingType.QUARTERLY
            )
            months.add(month)
        except OutsideWindow:
            pass
    assert months == {1, 4, 7, 10}
    assert clearing_type_for(Cycle.QUARTERLY, period_of(date(2026, 1, 1), Cycle.QUARTERLY)) is (
        ClearingType.QUARTERLY
    )
    assert clearing_type_for(Cycle.MONTHLY, period_of(date(2026, 1, 1), Cycle.MONTHLY)) is (
        ClearingType.MONTHLY
    )


MONITORING = Monitoring(
    lock_date=date(2026, 12, 15),
    single_limit=D("99999.99"),
    offline_hours=72,
    offline_amount=D("500000.00"),
)
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=SH)


def device(**kwargs: object) -> None:
    values: dict[str, object] = {
        "amount": D("1000.00"),
        "today": NOW.date(),
        "oldest_unuploaded": None,
        "unuploaded_amount": D(0),
        "now": NOW,
        **kwargs,
    }
    check_device(MONITORING, **values)  # type: ignore[arg-type]


def test_device_limits() -> None:
    device()
    device(
        amount=D("99999.99"),
        oldest_unuploaded=NOW - timedelta(hours=72),
        unuploaded_amount=D("400000.01"),
    )
    with pytest.raises(DeviceLocked) as locked:
        device(today=date(2026, 12, 16))
    assert locked.value.message == LOCKED_MESSAGE == "超过开票截止日期，请完成上期抄报、申报和清卡"
    with pytest.raises(OverSingleLimit, match="超过单张发票开票限额"):
        device(amount=D("100000.00"))
    with pytest.raises(OverOfflineLimit, match="超过离线时长"):
        device(oldest_unuploaded=NOW - timedelta(hours=72, seconds=1))
    with pytest.raises(OverOfflineLimit, match="超过离线限额"):
        device(oldest_unuploaded=NOW, unuploaded_amount=D("499000.01"))
    # a red adds nothing; online (nothing waiting), the offline amount does not apply
    device(amount=D("-1000.00"), oldest_unuploaded=NOW, unuploaded_amount=D("500000.00"))
    device(amount=D("99999.99"), unuploaded_amount=D("500000.00"))


def test_credit_line() -> None:
    check_credit(credit=D("1000.00"), used=D("900.00"), amount=D("100.00"))
    check_credit(credit=D("1000.00"), used=D("1000.00"), amount=D("-50.00"))
    with pytest.raises(OverCredit, match=r"超过授信额度（本月剩余100\.00元）"):
        check_credit(credit=D("1000.00"), used=D("900.00"), amount=D("100.01"))
