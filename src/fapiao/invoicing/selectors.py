"""Reads: finding and listing a taxpayer's records, always scoped to that taxpayer, and their
plain-data form shared by the CLI and the API."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import F, Q, QuerySet, Sum

from fapiao.core import fastsql
from fapiao.domain.errors import DomainError, Text
from fapiao.domain.kinds import ChannelType, InvoiceKind, spec
from fapiao.domain.lifecycle import Status
from fapiao.domain.money import quantize_fen
from fapiao.domain.rates import parse_rate
from fapiao.domain.taxcodes import display_name
from fapiao.domain.words import amount_in_words
from fapiao.invoicing.models import (
    Channel,
    CreditUse,
    Event,
    Invoice,
    InvoiceLine,
    Monitoring,
    RedForm,
    StockSegment,
    Taxpayer,
)

#: a name that may be a row's id: ASCII digits that fit a 64-bit key (``'²'.isdigit()`` is true)
_ID = re.compile(r"[0-9]{1,18}")


def parse_id(text: str) -> int | None:
    """A row id given as text (a form field, a URL part), or ``None`` when it cannot be one."""
    return int(text) if _ID.fullmatch(text.strip()) else None


def credit_used(channel: Channel, month: date) -> Decimal:
    """Net amount (excluding tax) the channel issued in the month starting ``month`` (red
    invoices count negative; 数电 invoices are never voided)."""
    day = connection.ops.adapt_datefield_value(month)
    use = fastsql.get(CreditUse, channel_id=channel.pk, month=day)
    return Decimal(0) if use is None else use.used


class NotFound(DomainError):
    code = "not_found"


def taxpayer_find(tax_id: str | None) -> Taxpayer:
    """The taxpayer with ``tax_id``; without one, the only taxpayer of the installation."""
    if tax_id:
        found = Taxpayer.objects.filter(tax_id=tax_id.strip().upper()).first()
        if found is None:
            raise NotFound(Text("纳税人{0}不存在", tax_id), field="taxpayer")
        return found
    taxpayers = list(Taxpayer.objects.all()[:2])
    if len(taxpayers) != 1:
        raise NotFound(
            "请用 --taxpayer 指定纳税人识别号" if taxpayers else "还没有纳税人", field="taxpayer"
        )
    return taxpayers[0]


def channel_find(taxpayer: Taxpayer, name: str | None, *, device: bool = False) -> Channel:
    """The channel named ``name`` (or with that id); without one, the only channel (the only
    device when ``device``)."""
    if name and (found := fastsql.get(Channel, taxpayer_id=taxpayer.pk, name=name)):
        return found  # the usual case, on every API call: no query compiling
    channels = Channel.objects.filter(taxpayer=taxpayer)
    if device and not name:
        channels = channels.filter(type=ChannelType.DEVICE)
    if name:
        key = parse_id(name)
        query = Q(name=name) | (Q(pk=key) if key is not None else Q(pk__in=[]))
        found = channels.filter(query).first()
        if found is None:
            raise NotFound(Text("开票渠道“{0}”不存在", name), field="channel")
        return found
    if channels.count() != 1:
        raise NotFound("请用 --channel 指定开票渠道", field="channel")
    return channels.get()


def invoice_find(taxpayer: Taxpayer, ident: str, code: str = "") -> Invoice:
    """An invoice of ``taxpayer`` by its number, its code + number, or both run together."""
    ident = ident.strip().replace(" ", "")
    invoices = Invoice.objects.filter(taxpayer=taxpayer)
    if code:
        query = Q(code=code, number=ident)
    elif len(ident) in (18, 20) and not invoices.filter(number=ident).exists():
        query = Q(code=ident[:-8], number=ident[-8:])
    else:
        query = Q(number=ident)
    found = list(invoices.filter(query)[:2])
    if not found:
        raise NotFound(Text("发票{0}不存在", ident), field="number")
    if len(found) > 1:
        raise NotFound(Text("号码{0}对应多张发票，请同时给出发票代码", ident), field="code")
    return found[0]


def red_form_find(taxpayer: Taxpayer, number: str) -> RedForm:
    found = RedForm.objects.filter(taxpayer=taxpayer, number=number.strip()).first()
    if found is None:
        raise NotFound(Text("红字信息表/确认单{0}不存在", number), field="form")
    return found


def invoice_list(
    taxpayer: Taxpayer,
    *,
    kind: InvoiceKind | None = None,
    status: Status | None = None,
    start: date | None = None,
    end: date | None = None,
    buyer: str = "",
    number: str = "",
    item: str = "",
    min_total: Decimal | None = None,
    max_total: Decimal | None = None,
    red: bool | None = None,
    rate: str = "",
) -> QuerySet[Invoice]:
    """The taxpayer's invoices matching every filter given, newest first."""
    invoices = Invoice.objects.filter(taxpayer=taxpayer)
    if kind is not None:
        invoices = invoices.filter(kind=kind)
    if status is not None:
        invoices = invoices.filter(status=status)
    if start is not None:
        invoices = invoices.filter(issued_on__gte=start)
    if end is not None:
        invoices = invoices.filter(issued_on__lte=end)
    if buyer:
        invoices = invoices.filter(Q(buyer_name__icontains=buyer) | Q(buyer__tax_id=buyer))
    if number:
        invoices = invoices.filter(_printed_number(number))
    if item:
        invoices = invoices.filter(lines__name__icontains=item).distinct()
    if rate:  # a line at this rate (13%, 0.13, 免税 …)
        key = parse_rate(rate).key
        invoices = invoices.filter(pk__in=InvoiceLine.objects.filter(rate=key).values("invoice"))
    if min_total is not None:
        invoices = invoices.filter(total__gte=min_total)
    if max_total is not None:
        invoices = invoices.filter(total__lte=max_total)
    if red is not None:
        invoices = invoices.filter(red=red)
    return invoices.order_by("-issued_at", "-pk")


def voidable_of(taxpayer: Taxpayer, *, today: date) -> QuerySet[Invoice]:
    """Blue paper invoices that 作废 still accepts today (DOMAIN §6: a voidable kind, issued this
    calendar month, not voided or red-flushed, the month not yet reported), newest first."""
    kinds = [kind.value for kind in InvoiceKind if spec(kind).voidable]
    month = today.replace(day=1)
    return (
        Invoice.objects.filter(taxpayer=taxpayer, kind__in=kinds, red=False, issued_on__gte=month,
                               issued_on__lte=today)
        .exclude(status__in=[Status.VOIDED, Status.RED_FULL, Status.RED_PARTIAL])
        .exclude(channel__reported_through__gte=F("issued_on"))
        .order_by("-issued_at", "-pk")
    )  # fmt: skip


def red_forms_of(taxpayer: Taxpayer, *, status: str = "") -> QuerySet[RedForm]:
    """The taxpayer's 红字信息表 and 确认单, newest first, with their blue invoices."""
    forms = RedForm.objects.filter(taxpayer=taxpayer).select_related("blue")
    if status:
        forms = forms.filter(status=status)
    return forms.order_by("-created_at", "-pk")


def _printed_number(text: str) -> Q:
    """Invoices whose number as printed is ``text``: a part of the number, the 代码 alone, or
    代码 and 号码 run together (10- or 12-digit code, 8-digit number); spaces are ignored."""
    digits = "".join(text.split())
    found = Q(number__contains=digits) | Q(code=digits)
    for code_length in (10, 12):
        if len(digits) == code_length + 8 and digits.isdigit():
            found |= Q(code=digits[:code_length], number=digits[code_length:])
    return found


def invoice_as_dict(invoice: Invoice, *, lines: bool = True) -> dict[str, Any]:
    """The invoice as plain data (money as strings, dates ISO)."""
    kind = InvoiceKind(invoice.kind)
    data: dict[str, Any] = {
        "id": invoice.pk,
        "kind": kind.value,
        "kind_name": spec(kind).name,
        "code": invoice.code,
        "number": invoice.number,
        "issued_at": invoice.issued_at.isoformat(),
        "issued_on": invoice.issued_on.isoformat(),
        "status": invoice.status,
        "status_name": Status(invoice.status).label,
        "red": invoice.red,
        "blue": str(invoice.blue) if invoice.blue_id else None,
        "red_reason": invoice.red_reason,
        "seller": invoice.seller,
        "buyer": invoice.buyer,
        "amount": str(invoice.amount),
        "tax": str(invoice.tax),
        "total": str(invoice.total),
        "total_in_words": amount_in_words(invoice.total),
        "check_code": invoice.check_code,
        "qr": invoice.qr,
        "remarks": invoice.remarks,
        "payee": invoice.payee,
        "reviewer": invoice.reviewer,
        "drawer": invoice.drawer,
        "signature": {
            "algorithm": invoice.signing_key.algorithm,
            "key": invoice.signing_key_id,
            "value": invoice.signature,
        },
    }
    if lines:
        data["lines"] = [
            {
                "name": display_name(line.short_name, line.name),
                "tax_code": line.tax_code,
                "spec": line.spec,
                "unit": line.unit,
                "quantity": None if line.quantity is None else f"{line.quantity.normalize():f}",
                "unit_price": None
                if line.unit_price is None
                else f"{line.unit_price.normalize():f}",
                "amount": str(line.amount),
                "rate": parse_rate(line.rate).label,
                "tax": str(line.tax),
                "discount": line.discount,
            }
            for line in invoice.lines.all()
        ]
    return data


def red_form_as_dict(form: RedForm) -> dict[str, Any]:
    return {
        "number": form.number,
        "type": form.type,
        "blue": str(form.blue),
        "reason": form.reason,
        "raised_by": form.raised_by,
        "status": form.status,
        "status_name": form.get_status_display(),
        "amount": str(form.amount),
        "tax": str(form.tax),
        "total": str(form.total),
        "created_at": form.created_at.isoformat(),
        "expires_at": form.expires_at.isoformat() if form.expires_at else None,
    }


def channel_as_dict(channel: Channel, *, today: date) -> dict[str, Any]:
    """A channel with what it can still issue: stock left per kind, or credit left this month."""
    data: dict[str, Any] = {
        "id": channel.pk,
        "name": channel.name,
        "type": channel.type,
        "device_number": channel.device_number,
        "device_kind": channel.device_kind,
    }
    if channel.type == ChannelType.DIGITAL:
        used = quantize_fen(credit_used(channel, today.replace(day=1)))
        credit = channel.monthly_credit
        data.update(
            monthly_credit=None if credit is None else str(credit),
            credit_used=str(used),
            credit_left=None if credit is None else str(credit - used),
        )
        return data
    stock = (
        StockSegment.objects.filter(channel=channel)
        .values("kind")
        .annotate(left=Sum(F("last") - F("next_number") + 1))
    )
    data["stock"] = {row["kind"]: row["left"] for row in stock}
    data["monitoring"] = {
        item.kind: {
            "lock_date": item.lock_date.isoformat(),
            "single_limit": str(item.single_limit),
            "offline_hours": item.offline_hours,
            "offline_amount": str(item.offline_amount),
        }
        for item in Monitoring.objects.filter(channel=channel)
    }
    return data


# --- reads that several interfaces make (pages, API, commands) --------------------------------


def invoice_get(taxpayer: Taxpayer, pk: int) -> Invoice:
    """The taxpayer's invoice with what its pages and answers show, or :class:`NotFound`
    (another taxpayer's id is as unknown as a missing one)."""
    found = (
        Invoice.objects.filter(taxpayer=taxpayer, pk=pk)
        .select_related("signing_key", "blue", "channel", "taxpayer")
        .first()
    )
    if found is None:
        raise NotFound("发票不存在", field="id")
    return found


def invoice_events(invoice: Invoice) -> QuerySet[Event]:
    """The invoice's history, oldest first."""
    return Event.objects.filter(invoice=invoice).order_by("sequence")


def red_form_get(taxpayer: Taxpayer, number: str, *, field: str = "number") -> RedForm:
    """The taxpayer's 信息表 or 确认单 by its number, or :class:`NotFound`."""
    found = RedForm.objects.filter(taxpayer=taxpayer, number=number).first()
    if found is None:
        raise NotFound("红字信息表/确认单不存在", field=field)
    return found


def channels_of(taxpayer: Taxpayer) -> list[Channel]:
    return list(Channel.objects.filter(taxpayer=taxpayer).order_by("pk"))
