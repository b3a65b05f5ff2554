"""Field shapes shared by the models: money, prices, choices from the domain's enums."""

from __future__ import annotations

import secrets

MONEY = {"max_digits": 18, "decimal_places": 2}


PRICE = {"max_digits": 30, "decimal_places": 13}


def choices_of(enum: type) -> list[tuple[str, str]]:
    return [(member.value, member.value) for member in enum]  # type: ignore[attr-defined]


def new_secret() -> bytes:
    return secrets.token_bytes(32)
