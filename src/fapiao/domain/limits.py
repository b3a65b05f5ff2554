"""Field limits, in one place (DOMAIN §3; the marked ones are our policy).

Lengths count characters, not bytes.
"""

from __future__ import annotations

import re

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


#: what no printed field may hold: control characters (C0, DEL, C1; a line break only in 备注),
#: invisible and direction-changing format characters (zero-width, bidirectional overrides and
#: isolates, BOM), line/paragraph separators and private-use code points
_UNPRINTABLE = (
    "\x00-\x09\x0b-\x1f\x7f-\x9f\u00ad\u061c\u115f\u1160\u180e\u200b-\u200f"
    "\u2028-\u202e\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff0-\ufffb"
    "\ue000-\uf8ff\U000e0000-\U000e007f"
)
UNPRINTABLE = re.compile(f"[{_UNPRINTABLE}\n]")
UNPRINTABLE_BUT_NEWLINE = re.compile(f"[{_UNPRINTABLE}]")


class Unprintable(DomainError):
    code = "unprintable"


def check_printable(value: str, *, field: str, label: str, newlines: bool = False) -> None:
    """Refuse a control or invisible character (BEL, ESC, U+202E, U+200B …), naming it."""
    found = (UNPRINTABLE_BUT_NEWLINE if newlines else UNPRINTABLE).search(value)
    if found is not None:
        raise Unprintable(
            Text("{0}含有不可打印的控制字符或不可见字符（U+{1}），请删除后重试", label,
                 f"{ord(found.group()):04X}"),
            field=field,
        )  # fmt: skip


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
