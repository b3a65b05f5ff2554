"""抄报 (a device's summary of the period sent to the authority) and 申报 (the VAT return,
compared with what was invoiced)."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from fapiao.authority.client import AuthorityClient, authority_client
from fapiao.closing.models import Clearing, ClearingStatus, Declaration, PeriodReport
from fapiao.closing.services import (
    ask_authority,
    device_kinds,
    facts_of,
    in_period,
    period_key,
    waiting_uploads,
)
from fapiao.core.clock import local_date
from fapiao.domain.closing import (
    ClosingRefused,
    summarize,
    vat_return,
)
from fapiao.domain.errors import Text
from fapiao.domain.kinds import ChannelType, InvoiceKind
from fapiao.domain.periods import (
    Period,
)
from fapiao.invoicing.ledger import event_append
from fapiao.invoicing.locks import taxpayer_lock
from fapiao.invoicing.models import (
    Channel,
    Invoice,
    Taxpayer,
)
from fapiao.receiving.deduction import deducted_tax


def period_report(
    *,
    channel: Channel,
    period: Period,
    actor: str,
    now: datetime | None = None,
    client: AuthorityClient | None = None,
) -> PeriodReport:
    """抄报: summarise the device's period by kind and send it to the authority."""
    now = now or timezone.now()
    if channel.type != ChannelType.DEVICE:
        raise ClosingRefused("数电渠道没有抄报和清卡", field="channel")
    if local_date(now) < period.end:
        raise ClosingRefused(Text("{0}尚未结束，不能抄报", period.label), field="period")
    if PeriodReport.objects.filter(channel=channel, period_start=period.start).exists():
        raise ClosingRefused(Text("{0}{1}已抄报", channel.name, period.label), field="period")
    waiting = waiting_uploads(channel, period)
    if waiting:
        names = "、".join(str(u.invoice) for u in waiting[:5])
        more = "等" if len(waiting) > 5 else ""
        raise ClosingRefused(
            Text("还有{0}张发票未上传（{1}{2}），请先上传", len(waiting), names, more),
            field="uploads",
        )
    invoices = Invoice.objects.filter(in_period(period), channel=channel)
    summary = summarize(facts_of(invoices), device_kinds(channel))
    taxpayer = channel.taxpayer
    receipt = ask_authority(
        (client or authority_client()).file_period,
        {
            "tax_id": taxpayer.tax_id,
            "name": taxpayer.name,
            "device_number": channel.device_number,
            **period_key(period),
            "summary": summary,
        },
    )
    with transaction.atomic():
        locked = taxpayer_lock(taxpayer.pk)
        report = PeriodReport.objects.create(
            taxpayer=taxpayer, channel=channel, period_start=period.start, period_end=period.end,
            summary=summary, receipt=receipt, reported_at=now, actor=actor,
        )  # fmt: skip
        last_day = period.end - timedelta(days=1)
        if channel.reported_through is None or channel.reported_through < last_day:
            Channel.objects.filter(pk=channel.pk).update(reported_through=last_day)
            channel.reported_through = last_day
        event_append(
            taxpayer=locked, type="period.reported", actor=actor, at=now,
            payload={"channel": channel.pk, "period": period.label, **period_key(period),
                     "sales": summary["sales"], "tax": summary["tax"]},
        )  # fmt: skip
    return report


def period_declare(
    *,
    taxpayer: Taxpayer,
    period: Period,
    declared_sales: Decimal,
    actor: str,
    input_tax: Decimal | None = None,
    explanation: str = "",
    now: datetime | None = None,
) -> Declaration:
    """申报: the return from every channel's invoices of the period and the declared sales;
    declared again (更正) until the period is cleared. The input tax is what was selected for
    deduction (勾选抵扣) unless given; given, it is compared with that selection."""
    now = now or timezone.now()
    if local_date(now) < period.end:
        raise ClosingRefused(Text("{0}尚未结束，不能申报", period.label), field="period")
    devices = taxpayer.channels.filter(type=ChannelType.DEVICE)
    unreported = [
        d.name
        for d in devices
        if not PeriodReport.objects.filter(channel=d, period_start=period.start).exists()
    ]
    if unreported:
        raise ClosingRefused(Text("请先完成抄报：{0}", "、".join(unreported)), field="period")
    if Clearing.objects.filter(
        taxpayer=taxpayer, period_start=period.start, status=ClearingStatus.APPROVED
    ).exists():
        raise ClosingRefused(Text("{0}已清卡，不能更正申报", period.label), field="period")
    invoices = Invoice.objects.filter(in_period(period), taxpayer=taxpayer)
    kinds = sorted({InvoiceKind(k) for k in invoices.values_list("kind", flat=True)})
    summary = summarize(facts_of(invoices), kinds)
    selected = deducted_tax(taxpayer, period.start, period.end)
    if input_tax is None:
        input_tax = selected
    result = vat_return(
        summary,
        declared_sales=declared_sales,
        input_tax=input_tax,
        input_deducted=selected if selected else None,
    )
    with transaction.atomic():
        locked = taxpayer_lock(taxpayer.pk)
        declaration, _ = Declaration.objects.update_or_create(
            taxpayer=taxpayer,
            period_start=period.start,
            defaults={
                "period_end": period.end, "summary": summary, "result": result.as_dict(),
                "declared_sales": declared_sales, "input_tax": input_tax,
                "comparison_ok": result.comparison_ok, "explanation": explanation.strip(),
                "declared_at": now, "actor": actor,
            },
        )  # fmt: skip
        event_append(
            taxpayer=locked, type="period.declared", actor=actor, at=now,
            payload={"period": period.label, **period_key(period),
                     "declared_sales": str(declared_sales), "output_tax": str(result.output_tax),
                     "payable": str(result.payable), "comparison_ok": result.comparison_ok},
        )  # fmt: skip
    return declaration
