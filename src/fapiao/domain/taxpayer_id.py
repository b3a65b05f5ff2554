"""纳税人识别号: the 18-character 统一社会信用代码 (GB 32100-2015) and older forms (DOMAIN §5).

A seller's id must be a valid 统一社会信用代码. A buyer's may also be one of the older 15, 17
or 20-character ids, or an 18-digit 居民身份证 number for an individual. Both checks are pure
and cached: the same seller and the usual buyers come back on every invoice.
"""

from __future__ import annotations

import re
from functools import lru_cache

from stdnum.cn import ric, uscc
from stdnum.exceptions import InvalidChecksum, ValidationError

from fapiao.domain.errors import DomainError, Text

_ID_CHARS = re.compile(r"[0-9A-Z]+")
BUYER_ID_LENGTHS = (15, 17, 18, 20)


class BadTaxpayerId(DomainError):
    code = "bad_taxpayer_id"


class BadCheckDigit(BadTaxpayerId):
    """A code of the right shape whose check digit is wrong (a typing error, or a made-up code)."""


def compact(value: str) -> str:
    """Upper case, without spaces or dashes."""
    return re.sub(r"[\s\-]", "", value).upper()


@lru_cache(maxsize=4096)
def validate_uscc(value: str, *, field: str = "tax_id", label: str = "统一社会信用代码") -> str:
    """The compact code, or :class:`BadTaxpayerId` saying what is wrong with it."""
    number = compact(value)
    try:
        return str(uscc.validate(number))
    except InvalidChecksum:
        raise BadCheckDigit(Text("{0}“{1}”校验位不正确", label, number), field=field) from None
    except ValidationError:
        raise BadTaxpayerId(
            Text("{0}“{1}”格式不正确（应为18位数字或大写字母）", label, number), field=field
        ) from None


@lru_cache(maxsize=4096)
def validate_buyer_id(value: str, *, field: str = "buyer.tax_id") -> str:
    """A buyer's 纳税人识别号 in any of the accepted forms."""
    number = compact(value)
    label = "购买方纳税人识别号"
    if len(number) not in BUYER_ID_LENGTHS or not _ID_CHARS.fullmatch(number):
        raise BadTaxpayerId(
            Text("{0}“{1}”应为15、17、18或20位数字或大写字母", label, number), field=field
        )
    if len(number) == 18 and not (uscc.is_valid(number) or ric.is_valid(number)):
        raise BadCheckDigit(Text("{0}“{1}”校验位不正确", label, number), field=field)
    return number
