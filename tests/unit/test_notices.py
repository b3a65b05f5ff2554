"""The notices' rules: which channels a notice goes by, and what passes quiet hours."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fapiao.domain.notices import CHANNELS, KINDS, channels_for, off_check, passes_quiet_hours

channel_sets = st.sets(st.sampled_from(CHANNELS))


@given(kind=st.sampled_from(sorted(KINDS)), chosen=channel_sets, off=channel_sets)
def test_a_notice_goes_by_the_chosen_channels_less_those_off_for_its_kind(
    kind: str, chosen: set[str], off: set[str]
) -> None:
    channels = channels_for(kind, chosen=chosen, off={kind: sorted(off)})
    assert set(channels) == chosen - off
    assert list(channels) == [c for c in CHANNELS if c in channels]  # in a stable order
    other = next(k for k in KINDS if k != kind)
    assert set(channels_for(other, chosen=chosen, off={kind: sorted(off)})) == chosen


def test_only_a_critical_notice_passes_quiet_hours() -> None:
    assert [passes_quiet_hours(s) for s in ("info", "warning", "critical")] == [False, False, True]


def test_the_choices_per_kind_are_checked() -> None:
    assert off_check({"ticket": ["sms", "email"], "risk": []}) == {"ticket": ["email", "sms"]}
    for bad in ({"nothing": ["email"]}, {"ticket": ["fax"]}, {"ticket": "email"}):
        with pytest.raises(ValueError, match=next(iter(bad))):
            off_check(bad)
