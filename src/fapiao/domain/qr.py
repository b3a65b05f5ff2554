"""The QR payload (二维码) of an invoice: build ours, read anybody's (DOMAIN §2).

``01,<type>,<code>,<number>,<amount>,<yyyymmdd>,<check code>,<crc4>,``

Old-style kinds carry 合计金额 excluding tax, with the trailing zeros dropped (``64.9``) and a
comma at the end; 数电 carry the 价税合计 with two decimals (``120.00``) and no comma after the
last field, as the real payloads are written. 专票 and 数电 leave the check code empty. The type of
电子专票 in the payload is ``20`` (real payloads; ``08`` is its 查验 type, also read). ``crc4`` is
our CRC-16/CCITT-FALSE over everything before it, upper-case hex; other issuers' values are read
as they come and never refused: what a payload says is checked against the registry instead.
Read leniently: full-width commas, spaces (also in empty fields), amounts without decimals, a
missing tail.
"""

from __future__ import annotations

import binascii
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from fapiao.domain.errors import DomainError, Text
from fapiao.domain.kinds import InvoiceKind, kind_for_qr_type, spec
from fapiao.domain.money import format_money, format_plain

QR_VERSION = "01"
_SEPARATORS = re.compile(r"[,，]")
#: payload types that differ from the kind's 查验 type (DOMAIN §1), both ways
_PAYLOAD_TYPES = {InvoiceKind.VAT_SPECIAL_ELECTRONIC: "20"}
_PAYLOAD_KINDS = {code: kind for kind, code in _PAYLOAD_TYPES.items()}


def payload_type(kind: InvoiceKind) -> str:
    return _PAYLOAD_TYPES.get(kind, spec(kind).qr_type)


def kind_of_payload_type(qr_type: str) -> InvoiceKind | None:
    return _PAYLOAD_KINDS.get(qr_type) or kind_for_qr_type(qr_type)


class BadQrPayload(DomainError):
    code = "bad_qr_payload"


@dataclass(frozen=True, slots=True)
class QrPayload:
    qr_type: str
    kind: InvoiceKind | None  # None for kinds we do not issue (e.g. 通行费)
    code: str
    number: str
    amount: Decimal
    issued_on: date
    check_code: str
    crc: str
    crc_valid: bool | None  # None when the payload had no CRC field


def crc4(text: str) -> str:
    """CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF) of the UTF-8 text, 4 upper-case hex digits."""
    return f"{binascii.crc_hqx(text.encode(), 0xFFFF):04X}"


def build_qr(
    *, kind: InvoiceKind, code: str, number: str, amount: Decimal, issued_on: date, check_code: str
) -> str:
    """The payload for one of our invoices.

    ``amount`` is the figure the kind's QR carries (see ``KindSpec.qr_amount_includes_tax``).
    """
    item = spec(kind)
    digital = item.number_digits == 20
    head = (
        ",".join(
            (
                QR_VERSION,
                payload_type(kind),
                code if item.has_code else "",
                number,
                format_money(amount) if digital else format_plain(amount),
                issued_on.strftime("%Y%m%d"),
                check_code if item.has_check_code else "",
            )
        )
        + ","
    )
    return f"{head}{crc4(head)}" + ("" if digital else ",")


def parse_qr(payload: str) -> QrPayload:
    """Read a payload leniently: spaces, full-width commas and a missing tail are tolerated."""
    parts = [part.strip() for part in _SEPARATORS.split(payload.strip())]
    if len(parts) < 6 or parts[0] != QR_VERSION:
        raise BadQrPayload("二维码内容不是发票二维码", field="qr")
    parts += [""] * (8 - len(parts))
    _, qr_type, code, number, amount_text, date_text, check, crc = parts[:8]
    try:
        amount = Decimal(amount_text)
    except InvalidOperation:
        raise BadQrPayload(Text("二维码中的金额“{0}”无效", amount_text), field="qr") from None
    if not amount.is_finite():
        raise BadQrPayload(Text("二维码中的金额“{0}”无效", amount_text), field="qr")
    if not re.fullmatch(r"\d{8}", date_text):
        raise BadQrPayload(Text("二维码中的开票日期“{0}”无效", date_text), field="qr")
    try:
        issued_on = date(int(date_text[:4]), int(date_text[4:6]), int(date_text[6:]))
    except ValueError:
        raise BadQrPayload(Text("二维码中的开票日期“{0}”无效", date_text), field="qr") from None
    if not number.isdigit() or len(number) not in (8, 20):
        raise BadQrPayload(Text("二维码中的发票号码“{0}”无效", number), field="qr")
    crc_valid = None
    if crc:
        head = payload.strip()[: payload.strip().rfind(crc)]
        crc_valid = crc.upper() == crc4(head)
    return QrPayload(
        qr_type, kind_of_payload_type(qr_type), code, number, amount, issued_on, check, crc,
        crc_valid,
    )  # fmt: skip
