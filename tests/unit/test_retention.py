"""The rotation of backups: the newest of each recent day, week and month, nothing else."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from fapiao.domain.retention import to_keep

START = datetime(2026, 1, 1, 2, 0, tzinfo=UTC)


def test_a_year_of_nightly_backups_keeps_seven_days_four_weeks_twelve_months() -> None:
    nights = [START + timedelta(days=n) for n in range(365)]
    kept = sorted(nights[i] for i in to_keep(nights))
    newest = nights[-1]
    assert newest in kept
    assert [m for m in kept if newest - m < timedelta(days=7)] == nights[-7:]
    assert len({m.isocalendar()[:2] for m in kept}) >= 4
    assert len({(m.year, m.month) for m in kept}) == 12
    assert len(kept) <= 7 + 4 + 12


@given(
    st.lists(st.integers(0, 3 * 365 * 24), min_size=1, max_size=80, unique=True),
    st.integers(0, 10), st.integers(0, 6), st.integers(0, 14),
)  # fmt: skip
def test_the_rule_holds_for_any_history(
    hours: list[int], daily: int, weekly: int, monthly: int
) -> None:
    moments = [START + timedelta(hours=h) for h in hours]
    kept = to_keep(moments, daily=daily, weekly=weekly, monthly=monthly)
    assert max(range(len(moments)), key=lambda i: moments[i]) in kept  # the newest, always
    assert len(kept) <= max(1, daily + weekly + monthly)
    days = sorted({m.date() for m in moments}, reverse=True)[:daily]
    for day in days:  # each of the newest `daily` days keeps its newest backup
        newest_of_day = max(m for m in moments if m.date() == day)
        assert moments.index(newest_of_day) in kept
    for index in kept:  # whatever is kept is the newest of its day
        same_day = [m for m in moments if m.date() == moments[index].date()]
        assert moments[index] == max(same_day)
