"""Formula neutralisation of exported cells (CSV/Excel injection)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from fapiao.core.spreadsheets import is_formula, neutralise, restore

STARTS = st.sampled_from(["", "=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠", "'", "'="])


@given(STARTS, st.text(max_size=30))
def test_a_neutralised_cell_is_never_a_formula_and_reads_back(start: str, rest: str) -> None:
    text = start + rest
    assert not is_formula(neutralise(text))
    if not (text.startswith("'") and is_formula(text[1:])):  # already quoted: read as text
        assert restore(neutralise(text)) == text


def test_numbers_stay_numbers_and_formulas_are_found() -> None:
    assert [neutralise(v) for v in ("-106.00", "+3", "12", "-")] == ["-106.00", "+3", "12", "'-"]
    assert [is_formula(v) for v in ("=1+1", "@A1", "\tx", "－5元", "北京", "-0.5")] == [
        True, True, True, True, False, False,
    ]  # fmt: skip
