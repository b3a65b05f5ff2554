"""Tax rates (税率), including the three that print as words: 0 % 零税率, 免税 and 不征税."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from decimal import Decimal

from fapiao.domain.errors import DomainError, Text


class TaxpayerKind(enum.StrEnum):
    GENERAL = "general"  # 一般纳税人
    SMALL = "small"  # 小规模纳税人

    @property
    def label(self) -> str:
        return {"general": "一般纳税人", "small": "小规模纳税人"}[self.value]


class RateKind(enum.StrEnum):
    TAXABLE = "taxable"
    ZERO = "zero"  # 零税率 (exports)
    EXEMPT = "exempt"  # 免税
    NON_TAXABLE = "non_taxable"  # 不征税


@dataclass(frozen=True, slots=True)
class TaxRate:
    value: Decimal
    kind: RateKind = RateKind.TAXABLE

    @property
    def label(self) -> str:
        """How the invoice prints it: ``13%``, ``1.5%``, ``0%``, ``免税``, ``不征税``."""
        if self.kind is RateKind.EXEMPT:
            return "免税"
        if self.kind is RateKind.NON_TAXABLE:
            return "不征税"
        percent = (self.value * 100).normalize()
        return f"{percent:f}%"

    @property
    def key(self) -> str:
        """A stable machine form: ``0.13``, ``0``, ``exempt``, ``non_taxable``."""
        if self.kind in (RateKind.EXEMPT, RateKind.NON_TAXABLE):
            return self.kind.value
        return f"{self.value.normalize():f}"

    @property
    def is_zero_kind(self) -> bool:
        """0 %, 免税 or 不征税: never allowed on a 专票."""
        return self.kind is not RateKind.TAXABLE


def _rate(text: str) -> TaxRate:
    return TaxRate(Decimal(text))


R13, R9, R6, R5, R3, R1_5, R1 = (
    _rate(t) for t in ("0.13", "0.09", "0.06", "0.05", "0.03", "0.015", "0.01")
)
ZERO_RATE = TaxRate(Decimal(0), RateKind.ZERO)
EXEMPT = TaxRate(Decimal(0), RateKind.EXEMPT)
NON_TAXABLE = TaxRate(Decimal(0), RateKind.NON_TAXABLE)

_SPECIAL = (ZERO_RATE, EXEMPT, NON_TAXABLE)

#: Which rates each kind of taxpayer may use (DOMAIN §3).
RATES_BY_TAXPAYER: dict[TaxpayerKind, tuple[TaxRate, ...]] = {
    TaxpayerKind.GENERAL: (R13, R9, R6, R5, R3, R1_5, *_SPECIAL),
    TaxpayerKind.SMALL: (R3, R1, R1_5, R5, *_SPECIAL),
}

_ALLOWED = {kind: frozenset(rates) for kind, rates in RATES_BY_TAXPAYER.items()}


def allowed_rates(taxpayer_kind: TaxpayerKind) -> frozenset[TaxRate]:
    return _ALLOWED[taxpayer_kind]


ALL_RATES: tuple[TaxRate, ...] = (R13, R9, R6, R5, R3, R1_5, R1, *_SPECIAL)

_BY_KEY = {rate.key: rate for rate in ALL_RATES}
_BY_LABEL = {rate.label: rate for rate in ALL_RATES}
_WORDS = {"零税率": ZERO_RATE, "免征": EXEMPT, "免税": EXEMPT, "不征税": NON_TAXABLE}


class UnknownRate(DomainError):
    code = "unknown_rate"


class RateNotAllowed(DomainError):
    code = "rate_not_allowed"


def parse_rate(value: object, *, field: str = "rate") -> TaxRate:
    """Read a rate as people and programs write it: ``0.13``, ``13%``, ``13``, ``免税``…

    A bare ``0`` or ``0%`` is the 零税率; 免税 and 不征税 must be named.
    """
    if isinstance(value, TaxRate):
        return value
    if isinstance(value, float | bool):
        raise UnknownRate("税率必须以字符串给出，例如“0.13”或“13%”", field=field)
    text = str(value).strip()
    found = _BY_KEY.get(text) or _BY_LABEL.get(text) or _WORDS.get(text)
    if found is None:
        found = _numeric_rate(text)
    if found is None:
        raise UnknownRate(Text("不支持的税率“{0}”", text), field=field)
    return found


def _numeric_rate(text: str) -> TaxRate | None:
    try:
        if text.endswith("%"):
            number = Decimal(text[:-1]) / 100
        else:
            number = Decimal(text)
            if number >= 1:  # "13" means 13 %
                number /= 100
    except ArithmeticError:
        return None
    return _BY_KEY.get(f"{number.normalize():f}") if number.is_finite() else None


def check_rate_allowed(
    rate: TaxRate, taxpayer_kind: TaxpayerKind, *, field: str, where: str = ""
) -> None:
    if rate not in _ALLOWED[taxpayer_kind]:
        raise RateNotAllowed(
            Text("{0}{1}不能使用{2}税率", where, taxpayer_kind.label, rate.label), field=field
        )
