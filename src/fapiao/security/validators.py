"""Password policy beyond Django's own validators: letters, digits and a special character."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError

from fapiao.domain.errors import Text


class CharacterClassesValidator:
    """At least one letter, one digit and one character that is neither (SPEC: ≥ 8 characters,
    letters + digits + special; the length is Django's MinimumLengthValidator)."""

    def validate(self, password: str, user: Any = None) -> None:
        missing = [
            name
            for name, present in (
                ("字母", any(c.isalpha() for c in password)),
                ("数字", any(c.isdigit() for c in password)),
                ("特殊字符", any(not c.isalnum() for c in password)),
            )
            if not present
        ]
        if missing:
            raise ValidationError(
                Text("密码须同时包含字母、数字和特殊字符（缺少{0}）", "、".join(missing)),
                code="password_classes",
            )

    def get_help_text(self) -> str:
        return "密码须同时包含字母、数字和特殊字符。"


class MinimumLengthValidator:
    """At least ``min_length`` characters (Django's own message has no Chinese translation)."""

    def __init__(self, min_length: int = 8) -> None:
        self.min_length = min_length

    def validate(self, password: str, user: Any = None) -> None:
        if len(password) < self.min_length:
            raise ValidationError(
                Text("密码太短：至少{0}个字符（现有{1}个）", self.min_length, len(password)),
                code="password_too_short",
            )

    def get_help_text(self) -> str:
        return f"密码至少{self.min_length}个字符。"
