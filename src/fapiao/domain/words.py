"""价税合计 in Chinese upper case (大写) and back (DOMAIN §4).

1409.50 → 壹仟肆佰零玖圆伍角; 6007.14 → 陆仟零柒圆壹角肆分; 100.00 → 壹佰圆整; 0.05 → 伍分;
1680.32 → 壹仟陆佰捌拾圆零叁角贰分. A red invoice's negative total reads （负数）壹佰圆整.
"""

from __future__ import annotations

from decimal import Decimal

from fapiao.domain.errors import DomainError, Text
from fapiao.domain.money import quantize_fen

DIGITS = "零壹贰叁肆伍陆柒捌玖"
_SMALL_UNITS = ("", "拾", "佰", "仟")
_BIG_UNITS = ("", "万", "亿", "万亿")
NEGATIVE_PREFIX = "（负数）"
#: The largest total the words can express: just under 10¹⁶ 圆.
WORDS_MAX = Decimal("9999999999999999.99")


class AmountTooLarge(DomainError):
    code = "amount_too_large"


class BadAmountWords(DomainError):
    code = "bad_amount_words"


def _group(value: int) -> str:
    """Four digits or fewer, zeros inside collapsed: 1009 → 壹仟零玖, 1010 → 壹仟零壹拾."""
    out: list[str] = []
    pending_zero = False
    for position in range(3, -1, -1):
        digit = value // 10**position % 10
        if digit == 0:
            pending_zero = bool(out)
            continue
        if pending_zero:
            out.append("零")
            pending_zero = False
        out.append(DIGITS[digit] + _SMALL_UNITS[position])
    return "".join(out)


def _integer(value: int) -> str:
    groups = []
    while value:
        groups.append(value % 10_000)
        value //= 10_000
    out: list[str] = []
    zero_owed = False
    for index in range(len(groups) - 1, -1, -1):
        group = groups[index]
        if group == 0:
            zero_owed = bool(out)
            continue
        if out and (zero_owed or group < 1000):
            out.append("零")
        out.append(_group(group) + _BIG_UNITS[index])
        zero_owed = False
    return "".join(out)


def amount_in_words(amount: Decimal) -> str:
    """The upper-case form printed on an invoice."""
    value = quantize_fen(amount)
    if abs(value) > WORDS_MAX:
        raise AmountTooLarge("金额过大，无法转换为大写", field="total")
    prefix = NEGATIVE_PREFIX if value < 0 else ""
    fen_total = int(abs(value) * 100)
    yuan, jiao, fen = fen_total // 100, fen_total // 10 % 10, fen_total % 10
    if fen_total == 0:
        return "零圆整"
    text = _integer(yuan)
    if yuan:
        text += "圆"
    if jiao == 0 and fen == 0:
        return prefix + text + "整"
    if yuan and (yuan % 10 == 0 or jiao == 0):
        text += "零"
    if jiao:
        text += DIGITS[jiao] + "角"
    if fen:
        text += DIGITS[fen] + "分"
    return prefix + text


_UNIT_VALUES = {"拾": 10, "佰": 100, "仟": 1000}
_BIG_VALUES = {"万": 10**4, "亿": 10**8}


def _read_integer(text: str) -> int:
    total = section = digit = 0
    for char in text:
        if char in DIGITS:
            digit = DIGITS.index(char)
        elif char in _UNIT_VALUES:
            section += (digit or 1) * _UNIT_VALUES[char]
            digit = 0
        elif char in _BIG_VALUES:
            unit = _BIG_VALUES[char]
            section += digit
            # 万亿: a 亿 after a 万 multiplies everything read so far
            total = (total + section) * unit if unit > 10**4 else total + section * unit
            section = digit = 0
        else:
            raise BadAmountWords(Text("无法识别的大写金额字符“{0}”", char), field="total_in_words")
    return total + section + digit


def words_to_amount(text: str) -> Decimal:
    """Read an upper-case amount back; accepts 元 for 圆 and a trailing 正 for 整."""
    words = text.strip().replace("元", "圆").replace("正", "整").rstrip("整")
    negative = words.startswith((NEGATIVE_PREFIX, "(负数)", "负"))
    words = words.removeprefix(NEGATIVE_PREFIX).removeprefix("(负数)").removeprefix("负")
    if not words:
        raise BadAmountWords("大写金额为空", field="total_in_words")
    yuan_part, _, cents = words.rpartition("圆") if "圆" in words else ("", "", words)
    fen = 0
    for char, unit in (("角", 10), ("分", 1)):
        before, found, cents = cents.partition(char)
        if not found:
            cents = before
            continue
        before = before.lstrip("零")
        if len(before) != 1 or before not in DIGITS:
            raise BadAmountWords(Text("无法识别的大写金额“{0}”", text), field="total_in_words")
        fen += DIGITS.index(before) * unit
    if cents.strip("零"):
        raise BadAmountWords(Text("无法识别的大写金额“{0}”", text), field="total_in_words")
    value = Decimal(_read_integer(yuan_part)) + Decimal(fen) / 100
    return quantize_fen(-value if negative else value)
