from __future__ import annotations

import pytest

from fapiao.domain.kinds import (
    KINDS,
    ChannelType,
    InvoiceKind,
    RedForm,
    UnknownKind,
    kind_for_qr_type,
    kinds_for_channel,
    parse_kind,
    spec,
)

K = InvoiceKind

# (kind, qr type, number digits, code lengths, check code, voidable, paper) from DOMAIN §1
TABLE = [
    (K.VAT_SPECIAL_PAPER, "01", 8, (10,), False, True, True),
    (K.VAT_ORDINARY_PAPER, "04", 8, (10, 12), True, True, True),
    (K.VAT_SPECIAL_ELECTRONIC, "08", 8, (12,), True, False, False),
    (K.VAT_ORDINARY_ELECTRONIC, "10", 8, (12,), True, False, False),
    (K.DIGITAL_SPECIAL, "31", 20, (), False, False, False),
    (K.DIGITAL_ORDINARY, "32", 20, (), False, False, False),
]


@pytest.mark.parametrize(("kind", "qr", "digits", "codes", "check", "voidable", "paper"), TABLE)
def test_kind_table_matches_domain(
    kind: InvoiceKind,
    qr: str,
    digits: int,
    codes: tuple[int, ...],
    check: bool,
    voidable: bool,
    paper: bool,
) -> None:
    item = spec(kind)
    assert (item.qr_type, item.number_digits, item.code_lengths) == (qr, digits, codes)
    assert (item.has_check_code, item.voidable, item.paper) == (check, voidable, paper)
    assert item.has_code == bool(codes)
    assert kind_for_qr_type(qr) is kind
    assert parse_kind(qr) is kind
    assert parse_kind(item.name) is kind
    assert parse_kind(kind.value) is kind


def test_special_kinds_are_strict_about_buyers_and_rates() -> None:
    for item in KINDS.values():
        assert item.allows_zero_rates is not item.special
        assert item.allows_individual_buyer is not item.special
        assert item.requires_buyer_details is item.special
    assert {k for k, s in KINDS.items() if s.special} == {
        K.VAT_SPECIAL_PAPER,
        K.VAT_SPECIAL_ELECTRONIC,
        K.DIGITAL_SPECIAL,
    }


def test_channels_red_forms_and_face_lines() -> None:
    assert kinds_for_channel(ChannelType.DIGITAL) == (K.DIGITAL_SPECIAL, K.DIGITAL_ORDINARY)
    assert len(kinds_for_channel(ChannelType.DEVICE)) == 4
    assert spec(K.VAT_SPECIAL_PAPER).red_form is RedForm.INFO_TABLE
    assert spec(K.DIGITAL_ORDINARY).red_form is RedForm.CONFIRMATION
    assert spec(K.VAT_ORDINARY_ELECTRONIC).red_form is RedForm.NONE
    assert spec(K.VAT_ORDINARY_PAPER).face_lines == 8
    assert spec(K.DIGITAL_SPECIAL).face_lines is None
    assert spec(K.DIGITAL_SPECIAL).qr_amount_includes_tax
    assert not spec(K.VAT_ORDINARY_ELECTRONIC).qr_amount_includes_tax


def test_unknown_kinds() -> None:
    assert kind_for_qr_type("14") is None
    with pytest.raises(UnknownKind, match="不支持的发票种类“卷票”"):
        parse_kind("卷票")
