"""E-mail addresses and mobile numbers as entered (drafts, catalogs, delivery, sign-in)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from fapiao.domain.errors import DomainError, Text


class BadContact(DomainError):
    code = "bad_draft"


def check_email(value: str, *, field: str) -> str:
    try:
        validate_email(value)
    except ValidationError:
        raise BadContact(Text("电子邮箱“{0}”格式不正确", value), field=field) from None
    return value


def check_mobile(value: str, *, field: str) -> str:
    """A mainland mobile number: 11 digits starting with 1 (spaces, dashes and +86 dropped)."""
    digits = value.replace(" ", "").replace("-", "")
    if digits.startswith("+86"):
        digits = digits[3:]
    if not (len(digits) == 11 and digits.isdigit() and digits.startswith("1")):
        raise BadContact(Text("手机号“{0}”应为1开头的11位数字", value), field=field)
    return digits
