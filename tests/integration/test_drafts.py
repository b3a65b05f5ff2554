"""A draft is read once, at the interface: the service gets a DraftInput whose digest is the one
a replayed request was always known by, and what cannot be read is refused with its field."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fapiao.core.signing import digest
from fapiao.domain.errors import DomainError
from fapiao.invoicing.drafts import parse_draft

JSON: Any = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=6),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner,
                                                                max_size=3),
    max_leaves=8,
)  # fmt: skip
LINE = {"name": "咨询费", "tax_code": "3040201010000000000", "rate": "6%", "amount": "100"}


@given(
    extra=st.dictionaries(st.text(max_size=6).filter(lambda k: k not in {"buyer", "lines"}),
                          JSON, max_size=4),
    buyer=st.text(min_size=1, max_size=20),
    channel=st.integers(1, 2**53),
)  # fmt: skip
def test_the_digest_is_that_of_the_channel_and_the_data(
    extra: dict[str, Any], buyer: str, channel: int
) -> None:
    data = {**extra, "kind": "DIGITAL_ORDINARY", "buyer": {"name": buyer}, "lines": [LINE]}
    try:
        draft = parse_draft(data)
    except DomainError:  # a key of ``extra`` the draft reads, with a value it refuses
        return
    assert draft.digest(channel) == digest({"channel": channel, "data": data})


def test_what_cannot_be_read_is_refused_with_its_field() -> None:
    for data, field in (
        ([], "data"),
        ({"kind": "DIGITAL_ORDINARY", "buyer": "x"}, "buyer"),
        ({"kind": "DIGITAL_ORDINARY", "lines": {"name": "咨询费"}}, "lines"),
        ({"kind": "DIGITAL_ORDINARY", "mode": "gross"}, "mode"),
        ({"kind": "DIGITAL_ORDINARY", "buyer": {"email": "x@"}}, "buyer.email"),
        ({"kind": "DIGITAL_ORDINARY", "lines": [{**LINE, "rate": "7%"}]}, "lines.0.rate"),
    ):
        with pytest.raises(DomainError) as refused:
            parse_draft(data)
        assert refused.value.field == field, data
