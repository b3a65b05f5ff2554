"""发票代码 and 发票号码: build them and read them back (DOMAIN §1).

* 12-digit code: ``0`` + 4-digit region + 2-digit year + 3-digit batch + 2-digit kind.
* 10-digit code: 4-digit region + 2-digit year + batch + kind digit (8th: 1/5 专票, 3/6 普票)
  + copies + amount version.
* 8-digit number: a sequence within a stock segment.
* 20-digit 数电 number: 2-digit year + 2-digit region + channel digit + 15-digit sequence.
"""

from __future__ import annotations

from dataclasses import dataclass

from fapiao.domain.errors import DomainError, Text
from fapiao.domain.kinds import KINDS, InvoiceKind, spec
from fapiao.domain.regions import region4, region_name


class BadInvoiceCode(DomainError):
    code = "bad_invoice_code"


class BadInvoiceNumber(DomainError):
    code = "bad_invoice_number"


@dataclass(frozen=True, slots=True)
class InvoiceCode:
    code: str
    region: str  # 4 digits
    region_name: str
    year: int
    kinds: tuple[InvoiceKind, ...]  # what a code of this shape may belong to


@dataclass(frozen=True, slots=True)
class DigitalNumber:
    number: str
    year: int
    region: str  # 2 digits
    region_name: str
    channel: str  # 1 digit
    sequence: int


SEQUENCE_8_MAX = 99_999_999
SEQUENCE_15_MAX = 10**15 - 1


def _year2(year: int) -> str:
    if not 2000 <= year <= 2099:
        raise BadInvoiceCode(Text("年份{0}超出范围", year), field="year")
    return f"{year % 100:02d}"


def build_code(
    kind: InvoiceKind,
    *,
    region: str,
    year: int,
    batch: int,
    length: int | None = None,
    copies: int = 3,
    amount_version: int = 2,
) -> str:
    """The 发票代码 of a stock batch; ``length`` defaults to the newest form the kind allows."""
    item = spec(kind)
    if not item.has_code:
        raise BadInvoiceCode(Text("{0}没有发票代码", item.name), field="code")
    length = length or item.code_lengths[-1]
    if length not in item.code_lengths:
        raise BadInvoiceCode(Text("{0}的发票代码不能是{1}位", item.name, length), field="code")
    if length == 12:
        if not 0 <= batch <= 999:
            raise BadInvoiceCode("批次必须是0至999", field="batch")
        return f"0{region4(region)}{_year2(year)}{batch:03d}{item.code12_types[0]}"
    if not (0 <= batch <= 9 and 0 <= copies <= 9 and 0 <= amount_version <= 9):
        raise BadInvoiceCode("批次、联次和金额版本各为一位数字", field="batch")
    return f"{region4(region)}{_year2(year)}{batch}{item.code10_types[0]}{copies}{amount_version}"


def parse_code(code: str, *, field: str = "code") -> InvoiceCode:
    """Read a 10- or 12-digit 发票代码; refuses anything else with a message naming ``field``."""
    text = code.strip()
    if not text.isdigit() or len(text) not in (10, 12):
        raise BadInvoiceCode("发票代码应为10位或12位数字", field=field)
    if len(text) == 12:
        if text[0] != "0":
            raise BadInvoiceCode("12位发票代码应以0开头", field=field)
        region, year, type_digits = text[1:5], text[5:7], text[10:12]
        kinds = tuple(k for k, s in KINDS.items() if type_digits in s.code12_types)
    else:
        region, year, type_digits = text[0:4], text[4:6], text[7]
        kinds = tuple(k for k, s in KINDS.items() if type_digits in s.code10_types)
    try:
        name = region_name(region)
    except DomainError:
        raise BadInvoiceCode(Text("发票代码中的地区“{0}”无效", region), field=field) from None
    return InvoiceCode(text, region, name, 2000 + int(year), kinds)


def format_number(sequence: int) -> str:
    """An 8-digit 发票号码."""
    if not 1 <= sequence <= SEQUENCE_8_MAX:
        raise BadInvoiceNumber("发票号码应在00000001至99999999之间", field="number")
    return f"{sequence:08d}"


def parse_number(number: str, *, field: str = "number") -> int:
    text = number.strip()
    if len(text) != 8 or not text.isdigit() or int(text) == 0:
        raise BadInvoiceNumber("发票号码应为8位数字", field=field)
    return int(text)


def build_digital_number(*, year: int, region: str, channel: str, sequence: int) -> str:
    """A 20-digit 数电 number; ``region`` is the 2-digit province code."""
    if len(region) != 2:
        raise BadInvoiceNumber("数电发票号码的地区代码为2位", field="region")
    region_name(region)
    if len(channel) != 1 or not channel.isdigit():
        raise BadInvoiceNumber("渠道代码为1位数字", field="channel")
    if not 1 <= sequence <= SEQUENCE_15_MAX:
        raise BadInvoiceNumber("数电发票顺序号超出范围", field="sequence")
    return f"{_year2(year)}{region}{channel}{sequence:015d}"


def parse_digital_number(number: str, *, field: str = "number") -> DigitalNumber:
    text = number.strip()
    if len(text) != 20 or not text.isdigit():
        raise BadInvoiceNumber("数电发票号码应为20位数字", field=field)
    try:
        name = region_name(text[2:4])
    except DomainError:
        raise BadInvoiceNumber(Text("发票号码中的地区“{0}”无效", text[2:4]), field=field) from None
    return DigitalNumber(text, 2000 + int(text[:2]), text[2:4], name, text[4], int(text[5:]))
