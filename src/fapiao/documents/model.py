"""An invoice as the documents show it: plain, already formatted data, no database.

Renderers (PDF, XML, OFD) take a :class:`Document`; ``documents.services`` builds one from a
stored invoice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from fapiao.domain.invoice import Party
from fapiao.domain.kinds import InvoiceKind, KindSpec, spec
from fapiao.domain.money import format_money
from fapiao.domain.words import amount_in_words

#: the rates that are no rate, and what real invoices print (and their XML carries) for the tax
UNTAXED = ("免税", "不征税")
UNTAXED_TAX = "***"


@dataclass(frozen=True, slots=True)
class DocLine:
    name: str  # *简称*名称
    spec: str
    unit: str
    quantity: str  # as printed: no trailing zeros, empty when none
    unit_price: str
    amount: Decimal
    rate: str  # 13%, 免税 …
    tax: Decimal
    tax_code: str = ""
    rate_value: str = ""  # 0.13, for the XML; 免税 / 不征税 as printed

    @property
    def untaxed(self) -> bool:
        """免税 or 不征税: no tax at all, printed ``***`` as real invoices do (0% is a rate)."""
        return self.rate in UNTAXED

    @property
    def tax_text(self) -> str:
        return UNTAXED_TAX if self.untaxed else format_money(self.tax)


@dataclass(frozen=True, slots=True)
class Document:
    kind: InvoiceKind
    code: str
    number: str
    issued_at: datetime
    seller: Party
    buyer: Party
    lines: tuple[DocLine, ...]
    amount: Decimal
    tax: Decimal
    total: Decimal
    qr: str
    check_code: str = ""
    remarks: str = ""
    payee: str = ""
    reviewer: str = ""
    drawer: str = ""
    red: bool = False
    region: str = ""  # 2 or 4 digits, for the old-style title
    device_number: str = ""
    signature: str = ""
    signature_algorithm: str = ""
    key_fingerprint: str = ""
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def spec(self) -> KindSpec:
        return spec(self.kind)

    @property
    def issued_on(self) -> date:
        return self.issued_at.date()

    @property
    def total_in_words(self) -> str:
        return amount_in_words(self.total)

    @property
    def ident(self) -> str:
        return f"{self.code}{self.number}"


@dataclass(frozen=True, slots=True)
class Sheet:
    """One page of an invoice printed on several: which, of how many, and its lines."""

    number: int
    count: int
    lines: tuple[DocLine, ...]

    @property
    def last(self) -> bool:
        return self.number == self.count

    @property
    def amount(self) -> Decimal:
        return sum((line.amount for line in self.lines), Decimal(0))

    @property
    def tax(self) -> Decimal:
        return sum((line.tax for line in self.lines), Decimal(0))


def money(value: Decimal) -> str:
    """An amount as printed on the invoice: two decimals, no thousands separator."""
    return format_money(value)
