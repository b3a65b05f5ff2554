"""Reading a draft invoice from outside (JSON from the API, the CLI or a batch row), once, at
the interface, into a :class:`DraftInput` that the services take, with errors that name the
field."""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass
from typing import Any

from fapiao.core.contacts import check_email, check_mobile
from fapiao.core.signing import canonical
from fapiao.domain.errors import DomainError, Text, line_field
from fapiao.domain.invoice import Draft, Party
from fapiao.domain.kinds import InvoiceKind, parse_kind
from fapiao.domain.money import parse_money, parse_price
from fapiao.domain.rates import parse_rate
from fapiao.domain.tax import LineInput, PriceMode
from fapiao.domain.taxcodes import builtin_table, validate_tax_code
from fapiao.invoicing.models import Taxpayer


class BadDraft(DomainError):
    code = "bad_draft"


def _text(data: dict[str, Any], key: str) -> str:
    value = data.get(key, "")
    return "" if value is None else str(value).strip()


def _optional(data: dict[str, Any], key: str, parse: Any, field: str, label: str) -> Any:
    value = data.get(key)
    if value is None or value == "":
        return None
    return parse(value, field=field, label=label)


def _line(data: dict[str, Any], index: int) -> LineInput:
    if not isinstance(data, dict):
        raise BadDraft(Text("第{0}行格式不正确", index + 1), field=line_field(index, ""))
    tax_code = _text(data, "tax_code")
    if tax_code:  # a wrong code is named as such, not as a missing 简称
        validate_tax_code(tax_code, field=line_field(index, "tax_code"))
    short_name = _text(data, "short_name")
    if not short_name and (known := builtin_table().get(tax_code)):
        short_name = known.short_name
    return LineInput(
        name=_text(data, "name"),
        rate=parse_rate(data.get("rate", ""), field=line_field(index, "rate")),
        amount=_optional(data, "amount", parse_money, line_field(index, "amount"), "金额"),
        quantity=_optional(data, "quantity", parse_price, line_field(index, "quantity"), "数量"),
        unit_price=_optional(
            data, "unit_price", parse_price, line_field(index, "unit_price"), "单价"
        ),
        tax=_optional(data, "tax", parse_money, line_field(index, "tax"), "税额"),
        tax_code=tax_code,
        short_name=short_name,
        spec=_text(data, "spec"),
        unit=_text(data, "unit"),
        discount=bool(data.get("discount", False)),
    )


def seller_of(taxpayer: Taxpayer) -> Party:
    return Party(
        taxpayer.name,
        taxpayer.tax_id,
        taxpayer.address,
        taxpayer.phone,
        taxpayer.bank,
        taxpayer.account,
    )


@dataclass(frozen=True)
class DraftInput:
    """A draft as an interface read it: the domain's draft but for the seller (the taxpayer as
    it stands under the issuing lock), the buyer's contact for delivery, checked, and the
    canonical JSON of what was asked (``asked``: a replayed request is known by it)."""

    draft: Draft  # its seller is empty until :meth:`for_seller`
    email: str
    mobile: str
    asked: str

    @property
    def kind(self) -> InvoiceKind:
        return self.draft.kind

    def for_seller(self, seller: Party) -> Draft:
        return dataclasses.replace(self.draft, seller=seller)

    def digest(self, channel_id: int) -> str:
        """What ``request_id`` is bound to: the channel and the draft, as
        ``core.signing.digest({"channel": channel_id, "data": data})``."""
        text = f'{{"channel":{int(channel_id)},"data":{self.asked}}}'
        return hashlib.sha256(text.encode()).hexdigest()


NO_SELLER = Party("", "")


def parse_draft(data: Any) -> DraftInput:
    """The draft that ``data`` (JSON: an object) asks for; :class:`BadDraft` naming the field
    when it cannot be read. Whether the invoice may be issued is the services' question."""
    if not isinstance(data, dict):
        raise BadDraft("发票草稿应为JSON对象", field="data")
    email, mobile = _contact(data)
    return DraftInput(
        draft=_draft(data, seller=NO_SELLER), email=email, mobile=mobile, asked=canonical(data)
    )


def _contact(data: dict[str, Any]) -> tuple[str, str]:
    """The buyer's e-mail address and mobile number for delivery (``buyer.email``,
    ``buyer.mobile``), checked; empty when not given."""
    buyer = data.get("buyer") or {}
    email = _text(buyer, "email") if isinstance(buyer, dict) else ""
    mobile = _text(buyer, "mobile") if isinstance(buyer, dict) else ""
    if email:
        email = check_email(email, field="buyer.email")
    if mobile:
        mobile = check_mobile(mobile, field="buyer.mobile")
    return email, mobile


def _draft(data: dict[str, Any], *, seller: Party) -> Draft:
    buyer = data.get("buyer") or {}
    if not isinstance(buyer, dict):
        raise BadDraft("购买方信息格式不正确", field="buyer")
    lines = data.get("lines") or []
    if not isinstance(lines, list):
        raise BadDraft("明细格式不正确", field="lines")
    try:
        mode = PriceMode(data.get("mode", PriceMode.EXCLUSIVE))
    except ValueError:
        raise BadDraft(
            "价格模式应为 exclusive（不含税）或 inclusive（含税）", field="mode"
        ) from None
    return Draft(
        kind=parse_kind(data.get("kind", "")),
        seller=seller,
        buyer=Party(
            _text(buyer, "name"),
            _text(buyer, "tax_id"),
            _text(buyer, "address"),
            _text(buyer, "phone"),
            _text(buyer, "bank"),
            _text(buyer, "account"),
            bool(buyer.get("individual", False)),
        ),
        lines=tuple(_line(line, index) for index, line in enumerate(lines)),
        mode=mode,
        remarks=_text(data, "remarks"),
        payee=_text(data, "payee"),
        reviewer=_text(data, "reviewer"),
        drawer=_text(data, "drawer"),
        difference_taxation=bool(data.get("difference_taxation", False)),
    )
