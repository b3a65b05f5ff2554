"""The demo enterprise's year of history: a few thousand invoices over the twelve months before
this one, across kinds, rates, buyers and products, with voids and reds, each month reported,
declared and cleared as the real calendar allows, so every report and chart has something to
show on the first run. Deterministic: the same day gives the same history."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from fapiao.closing.clearing import clearing_apply
from fapiao.closing.filing import period_declare, period_report
from fapiao.closing.services import CONFIRM_PURPOSE
from fapiao.domain.kinds import ChannelType, InvoiceKind
from fapiao.domain.lifecycle import RedReason, Status
from fapiao.domain.money import quantize_fen
from fapiao.domain.periods import Cycle, Period, next_period, period_of
from fapiao.invoicing.corrections import invoice_void
from fapiao.invoicing.demo import CUSTOMERS
from fapiao.invoicing.drafts import parse_draft
from fapiao.invoicing.models import Channel, Invoice, Taxpayer
from fapiao.invoicing.red_forms import red_form_create
from fapiao.invoicing.red_invoices import invoice_issue_red
from fapiao.invoicing.services import invoice_issue
from fapiao.invoicing.uploads import upload_flush
from fapiao.security.services import confirm_code_new

SHANGHAI = ZoneInfo("Asia/Shanghai")
MONTHS = 12
#: invoices a month: 数电 ones, and the device's by kind
DIGITAL_PER_MONTH = 200
DEVICE_PER_MONTH = {
    InvoiceKind.VAT_ORDINARY_ELECTRONIC: 24,
    InvoiceKind.VAT_ORDINARY_PAPER: 8,
    InvoiceKind.VAT_SPECIAL_PAPER: 4,
}
#: the demo's customers, as the invoices name them (their full details: 专票 print them)
BUYERS = tuple({k: v for k, v in c.items() if k not in ("email", "mobile")} for c in CUSTOMERS)
#: (name, 税收分类编码, rate, unit, unit price range in 元)
GOODS = (
    ("软件开发服务", "3040201010000000000", "6%", "项", (3000, 30000)),
    ("培训费", "3070201020000000000", "6%", "人次", (200, 800)),
    ("数控机床维修", "2020000000000000000", "13%", "次", (500, 9000)),
    ("会议餐费", "3070401000000000000", "6%", "次", (300, 3000)),
    ("住宿费", "3070402000000000000", "6%", "间夜", (280, 680)),
)  # fmt: skip
SELLER_ACTOR = "demo"


def demo_history(taxpayer: Taxpayer, today: date) -> int:
    """Give ``taxpayer`` (the demo's, with a device and a 数电 channel) its year of history, up
    to the month before ``today``'s; the number of invoices it issued."""
    rng = random.Random(f"fapiao-demo-{today.isoformat()}")  # noqa: S311 - demo data, not secrets
    device = taxpayer.channels.get(type=ChannelType.DEVICE)
    digital = taxpayer.channels.get(type=ChannelType.DIGITAL)
    clerk = get_user_model().objects.get(username="caiwu")
    this_month = period_of(today, Cycle.MONTHLY)
    month = this_month
    for _ in range(MONTHS):
        month = Period(_month_before(month.start), month.start)
    issued = 0
    while month.start < this_month.start:
        with transaction.atomic():
            issued += _month(rng, taxpayer, device, digital, month)
        # the close on the 3rd of the next month, or now when that is still to come
        close_at = min(
            _at(month.end + timedelta(days=2), 10), timezone.now() - timedelta(minutes=1)
        )
        upload_flush(now=close_at, force=True, taxpayer=taxpayer)
        _close(taxpayer, device, clerk, month, close_at)
        month = next_period(month)
    return issued


def _month_before(first: date) -> date:
    return (first - timedelta(days=1)).replace(day=1)


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=SHANGHAI)


def _draft(rng: random.Random, kind: InvoiceKind) -> dict[str, Any]:
    special = kind in (InvoiceKind.VAT_SPECIAL_PAPER, InvoiceKind.DIGITAL_SPECIAL)
    buyers = [b for b in BUYERS if not (special and b.get("individual"))]
    lines = []
    for name, code, rate, unit, (low, high) in rng.sample(GOODS, rng.choice((1, 1, 2, 3))):
        price = Decimal(rng.randint(low * 100, high * 100)) / 100
        # every line within 30,000 元: three of them stay under the device's 99,999.99 limit
        quantity = max(1, min(rng.choice((1, 1, 2, 3, 5, 10)), int(30000 // price)))
        lines.append({"name": name, "tax_code": code, "rate": rate, "unit": unit,
                      "quantity": str(quantity), "unit_price": str(price)})  # fmt: skip
    return {"kind": kind.value, "buyer": dict(rng.choice(buyers)), "lines": lines,
            "drawer": "开票员", "mode": "inclusive"}  # fmt: skip


def _month(
    rng: random.Random, taxpayer: Taxpayer, device: Channel, digital: Channel, month: Period
) -> int:
    """Issue the month's invoices day by day (uploading each evening, as the worker would), void
    a few paper ones and red-flush a few others."""
    days = [month.start + timedelta(days=n) for n in range((month.end - month.start).days)]
    work = [d for d in days if d.weekday() < 5]
    plan: list[tuple[date, Channel, InvoiceKind]] = [
        (rng.choice(work), digital, rng.choice((InvoiceKind.DIGITAL_ORDINARY,) * 3
                                                + (InvoiceKind.DIGITAL_SPECIAL,)))
        for _ in range(DIGITAL_PER_MONTH)
    ]  # fmt: skip
    for kind, count in DEVICE_PER_MONTH.items():
        plan += [(rng.choice(work), device, kind) for _ in range(count)]
    plan.sort(key=lambda item: item[0])
    issued: list[Invoice] = []
    for index, (day, channel, kind) in enumerate(plan):
        when = _at(day, 9 + index % 9, index % 60)
        issued.append(invoice_issue(
            taxpayer=taxpayer, channel=channel, draft=parse_draft(_draft(rng, kind)),
            request_id=f"demo-history-{month.start:%Y%m}-{index}", actor=SELLER_ACTOR,
            issued_at=when, now=when,
        ))  # fmt: skip
        if index + 1 == len(plan) or plan[index + 1][0] != day:  # the day's end
            upload_flush(now=_at(day, 20), force=True, taxpayer=taxpayer)
    last = _at(work[-1], 19)
    paper = [i for i in issued if i.kind == InvoiceKind.VAT_ORDINARY_PAPER]
    for invoice in paper[:2]:  # 作废: a mistake caught within the month
        invoice_void(invoice=invoice, actor=SELLER_ACTOR, reason="开票信息有误", now=last)
    upload_flush(now=last, force=True, taxpayer=taxpayer)  # the device goes back online
    electronic = [i for i in issued if i.kind == InvoiceKind.VAT_ORDINARY_ELECTRONIC]
    for invoice in electronic[:2]:  # 红冲 without a form
        invoice_issue_red(blue=invoice, actor=SELLER_ACTOR, reason=RedReason.RETURN, now=last)
    digital_ones = [i for i in issued if i.kind == InvoiceKind.DIGITAL_ORDINARY]
    for invoice in digital_ones[:1]:  # 红冲 of a 数电 invoice by its 确认单
        form = red_form_create(blue=invoice, reason=RedReason.WRONG, raised_by="seller",
                               actor=SELLER_ACTOR, now=last)  # fmt: skip
        invoice_issue_red(blue=invoice, form=form, actor=SELLER_ACTOR, now=last)
    upload_flush(now=_at(work[-1], 21), force=True, taxpayer=taxpayer)
    return len(plan)


def _close(taxpayer: Taxpayer, device: Channel, clerk: Any, month: Period, now: datetime) -> None:
    """抄报, 申报 (the invoiced sales, and input tax of about two thirds of the output tax) and
    清卡 of ``month``."""
    period_report(channel=device, period=month, actor="caiwu", now=now)
    sums = (
        Invoice.objects.filter(taxpayer=taxpayer, issued_on__gte=month.start,
                               issued_on__lt=month.end)
        .exclude(status=Status.VOIDED)
        .aggregate(sales=Sum("amount"), tax=Sum("tax"))
    )  # fmt: skip
    sales = quantize_fen(Decimal(sums["sales"] or 0))
    input_tax = quantize_fen(Decimal(sums["tax"] or 0) * Decimal("0.66"))
    period_declare(taxpayer=taxpayer, period=month, declared_sales=sales, input_tax=input_tax,
                   actor="caiwu", now=now)  # fmt: skip
    code = confirm_code_new(clerk, purpose=CONFIRM_PURPOSE, now=now)
    clearing_apply(channel=device, period=month, user=clerk, code=code, actor="caiwu", now=now)
