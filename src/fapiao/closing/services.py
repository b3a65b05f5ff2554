"""申报与清卡 on the taxpayer side: what its modules share (the period due, a period's invoices,
a device's kinds and waiting uploads, asking the authority). 抄报 and 申报 are ``filing``, the
清卡 application and its review ``clearing``, the deadline's reminders ``reminders``.

Each step is recorded in the taxpayer's history with who did it and when. The authority is asked
through the client port, so the review happens wherever the authority runs.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Q

from fapiao.authority.client import Unreachable
from fapiao.domain.closing import (
    ClosingRefused,
    InvoiceFacts,
    summarize,
)
from fapiao.domain.kinds import InvoiceKind
from fapiao.domain.lifecycle import Status
from fapiao.domain.periods import (
    Cycle,
    Period,
    period_of,
    previous_period,
)
from fapiao.invoicing.models import (
    Channel,
    Invoice,
    Taxpayer,
    Upload,
)

CONFIRM_PURPOSE = "清卡"
MONTHLY_FILER_MESSAGE = "按月申报的纳税人不能季度清卡"
UNREACHABLE_MESSAGE = "税务机关暂时无法连接，请稍后再试"


def period_key(period: Period) -> dict[str, str]:
    return {"period_start": period.start.isoformat(), "period_end": period.end.isoformat()}


def due_period(taxpayer: Taxpayer, today: date) -> Period:
    """The period being closed now: the one before the period ``today`` is in."""
    return previous_period(period_of(today, Cycle(taxpayer.cycle)))


def period_from(taxpayer: Taxpayer, text: str | None, today: date) -> Period:
    """A period named as ``2026-10`` (its first month), or the due one."""
    if not text:
        return due_period(taxpayer, today)
    try:
        first = date.fromisoformat(f"{text}-01" if len(text) == 7 else text)
    except ValueError:
        raise ClosingRefused("所属期格式应为YYYY-MM", field="period") from None
    return period_of(first, Cycle(taxpayer.cycle))


def facts_of(invoices: Any) -> list[InvoiceFacts]:
    return [
        InvoiceFacts(
            kind=InvoiceKind(invoice.kind),
            red=invoice.red,
            voided=invoice.status == Status.VOIDED,
            amount=invoice.amount,
            tax=invoice.tax,
            lines=tuple((line.rate, line.amount, line.tax) for line in invoice.lines.all()),
        )
        for invoice in invoices.prefetch_related("lines")
    ]


def in_period(period: Period) -> Q:
    return Q(issued_on__gte=period.start, issued_on__lt=period.end)


def device_kinds(channel: Channel) -> list[InvoiceKind]:
    """Every kind the device issues (has monitoring data for): each must be reported."""
    return [InvoiceKind(kind) for kind in channel.monitoring.values_list("kind", flat=True)]


def waiting_uploads(channel: Channel, period: Period) -> list[Upload]:
    return list(
        Upload.objects.filter(
            channel=channel,
            answered_at__isnull=True,
            invoice__issued_on__gte=period.start,
            invoice__issued_on__lt=period.end,
        ).select_related("invoice")
    )


def ask_authority(call: Any, *args: Any) -> Any:
    try:
        return call(*args)
    except Unreachable:
        raise ClosingRefused(UNREACHABLE_MESSAGE, field="authority") from None


# --- 抄报 ----------------------------------------------------------------------------------------


# --- 申报 ----------------------------------------------------------------------------------------


# --- 清卡 ----------------------------------------------------------------------------------------


# --- reminders ----------------------------------------------------------------------------------


def digital_summary(channel: Channel, period: Period) -> dict[str, Any]:
    """A 数电 channel's month: the credit line used and the summary by kind (no 清卡)."""
    invoices = Invoice.objects.filter(in_period(period), channel=channel)
    kinds = sorted({InvoiceKind(k) for k in invoices.values_list("kind", flat=True)})
    summary = summarize(facts_of(invoices), kinds)
    used = Decimal(summary["sales"])
    return {
        "summary": summary,
        "credit": channel.monthly_credit,
        "used": used,
        "left": None if channel.monthly_credit is None else channel.monthly_credit - used,
    }
