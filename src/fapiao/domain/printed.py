"""What the printed face of an invoice says, read from its text (a PDF's text layer, an OFD's
page text): the figures 查验 needs, whoever issued it.

The text of a real invoice comes in layout order, not reading order: labels first, values
later, words broken across lines, sometimes every glyph apart. So each figure is found by its
own shape and checked against the others rather than by its label: a 数电 number is 20 digits
whose region is real; an older code (the older kinds print the label 发票代码, 数电 do not) is 10
or 12 digits that read as a code, its number the first 8-digit run after it; the 价税合计 is the
¥ figure whose amount in words is printed too (else the largest), and 合计金额 the figure that
with another makes it up.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from fapiao.domain.errors import DomainError
from fapiao.domain.numbering import parse_code, parse_digital_number
from fapiao.domain.words import amount_in_words

_DIGITS = str.maketrans("０１２３４５６７８９￥：", "0123456789¥:")


@dataclass(frozen=True, slots=True)
class Printed:
    code: str = ""
    number: str = ""
    issued_on: date | None = None
    total: Decimal | None = None  # 价税合计
    amount: Decimal | None = None  # 合计金额, excluding tax
    check_code: str = ""


def _runs(text: str, length: int) -> list[tuple[int, str]]:
    return [(m.start(), m.group()) for m in re.finditer(rf"(?<!\d)\d{{{length}}}(?!\d)", text)]


def _valid(read: object, value: str) -> bool:
    try:
        read(value)  # type: ignore[operator]
    except DomainError:
        return False
    return True


def _date(text: str) -> date | None:
    for pattern in (
        r"(20\d{2})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日",
        r"(?<!\d)(20\d{2})\s+(\d{2})\s+(\d{2})(?!\d)",
        r"(?<!\d)(20\d{2})-(\d{2})-(\d{2})(?!\d)",
    ):
        for match in re.finditer(pattern, text):
            try:
                return date(int(match[1]), int(match[2]), int(match[3]))
            except ValueError:
                continue
    return None


def _figures(text: str) -> list[Decimal]:
    values = []
    for match in re.finditer(r"¥\s*(-?\d+(?:\.\d{1,2})?)", text):
        try:
            values.append(Decimal(match[1]))
        except InvalidOperation:  # pragma: no cover - the pattern admits only numbers
            continue
    return values


def _totals(text: str) -> tuple[Decimal | None, Decimal | None]:
    figures = _figures(text)
    if not figures:
        return None, None
    squeezed = re.sub(r"\s+", "", text)
    in_words = [value for value in figures if amount_in_words(value) in squeezed]
    # 贰角 is within 贰角壹分: the longest words printed are those of the total
    total = (
        max(in_words, key=lambda value: (len(amount_in_words(value)), abs(value)))
        if in_words
        else max(figures, key=abs)
    )
    others = list(figures)
    others.remove(total)
    parts = [a for a in others for t in others if a is not t and a + t == total]
    amount = max(parts, key=abs) if parts else (total if total in others else None)
    return total, amount


def read_printed(text: str) -> Printed:
    """The figures found in ``text``; each one empty (or None) when it is not there."""
    text = text.translate(_DIGITS)
    total, amount = _totals(text)
    check = re.search(r"(?<!\d)(\d{5})\s+(\d{5})\s+(\d{5})\s+(\d{5})(?!\d)", text)
    check_code = "".join(check.groups()) if check else ""
    if not check_code and (joined := re.search(r"校\s*验\s*码\s*[:：]?\s*(\d{20})", text)):
        check_code = joined[1]
    if not re.search(r"发\s*票\s*代\s*码", text):  # 数电: no code, a 20-digit number
        digital = [run for _, run in _runs(text, 20) if _valid(parse_digital_number, run)]
        number = digital[0] if digital else ""
        return Printed(number=number, issued_on=_date(text), total=total, amount=amount)
    codes = [(at, run) for length in (12, 10) for at, run in _runs(text, length)
             if _valid(parse_code, run)]  # fmt: skip
    code_at, code = min(codes) if codes else (0, "")
    numbers = [run for at, run in _runs(text, 8) if at > code_at and int(run)]
    return Printed(
        code=code,
        number=numbers[0] if code and numbers else "",
        issued_on=_date(text),
        total=total,
        amount=amount,
        check_code=check_code,
    )
