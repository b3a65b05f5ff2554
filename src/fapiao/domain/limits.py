"""Field limits, in one place (DOMAIN §3; the marked ones are our policy).

Lengths count characters, not bytes.
"""

from __future__ import annotations

from fapiao.domain.errors import DomainError, Text

PARTY_NAME = 100
ADDRESS_PHONE = 100  # 地址、电话 printed together
BANK_ACCOUNT_NUMBER = 30
BANK_NAME = 70  # policy: 开户行; with the account, 开户行及账号 prints within 100
REMARKS = 200
ITEM_NAME = 100  # policy: the printed *简称*名称
ITEM_SPEC = 40  # policy
ITEM_UNIT = 20  # policy
PERSON_NAME = 20  # policy: 收款人、复核人、开票人


class TooLong(DomainError):
    code = "too_long"


class Required(DomainError):
    code = "required"


def check_length(value: str, limit: int, *, field: str, label: str) -> None:
    if len(value) > limit:
        raise TooLong(
            Text("{0}不能超过{1}个字符（现有{2}个）", label, limit, len(value)), field=field
        )


def require(value: str, *, field: str, label: str) -> None:
    if not value.strip():
        raise Required(Text("请填写{0}", label), field=field)
