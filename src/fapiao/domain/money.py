"""Money and other decimal quantities: one quantizer, never a float."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from fapiao.domain.errors import DomainError, Text

FEN = Decimal("0.01")
ZERO = Decimal("0.00")

#: Unit price and quantity keep up to 15 significant digits and 13 decimals (DOMAIN §3).
PRICE_MAX_DECIMALS = 13
PRICE_MAX_DIGITS = 15

#: The largest amount any field may hold: 15 digits before the point.
MONEY_MAX = Decimal("999999999999999.99")


class NotANumber(DomainError):
    code = "not_a_number"


class TooPrecise(DomainError):
    code = "too_precise"


def quantize_fen(value: Decimal) -> Decimal:
    """Round to 分 (0.01) half-up (四舍五入), away from zero for negatives."""
    return value.quantize(FEN, rounding=ROUND_HALF_UP)


def to_decimal(value: object, *, field: str, label: str) -> Decimal:
    """Read a user-supplied number: a ``str``, ``int`` or ``Decimal``, never a float.

    ``label`` is the Chinese name of the field used in the message.
    """
    if isinstance(value, bool | float):
        raise NotANumber(Text("{0}必须以字符串或整数给出，不接受浮点数", label), field=field)
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, str):
        text = value.strip().replace(",", "")
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise NotANumber(Text("{0}“{1}”不是有效的数字", label, value), field=field) from None
    else:
        raise NotANumber(Text("{0}不是有效的数字", label), field=field)
    if not number.is_finite():
        raise NotANumber(Text("{0}“{1}”不是有效的数字", label, value), field=field)
    return number


def parse_money(value: object, *, field: str, label: str) -> Decimal:
    """A money amount as entered: at most two decimals and within :data:`MONEY_MAX`."""
    number = to_decimal(value, field=field, label=label)
    if decimals(number) > 2:
        raise TooPrecise(Text("{0}最多保留两位小数", label), field=field)
    if abs(number) > MONEY_MAX:
        raise TooPrecise(Text("{0}超出允许的范围", label), field=field)
    return quantize_fen(number)


def optional_money(value: object, *, field: str, label: str) -> Decimal | None:
    """:func:`parse_money` of what was typed, None when nothing was (the default applies)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return parse_money(value, field=field, label=label)


def parse_price(value: object, *, field: str, label: str) -> Decimal:
    """A unit price or quantity as entered: ≤ 13 decimals and ≤ 15 significant digits."""
    number = to_decimal(value, field=field, label=label)
    if decimals(number) > PRICE_MAX_DECIMALS:
        raise TooPrecise(Text("{0}最多保留{1}位小数", label, PRICE_MAX_DECIMALS), field=field)
    if significant_digits(number) > PRICE_MAX_DIGITS:
        raise TooPrecise(Text("{0}最多{1}位有效数字", label, PRICE_MAX_DIGITS), field=field)
    return strip_zeros(number)


def round_price(value: Decimal) -> Decimal:
    """A derived unit price or quantity rounded to 13 decimals and 15 significant digits.

    ``250 / 1.06`` becomes ``235.849056603774``; ``4056 / 1.13`` becomes ``3589.38053097345``.
    """
    if not value:
        return Decimal(0)
    places = min(PRICE_MAX_DECIMALS, PRICE_MAX_DIGITS - (value.adjusted() + 1))
    return strip_zeros(value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))


def strip_zeros(number: Decimal) -> Decimal:
    """The same value without trailing zeros and without an exponent: ``1E+3`` → ``1000``."""
    if not number:
        return Decimal(0)
    normal = number.normalize()
    exponent = normal.as_tuple().exponent
    assert isinstance(exponent, int)
    return normal.quantize(Decimal(1)) if exponent > 0 else normal


def _exact(number: Decimal) -> tuple[tuple[int, ...], int]:
    """The digits and exponent without trailing zeros, exactly: ``normalize()`` would round to
    the context's 28 digits first, and a 30-decimal price would pass as a short one."""
    _, digits, exponent = number.as_tuple()
    assert isinstance(exponent, int)
    count = len(digits)
    while count > 1 and digits[count - 1] == 0:
        count -= 1
    exponent += len(digits) - count
    digits = digits[:count]
    while len(digits) > 1 and digits[0] == 0:
        digits = digits[1:]
    return digits, exponent


def decimals(number: Decimal) -> int:
    """How many digits stand after the point, trailing zeros not counted."""
    if not number:
        return 0
    return max(0, -_exact(number)[1])


def significant_digits(number: Decimal) -> int:
    """How many digits the number has from its first non-zero digit to its last decimal."""
    if not number:
        return 1
    digits, exponent = _exact(number)
    return len(digits) if exponent <= 0 else len(digits) + exponent


def format_money(value: Decimal) -> str:
    """Two decimals, no grouping: ``1409.50``, ``-12.00``."""
    return f"{quantize_fen(value):.2f}"


def format_plain(value: Decimal) -> str:
    """The shortest exact form, without exponent: ``112``, ``476.6``, ``0.05``."""
    return f"{strip_zeros(value):f}"
