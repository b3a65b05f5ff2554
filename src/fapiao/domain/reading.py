"""What was read of a received invoice (进项发票), from every source a file offers, cross-checked.

A file offers several sources of the same facts: a 数电 XML or the XML attached to an OFD, the
OFD's CustomData and CustomTag fields, the printed QR code, the page's text and, for a picture,
what OCR saw. Each source gives a :class:`Candidate`; :func:`merge` keeps, for every field, the
value of the most trusted source that has one, with its source and confidence, and a warning
where another source says otherwise (e.g. the QR's amount is not the printed one) instead of
hiding it. It adds what can be told offline, doubting the fields a check fails: tax ids'
check digits, Σ lines = the totals, 税额 = 金额 × 税率 within 0.06 a line, 金额 + 税额 =
价税合计, 大写 = 小写.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from fapiao.domain.errors import DomainError
from fapiao.domain.numbering import parse_code, parse_digital_number
from fapiao.domain.taxpayer_id import BadCheckDigit, validate_buyer_id
from fapiao.domain.words import words_to_amount


class Source:
    XML = "xml"  # a 数电 XML file
    ATTACHED = "attached_xml"  # the original_invoice.xml inside an OFD
    CUSTOM = "ofd_custom"  # OFD.xml's CustomData
    TAGS = "ofd_tags"  # the fields CustomTag.xml points at on the page
    QR = "qr"  # the printed QR code (or the payload pasted)
    TEXT = "text"  # the page's text layer, by its layout
    OCR = "ocr"  # what OCR saw in a picture, by its layout


#: most trusted first, with the confidence a value of each source has on its own
TRUST = {
    Source.XML: 1.0,
    Source.ATTACHED: 1.0,
    Source.CUSTOM: 0.98,
    Source.TAGS: 0.97,
    Source.QR: 0.97,
    Source.TEXT: 0.9,
    Source.OCR: 0.8,
}

LABELS = {
    "kind": "发票种类",
    "invoice_code": "发票代码",
    "invoice_number": "发票号码",
    "date": "开票日期",
    "check_code": "校验码",
    "buyer_name": "购买方名称",
    "buyer_tax_id": "购买方纳税人识别号",
    "seller_name": "销售方名称",
    "seller_tax_id": "销售方纳税人识别号",
    "amount_excl_tax": "合计金额",
    "tax": "合计税额",
    "total": "价税合计",
    "total_in_words": "价税合计（大写）",
    "remarks": "备注",
    "issuer": "开票人",
}
FIELDS = tuple(LABELS)
MONEY = ("amount_excl_tax", "tax", "total")
LINE_TOLERANCE = Decimal("0.06")
_SOURCE_NAMES = {
    Source.XML: "XML",
    Source.ATTACHED: "OFD内嵌XML",
    Source.CUSTOM: "OFD自定义数据",
    Source.TAGS: "OFD标签",
    Source.QR: "二维码",
    Source.TEXT: "票面文字",
    Source.OCR: "图像识别",
}


@dataclass
class Line:
    name: str = ""
    spec: str = ""
    unit: str = ""
    quantity: str = ""
    unit_price: str = ""
    amount: Decimal | None = None
    rate: str = ""
    tax: Decimal | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "spec": self.spec,
            "unit": self.unit,
            "quantity": self.quantity or None,
            "unit_price": self.unit_price or None,
            "amount": _text(self.amount),
            "rate": self.rate or None,
            "tax": _text(self.tax),
        }


@dataclass
class Candidate:
    """What one source says: the fields it has (money as Decimal, the date as a date)."""

    source: str
    fields: dict[str, Any] = field(default_factory=dict)
    lines: list[Line] = field(default_factory=list)
    #: per field, where the source knows better than its :data:`TRUST` (OCR's scores)
    confidence: dict[str, float] = field(default_factory=dict)

    def given(self) -> dict[str, Any]:
        """The fields the source has a value for (text stripped)."""
        values = {k: v.strip() if isinstance(v, str) else v for k, v in self.fields.items()}
        return {k: v for k, v in values.items() if v not in (None, "") and k in LABELS}


@dataclass
class Found:
    value: Any
    source: str
    confidence: float


@dataclass
class Reading:
    page: int | None = None
    fields: dict[str, Found] = field(default_factory=dict)
    lines: list[Line] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def value(self, name: str) -> Any:
        found = self.fields.get(name)
        return None if found is None else found.value

    def identity(self) -> tuple[str, str]:
        """What makes the invoice one invoice across its files: (发票代码, 发票号码)."""
        return str(self.value("invoice_code") or ""), str(self.value("invoice_number") or "")

    def as_json(self) -> dict[str, Any]:
        values = {name: _text(self.value(name)) for name in FIELDS}
        return {
            "page": self.page,
            **values,
            "lines": [line.as_json() for line in self.lines],
            "sources": {name: found.source for name, found in self.fields.items()},
            "confidence": {name: round(found.confidence, 3) for name, found in self.fields.items()},
            "warnings": list(self.warnings),
        }


def _text(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _squeezed(text: str) -> str:
    return re.sub(r"\s", "", unicodedata.normalize("NFKC", text))


def _same(a: Any, b: Any) -> bool:
    """The same value, text compared without spaces and with full-width forms folded."""
    if isinstance(a, str) and isinstance(b, str):
        return _squeezed(a) == _squeezed(b)
    return bool(a == b)


def merge(candidates: list[Candidate], *, page: int | None = None) -> Reading:
    """One reading of the candidates: each field from its most trusted source, its confidence
    higher where others agree and lower where one disagrees (which is also a warning)."""
    ordered = sorted(candidates, key=lambda c: list(TRUST).index(c.source))
    reading = Reading(page=page)
    for name in FIELDS:
        said = [(c, c.given()[name]) for c in ordered if name in c.given()]
        if not said:
            continue
        (first, value), others = said[0], said[1:]
        doubt = 1 - first.confidence.get(name, TRUST[first.source])
        for other, seen in others:
            if _same(value, seen):
                doubt *= 1 - other.confidence.get(name, TRUST[other.source])
            else:
                doubt = min(1.0, doubt * 2 + 0.2)
                reading.warnings.append(
                    f"{LABELS[name]}不一致：{_SOURCE_NAMES[first.source]}为“{_text(value)}”，"
                    f"{_SOURCE_NAMES[other.source]}为“{_text(seen)}”"
                )
        reading.fields[name] = Found(value, first.source, max(0.0, 1 - doubt))
    with_lines = [c for c in ordered if c.lines]
    reading.lines = list(with_lines[0].lines) if with_lines else []
    for doubted, message in _findings(reading):
        reading.warnings.append(message)
        for name in doubted:
            if (found := reading.fields.get(name)) is not None:
                found.confidence = min(found.confidence, DOUBTED)
    return reading


#: the confidence a field has at most when an offline check of it fails, whatever its source
DOUBTED = 0.3

_Finding = tuple[tuple[str, ...], str]  # the fields a check doubts, and what it says


def rate_of(text: str) -> Decimal | None:
    """A printed rate (13%, 0.13, 免税, 不征税, ***) as a fraction; None when unreadable."""
    cleaned = text.strip().replace("％", "%")
    if cleaned in ("免税", "不征税", "***", "*") or set(cleaned) == {"*"}:
        return Decimal(0)
    try:
        if cleaned.endswith("%"):
            return Decimal(cleaned[:-1]) / 100
        return Decimal(cleaned) if cleaned else None
    except InvalidOperation:
        return None


def _tax_id_warnings(reading: Reading) -> list[_Finding]:
    found: list[_Finding] = []
    for name in ("buyer_tax_id", "seller_tax_id"):
        value = reading.value(name)
        if not value:
            continue
        try:
            validate_buyer_id(str(value), field=name)
        except BadCheckDigit:
            found.append(((name,), f"{LABELS[name]}“{value}”校验位不正确"))
        except DomainError:
            found.append(((name,), f"{LABELS[name]}“{value}”格式不正确"))
    return found


def _number_warnings(reading: Reading) -> list[_Finding]:
    code, number = reading.identity()
    found: list[_Finding] = []
    if code:
        try:
            parse_code(code)
        except DomainError:
            found.append((("invoice_code",), f"发票代码“{code}”不是有效的发票代码"))
    if not code and number and len(number) == 20:
        try:
            parse_digital_number(number)
        except DomainError:
            found.append((("invoice_number",), f"发票号码“{number}”不是有效的数电发票号码"))
    return found


def _line_warnings(reading: Reading) -> list[_Finding]:
    found: list[_Finding] = []
    for index, line in enumerate(reading.lines, 1):
        rate = rate_of(line.rate)
        if line.amount is None or line.tax is None or rate is None:
            continue
        if abs(line.amount * rate - line.tax) > LINE_TOLERANCE:
            found.append(((), f"第{index}行税额{line.tax}与金额×税率相差超过0.06元"))
    amount, tax = reading.value("amount_excl_tax"), reading.value("tax")
    if reading.lines and all(line.amount is not None for line in reading.lines):
        lines_amount = sum((line.amount or Decimal(0) for line in reading.lines), Decimal(0))
        if amount is not None and lines_amount != amount:
            message = f"各行金额之和{lines_amount}与合计金额{amount}不符"
            found.append((("amount_excl_tax",), message))
    if reading.lines and all(line.tax is not None for line in reading.lines):
        lines_tax = sum((line.tax or Decimal(0) for line in reading.lines), Decimal(0))
        if tax is not None and lines_tax != tax:
            found.append((("tax",), f"各行税额之和{lines_tax}与合计税额{tax}不符"))
    return found


def _findings(reading: Reading) -> list[_Finding]:
    """What does not add up (in Chinese) and the fields it doubts: an empty list when
    everything that is there agrees."""
    found = _tax_id_warnings(reading) + _number_warnings(reading) + _line_warnings(reading)
    amount, tax, total = (reading.value(name) for name in MONEY)
    if None not in (amount, tax, total) and amount + tax != total:
        found.append((MONEY, f"合计金额{amount}加税额{tax}不等于价税合计{total}"))
    words = reading.value("total_in_words")
    if words and total is not None:
        try:
            said = words_to_amount(str(words))
        except DomainError:
            found.append((("total_in_words",), f"价税合计大写“{words}”无法识别"))
        else:
            if said != total:
                message = f"价税合计大写“{words}”（{said}）与小写{total}不符"
                found.append((("total_in_words", "total"), message))
    return found
