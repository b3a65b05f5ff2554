"""Services that write: each is one transaction with its event (services write, selectors read).

Numbers are allocated under a row lock on the taxpayer inside the issuing transaction, so two
issuers never get the same number and a failed or killed transaction leaves no gap.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.utils import timezone

from fapiao.domain import channels as channel_rules
from fapiao.domain.checkcode import check_code
from fapiao.domain.errors import DomainError
from fapiao.domain.invoice import validate_draft
from fapiao.domain.kinds import ChannelType, InvoiceKind, spec
from fapiao.domain.numbering import build_digital_number, format_number, parse_code
from fapiao.domain.qr import build_qr
from fapiao.domain.rates import TaxpayerKind
from fapiao.domain.regions import region_name
from fapiao.domain.taxpayer_id import validate_uscc
from fapiao.invoicing.drafts import draft_from_data
from fapiao.invoicing.ledger import digest, event_append, invoice_digest
from fapiao.invoicing.models import (
    Channel,
    DigitalCounter,
    Invoice,
    InvoiceLine,
    StockSegment,
    Taxpayer,
)


class IssueRefused(DomainError):
    code = "issue_refused"


class IdempotencyConflict(DomainError):
    code = "idempotency_conflict"


NO_STOCK_MESSAGE = "发票库存不足，请领购发票"
FUTURE_MESSAGE = "开票日期不能晚于当前时间"


def taxpayer_lock(pk: int) -> Taxpayer:
    """The taxpayer row, locked: every write of a taxpayer (numbers, ledger) queues on it."""
    return Taxpayer.objects.select_for_update().get(pk=pk)


def local_date(moment: datetime) -> date:
    return timezone.localtime(moment).date()


@transaction.atomic
def taxpayer_create(
    *,
    name: str,
    tax_id: str,
    kind: TaxpayerKind,
    region: str,
    actor: str,
    address: str = "",
    phone: str = "",
    bank: str = "",
    account: str = "",
    at: datetime | None = None,
) -> Taxpayer:
    region_name(region)
    taxpayer = Taxpayer.objects.create(
        name=name.strip(),
        tax_id=validate_uscc(tax_id),
        kind=kind,
        region=region,
        address=address,
        phone=phone,
        bank=bank,
        account=account,
    )
    taxpayer = taxpayer_lock(taxpayer.pk)
    event_append(
        taxpayer=taxpayer,
        type="taxpayer.created",
        actor=actor,
        at=at or timezone.now(),
        payload={"name": taxpayer.name, "tax_id": taxpayer.tax_id},
    )
    return taxpayer


@transaction.atomic
def channel_create(
    *, taxpayer: Taxpayer, type: ChannelType, name: str, actor: str, **fields: Any
) -> Channel:
    locked = taxpayer_lock(taxpayer.pk)
    channel = Channel.objects.create(taxpayer=locked, type=type, name=name, **fields)
    event_append(
        taxpayer=locked,
        type="channel.created",
        actor=actor,
        at=timezone.now(),
        payload={"channel": channel.pk, "type": type.value, "name": name},
    )
    return channel


@transaction.atomic
def stock_receive(
    *,
    channel: Channel,
    kind: InvoiceKind,
    code: str,
    first: int,
    last: int,
    received_from: str,
    actor: str,
) -> StockSegment:
    """Record a segment of invoice stock handed to a device, and where it came from."""
    if channel.type != ChannelType.DEVICE or spec(kind).channel is not ChannelType.DEVICE:
        raise IssueRefused(f"{spec(kind).name}不能领入该渠道", field="kind")
    if kind not in parse_code(code).kinds:
        raise IssueRefused(f"发票代码{code}不属于{spec(kind).name}", field="code")
    if not 1 <= first <= last <= 99_999_999:
        raise IssueRefused("号码段不正确", field="first")
    locked = taxpayer_lock(channel.taxpayer_id)
    if StockSegment.objects.filter(code=code, first__lte=last, last__gte=first).exists():
        raise IssueRefused("号码段与已有库存重叠", field="first")
    now = timezone.now()
    segment = StockSegment.objects.create(
        channel=channel,
        kind=kind,
        code=code,
        first=first,
        last=last,
        next_number=first,
        received_from=received_from,
        received_at=now,
    )
    event_append(
        taxpayer=locked,
        type="stock.received",
        actor=actor,
        at=now,
        payload={
            "channel": channel.pk,
            "kind": kind.value,
            "code": code,
            "first": first,
            "last": last,
            "from": received_from,
        },
    )
    return segment


def _allocate(
    *, taxpayer: Taxpayer, channel: Channel, kind: InvoiceKind, issued_on: date
) -> tuple[str, str]:
    """The next code and number of the channel; the caller holds the taxpayer's lock."""
    if spec(kind).digital:
        counter, _ = DigitalCounter.objects.get_or_create(taxpayer=taxpayer, year=issued_on.year)
        number = build_digital_number(
            year=issued_on.year,
            region=taxpayer.region[:2],
            channel=channel.channel_digit,
            sequence=counter.next_sequence,
        )
        counter.next_sequence += 1
        counter.save(update_fields=["next_sequence"])
        return "", number
    segment = (
        StockSegment.objects.filter(channel=channel, kind=kind, next_number__lte=F("last"))
        .order_by("received_at", "first")
        .first()
    )
    if segment is None:
        raise IssueRefused(NO_STOCK_MESSAGE, field="kind")
    number = format_number(segment.next_number)
    segment.next_number += 1
    segment.save(update_fields=["next_number"])
    return segment.code, number


def _check_channel(
    *, channel: Channel, kind: InvoiceKind, amount: Decimal, issued_at: datetime
) -> None:
    if spec(kind).channel.value != channel.type:
        raise IssueRefused(f"{spec(kind).name}不能通过该开票渠道开具", field="channel")
    if channel.type == ChannelType.DIGITAL:
        if channel.monthly_credit is not None:
            month = local_date(issued_at).replace(day=1)
            used = Invoice.objects.filter(channel=channel, issued_on__gte=month).aggregate(
                used=Sum("amount")
            )["used"] or Decimal(0)
            channel_rules.check_credit(credit=channel.monthly_credit, used=used, amount=amount)
        return
    if channel.lock_date and channel.single_limit is not None:
        channel_rules.check_device(
            channel_rules.Monitoring(
                channel.lock_date,
                channel.single_limit,
                channel.offline_hours or 0,
                channel.offline_amount or Decimal(0),
            ),
            amount=amount,
            today=local_date(issued_at),
            oldest_unuploaded=None,
            unuploaded_amount=Decimal(0),
            now=issued_at,
        )


def invoice_issue(
    *,
    taxpayer: Taxpayer,
    channel: Channel,
    data: dict[str, Any],
    request_id: str | None,
    actor: str,
    issued_at: datetime | None = None,
    now: datetime | None = None,
) -> Invoice:
    """Issue a blue invoice from ``data`` (the draft as JSON); idempotent on ``request_id``."""
    now = now or timezone.now()
    issued_at = issued_at or now
    if issued_at > now:
        raise IssueRefused(FUTURE_MESSAGE, field="issued_at")
    content = digest({"channel": channel.pk, "data": data})
    try:
        return _issue(
            taxpayer=taxpayer,
            channel=channel,
            data=data,
            request_id=request_id,
            actor=actor,
            issued_at=issued_at,
            content=content,
        )
    except IntegrityError:
        # a concurrent replay of the same request won the race: answer with its invoice
        if request_id is None:
            raise
        return _replay(taxpayer, request_id, content)


def _replay(taxpayer: Taxpayer, request_id: str, content: str) -> Invoice:
    existing = Invoice.objects.get(taxpayer=taxpayer, request_id=request_id)
    if existing.content_hash != content:
        raise IdempotencyConflict("该请求号已用于内容不同的开票请求", field="request_id")
    return existing


@transaction.atomic
def _issue(
    *,
    taxpayer: Taxpayer,
    channel: Channel,
    data: dict[str, Any],
    request_id: str | None,
    actor: str,
    issued_at: datetime,
    content: str,
) -> Invoice:
    locked = taxpayer_lock(taxpayer.pk)
    if channel.taxpayer_id != locked.pk:
        raise IssueRefused("开票渠道不属于该纳税人", field="channel")
    if (
        request_id is not None
        and Invoice.objects.filter(taxpayer=locked, request_id=request_id).exists()
    ):
        return _replay(locked, request_id, content)
    draft = draft_from_data(data, taxpayer=locked)
    computed = validate_draft(draft, taxpayer_kind=TaxpayerKind(locked.kind))
    totals = computed.totals
    _check_channel(channel=channel, kind=draft.kind, amount=totals.amount, issued_at=issued_at)
    issued_on = local_date(issued_at)
    code, number = _allocate(taxpayer=locked, channel=channel, kind=draft.kind, issued_on=issued_on)
    item = spec(draft.kind)
    check = (
        check_code(
            key=bytes(locked.secret),
            code=code,
            number=number,
            issued_on=issued_on,
            seller_id=locked.tax_id,
            total=totals.total,
        )
        if item.has_check_code
        else ""
    )
    invoice = Invoice.objects.create(
        taxpayer=locked,
        channel=channel,
        kind=draft.kind,
        code=code,
        number=number,
        issued_at=issued_at,
        issued_on=issued_on,
        mode=draft.mode,
        seller=asdict(draft.seller),
        buyer=asdict(draft.buyer),
        buyer_name=draft.buyer.name,
        remarks=draft.remarks,
        payee=draft.payee,
        reviewer=draft.reviewer,
        drawer=draft.drawer,
        amount=totals.amount,
        tax=totals.tax,
        total=totals.total,
        check_code=check,
        qr=build_qr(
            kind=draft.kind,
            code=code,
            number=number,
            amount=totals.total if item.qr_amount_includes_tax else totals.amount,
            issued_on=issued_on,
            check_code=check,
        ),
        request_id=request_id,
        content_hash=content,
    )
    InvoiceLine.objects.bulk_create(
        InvoiceLine(
            invoice=invoice,
            index=index,
            name=line.name,
            short_name=line.short_name,
            tax_code=line.tax_code,
            spec=line.spec,
            unit=line.unit,
            quantity=line.quantity,
            unit_price=line.unit_price,
            amount=line.amount,
            rate=line.rate.key,
            tax=line.tax,
            discount=line.discount,
        )
        for index, line in enumerate(computed.lines)
    )
    event_append(
        taxpayer=locked,
        type="invoice.issued",
        actor=actor,
        at=issued_at,
        invoice=invoice,
        payload={
            "number": str(invoice),
            "total": str(totals.total),
            "status": invoice.status,
            "digest": invoice_digest(invoice),
        },
    )
    return invoice
