"""The risk rules' judgements: thresholds, spikes over the baseline, invoices just under the
limit, business hours, and the alerts' moves."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fapiao.domain import risk

SH = ZoneInfo("Asia/Shanghai")
counts = st.lists(st.integers(min_value=0, max_value=50), min_size=1, max_size=30)


@given(today=st.integers(min_value=0, max_value=200), earlier=counts)
def test_a_spike_is_at_least_the_count_and_above_the_baseline(
    today: int, earlier: list[int]
) -> None:
    average = Decimal(sum(earlier)) / len(earlier)
    fired = risk.spike(today, earlier, count=Decimal(10), factor=Decimal(3))
    assert fired == (today >= 10 and today > 3 * average)


@given(totals=st.lists(st.decimals(min_value=0, max_value=20000, places=2), max_size=8))
def test_near_the_limit_counts_only_invoices_within_it(totals: list[Decimal]) -> None:
    limit = Decimal("10000")
    near = [t for t in totals if Decimal("9000") <= t <= limit]
    assert risk.near_limit(totals, limit, count=Decimal(3), ratio=Decimal("0.9")) == (
        len(near) >= 3
    )


def test_business_hours_and_bands() -> None:
    assert risk.outside_hours(datetime(2026, 12, 1, 6, 59, tzinfo=SH), 7, 21)
    assert not risk.outside_hours(datetime(2026, 12, 1, 7, 0, tzinfo=SH), 7, 21)
    assert risk.outside_hours(datetime(2026, 12, 1, 21, 0, tzinfo=SH), 7, 21)
    assert risk.in_band(datetime(2026, 12, 1, 3, 0, tzinfo=SH), 0, 6)
    assert not risk.in_band(datetime(2026, 12, 1, 6, 0, tzinfo=SH), 0, 6)


def test_thresholds_default_chosen_and_checked() -> None:
    assert risk.threshold("split_invoicing", "ratio") == Decimal("0.9")
    assert risk.threshold("split_invoicing", "ratio", {"ratio": Decimal("0.95")}) == Decimal("0.95")
    assert risk.thresholds_check("stock_low", {"count": " 20 "}) == {"count": Decimal(20)}
    for bad in ({"count": "-1"}, {"count": "很多"}, {"count": "NaN"}, {"nothing": "1"}):
        with pytest.raises(ValueError, match=next(iter(bad))):
            risk.thresholds_check("stock_low", bad)


def test_a_warning_three_times_its_threshold_is_critical() -> None:
    assert risk.severity_of("login_failures_name", 29, Decimal(10)) == "warning"
    assert risk.severity_of("login_failures_name", 30, Decimal(10)) == "critical"
    assert risk.severity_of("login_new_address", 100, Decimal(1)) == "info"


def test_an_alert_moves_only_forward() -> None:
    assert risk.MOVES[risk.AlertStatus.OPEN] == ("acknowledged", "resolved", "dismissed")
    assert risk.MOVES[risk.AlertStatus.RESOLVED] == ()
    assert set(risk.LIVE) == {"open", "acknowledged"}
