from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fapiao.domain.kinds import KINDS, InvoiceKind, spec
from fapiao.domain.qr import BadQrPayload, build_qr, crc4, parse_qr

K = InvoiceKind


def test_crc_is_ccitt_false() -> None:
    assert crc4("123456789") == "29B1"  # the catalogue check value of CRC-16/CCITT-FALSE


def test_real_old_style_payload() -> None:
    payload = parse_qr("01,10,011001605111,80100798,64.9,20161018,85342965681116380258,B6B5,")
    assert payload.kind is K.VAT_ORDINARY_ELECTRONIC
    assert (payload.code, payload.number) == ("011001605111", "80100798")
    assert payload.amount == Decimal("64.90")
    assert payload.issued_on == date(2016, 10, 18)
    assert payload.check_code == "85342965681116380258"
    assert payload.crc == "B6B5"
    assert payload.crc_valid is False  # a foreign CRC is read, not refused


def test_real_digital_payload() -> None:
    payload = parse_qr("01,32,,23442000000014209621,112,20230215,,74AE")
    assert payload.kind is K.DIGITAL_ORDINARY
    assert payload.code == "" and payload.check_code == ""
    assert payload.number == "23442000000014209621"
    assert payload.amount == Decimal("112")
    assert payload.issued_on == date(2023, 2, 15)


def test_lenient_reading() -> None:
    payload = parse_qr(" 01，04，044032600704，00000012，476.60，20261101，12345678901234567890 ")
    assert payload.kind is K.VAT_ORDINARY_PAPER
    assert payload.amount == Decimal("476.6")
    assert payload.crc == "" and payload.crc_valid is None
    assert parse_qr("01,14,011002000112,12345678,10,20200101,,").kind is None


def test_build_for_digital_carries_total_and_no_code() -> None:
    text = build_qr(
        kind=K.DIGITAL_SPECIAL,
        code="ignored",
        number="26422000000000000001",
        amount=Decimal("113.00"),
        issued_on=date(2026, 11, 2),
        check_code="x",
    )
    # as real 数电 payloads: two decimals, no comma after the check field
    assert text.startswith("01,31,,26422000000000000001,113.00,20261102,,")
    head, crc = text[:-4], text[-4:]
    assert crc == crc4(head) and not text.endswith(",")
    assert parse_qr(text).crc_valid is True


def test_electronic_special_is_type_20_and_08_is_read_too() -> None:
    text = build_qr(
        kind=K.VAT_SPECIAL_ELECTRONIC, code="044031900113", number="00000001",
        amount=Decimal("100.50"), issued_on=date(2026, 11, 2), check_code="",
    )  # fmt: skip
    assert text.startswith("01,20,044031900113,00000001,100.5,20261102,,") and text.endswith(",")
    assert parse_qr(text).kind is K.VAT_SPECIAL_ELECTRONIC
    assert parse_qr(text.replace("01,20,", "01,08,", 1)).kind is K.VAT_SPECIAL_ELECTRONIC


def test_real_variations_are_read() -> None:
    spaced = parse_qr("01,32, ,24322000000365404822,250.00,20240531, ,1A2B")
    assert (spaced.code, spaced.check_code, spaced.amount) == ("", "", Decimal("250.00"))
    assert parse_qr("01,10,011001605111,80100798,65,20161018,85342965681116380258,").amount == 65


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("hello", "不是发票二维码"),
        ("02,10,0110,80100798,1,20161018,,", "不是发票二维码"),
        ("01,10,011001605111,80100798,abc,20161018,,", "金额“abc”无效"),
        ("01,10,011001605111,80100798,Infinity,20161018,,", "金额“Infinity”无效"),
        ("01,10,011001605111,80100798,1,2016101,,", "开票日期“2016101”无效"),
        ("01,10,011001605111,80100798,1,20161332,,", "开票日期“20161332”无效"),
        ("01,10,011001605111,801007,1,20161018,,", "发票号码“801007”无效"),
    ],
)
def test_refusals(text: str, message: str) -> None:
    with pytest.raises(BadQrPayload, match=message):
        parse_qr(text)


digits = st.text(alphabet="0123456789", min_size=20, max_size=20)


@given(
    kind=st.sampled_from(list(KINDS)),
    number=st.integers(1, 99_999_999),
    amount=st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999999.99"), places=2),
    issued_on=st.dates(date(2000, 1, 1), date(2099, 12, 31)),
    check=digits,
)
def test_build_then_parse_round_trips(
    kind: InvoiceKind, number: int, amount: Decimal, issued_on: date, check: str
) -> None:
    item = spec(kind)
    number_text = f"{number:0{item.number_digits}d}"
    code = "011001605111" if item.has_code else ""
    payload = parse_qr(
        build_qr(
            kind=kind,
            code=code,
            number=number_text,
            amount=amount,
            issued_on=issued_on,
            check_code=check,
        )
    )
    assert payload.kind is kind
    assert (payload.code, payload.number) == (code, number_text)
    assert payload.amount == amount
    assert payload.issued_on == issued_on
    assert payload.check_code == (check if item.has_check_code else "")
    assert payload.crc_valid is True
