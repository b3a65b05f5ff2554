"""Which drafts need approval: the rule's modes, its kinds, and bad rules refused."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fapiao.domain.approval import BadRule, Mode, check_reason, check_rule, needs_approval
from fapiao.domain.errors import DomainError

KINDS = ["DIGITAL_SPECIAL", "DIGITAL_ORDINARY"]
money = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("1e9"), places=2)


@given(money, money)
def test_over_an_amount_means_strictly_over_it(total: Decimal, over: Decimal) -> None:
    asked = needs_approval(mode=Mode.OVER, over=over, kinds=[], kind=KINDS[1], total=total)
    assert asked is (total > over)


@given(money, st.sampled_from(list(Mode)))
def test_a_named_kind_always_needs_approval_and_off_needs_none(total: Decimal, mode: Mode) -> None:
    over = Decimal("1000")
    assert needs_approval(
        mode=mode, over=over, kinds=["DIGITAL_SPECIAL"], kind="DIGITAL_SPECIAL", total=total
    )
    assert not needs_approval(
        mode=Mode.OFF, over=None, kinds=["DIGITAL_SPECIAL"], kind="DIGITAL_ORDINARY", total=total
    )
    assert needs_approval(mode=Mode.ALL, over=None, kinds=[], kind="DIGITAL_ORDINARY", total=total)


def test_bad_rules_and_reasons_are_refused_naming_the_field() -> None:
    with pytest.raises(BadRule) as no_amount:
        check_rule("over", None, [], KINDS)
    assert no_amount.value.field == "over"
    with pytest.raises(BadRule) as unknown:
        check_rule("all", None, ["PAPER"], KINDS)
    assert unknown.value.field == "kinds"
    with pytest.raises(BadRule):
        check_rule("sometimes", None, [], KINDS)
    check_rule("over", Decimal("5000"), ["DIGITAL_SPECIAL"], KINDS)
    with pytest.raises(DomainError) as empty:
        check_reason("  ")
    assert empty.value.field == "reason"
    assert check_reason(" 金额有误 ") == "金额有误"
