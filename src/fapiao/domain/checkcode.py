"""校验码: 20 digits a verifier can recompute and nobody can predict (DOMAIN §1, policy).

HMAC-SHA256 under the taxpayer's secret over code, number, date, seller id and 价税合计.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import date
from decimal import Decimal

from fapiao.domain.money import format_money

CHECK_CODE_DIGITS = 20


def check_code(
    *, key: bytes, code: str, number: str, issued_on: date, seller_id: str, total: Decimal
) -> str:
    message = "|".join(
        (code, number, issued_on.strftime("%Y%m%d"), seller_id, format_money(total))
    ).encode()
    digest = hmac.new(key, message, hashlib.sha256).digest()
    return f"{int.from_bytes(digest, 'big') % 10**CHECK_CODE_DIGITS:0{CHECK_CODE_DIGITS}d}"


def check_code_matches(candidate: str, **fields: object) -> bool:
    """Whether ``candidate`` is the check code of the invoice described by ``fields``."""
    expected = check_code(**fields)  # type: ignore[arg-type]
    return hmac.compare_digest(candidate.strip(), expected)


def check_code_tail(code: str) -> str:
    """The last six digits: what 查验 asks of a 普票."""
    return code[-6:]
