"""The risk rules on a taxpayer's invoices, history, stock, credit, devices and uploads (the
sign-in and audit log rules, and the shape of a detector, are :mod:`fapiao.risk.detectors`)."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Q, Sum
from django.utils import timezone

from fapiao.core.clock import local_date
from fapiao.domain import risk as rules
from fapiao.domain.kinds import ChannelType
from fapiao.invoicing.ledger import ledger_verify
from fapiao.invoicing.models import (
    Channel,
    CreditUse,
    Event,
    Invoice,
    Monitoring,
    StockSegment,
    Taxpayer,
    Upload,
)
from fapiao.risk.detectors import Context, Finding, at_text, detector


def _taxpayers(ctx: Context, rule: str) -> Iterator[Taxpayer]:
    for taxpayer in Taxpayer.objects.order_by("pk"):
        if ctx.on(taxpayer.pk, rule):
            yield taxpayer


@detector("void_red_spike")
def _void_red_spike(ctx: Context) -> Iterator[Finding]:
    rule, today = "void_red_spike", local_date(ctx.now)
    first = today - timedelta(days=30)
    for taxpayer in _taxpayers(ctx, rule):
        days: Counter[Any] = Counter(
            local_date(at)
            for at in Event.objects.filter(
                taxpayer=taxpayer,
                type__in=("invoice.voided", "invoice.red_issued"),
                at__gte=ctx.now - timedelta(days=31),
            ).values_list("at", flat=True)
        )
        earlier = [days.get(first + timedelta(days=n), 0) for n in range(30)]
        seen = days.get(today, 0)
        count, factor = (ctx.limit(taxpayer.pk, rule, n) for n in ("count", "factor"))
        if rules.spike(seen, earlier, count=count, factor=factor):
            average = Decimal(sum(earlier)) / 30
            yield Finding(
                rule,
                taxpayer.pk,
                str(today),
                seen,
                f"{today}作废和红冲共{seen}张，近30日日均{average:.1f}张",
                [("作废管理", "/voids/"), ("发票查询", "/invoices/?status=red")],
            )


@detector("after_hours_issuing")
def _after_hours(ctx: Context) -> Iterator[Finding]:
    rule = "after_hours_issuing"
    for taxpayer in _taxpayers(ctx, rule):
        start, end = (int(ctx.limit(taxpayer.pk, rule, n)) for n in ("start", "end"))
        late: dict[Any, list[Invoice]] = defaultdict(list)
        window = Invoice.objects.filter(
            taxpayer=taxpayer, issued_at__gt=ctx.since, issued_at__lte=ctx.now
        )
        for invoice in window.only("pk", "code", "number", "issued_at"):
            local = timezone.localtime(invoice.issued_at)
            if rules.outside_hours(local, start, end):
                late[local.date()].append(invoice)
        for day, invoices in late.items():
            yield Finding(
                rule,
                taxpayer.pk,
                str(day),
                len(invoices),
                f"{day}在{start}点至{end}点以外开具了{len(invoices)}张发票",
                [(f"发票{i}", f"/invoices/{i.pk}/") for i in invoices[:5]],
            )


@detector("split_invoicing")
def _split(ctx: Context) -> Iterator[Finding]:
    rule = "split_invoicing"
    limits = {(m.channel_id, m.kind): m.single_limit for m in Monitoring.objects.all()}
    for taxpayer in _taxpayers(ctx, rule):
        count, ratio = (ctx.limit(taxpayer.pk, rule, n) for n in ("count", "ratio"))
        groups: dict[tuple[str, int, str], list[Invoice]] = defaultdict(list)
        day = Invoice.objects.filter(
            taxpayer=taxpayer,
            red=False,
            issued_at__gt=ctx.now - timedelta(hours=24),
            issued_at__lte=ctx.now,
        )
        for invoice in day.only("pk", "code", "number", "buyer", "amount", "channel_id", "kind"):
            buyer = invoice.buyer.get("tax_id") or invoice.buyer.get("name", "")
            groups[buyer, invoice.channel_id, invoice.kind].append(invoice)
        for (buyer, channel, kind), invoices in groups.items():
            limit = limits.get((channel, kind))
            if limit is None or len(invoices) < count:
                continue
            if rules.near_limit([i.amount for i in invoices], limit, count=count, ratio=ratio):
                name = invoices[0].buyer.get("name", buyer)
                yield Finding(
                    rule,
                    taxpayer.pk,
                    f"{buyer}:{kind}:{local_date(ctx.now)}",
                    len(invoices),
                    f"24小时内向“{name}”开具{len(invoices)}张接近单张限额{limit}元的发票",
                    [(f"发票{i}", f"/invoices/{i.pk}/") for i in invoices[:5]],
                )


@detector("stock_low")
def _stock(ctx: Context) -> Iterator[Finding]:
    rule = "stock_low"
    left: dict[tuple[int, int, str], int] = defaultdict(int)
    for s in StockSegment.objects.select_related("channel"):
        left[s.channel.taxpayer_id, s.channel_id, s.kind] += s.last - s.next_number + 1
    for (taxpayer_id, channel_id, kind), remaining in left.items():
        if ctx.on(taxpayer_id, rule) and remaining < ctx.limit(taxpayer_id, rule, "count"):
            yield Finding(
                rule,
                taxpayer_id,
                f"{channel_id}:{kind}",
                remaining,
                f"渠道#{channel_id}的{kind}库存只剩{remaining}份，请及时领用",
                [("开票渠道与库存", "/settings/channels/")],
            )


@detector("credit_low")
def _credit(ctx: Context) -> Iterator[Finding]:
    rule, month = "credit_low", local_date(ctx.now).replace(day=1)
    for channel in Channel.objects.filter(type=ChannelType.DIGITAL, monthly_credit__gt=0):
        if not ctx.on(channel.taxpayer_id, rule):
            continue
        used = CreditUse.objects.filter(channel=channel, month=month).aggregate(s=Sum("used"))["s"]
        credit = channel.monthly_credit or Decimal(0)
        remaining = credit - (used or Decimal(0))
        if remaining < ctx.limit(channel.taxpayer_id, rule, "ratio") * credit:
            yield Finding(
                rule,
                channel.taxpayer_id,
                f"{channel.pk}:{month:%Y-%m}",
                1,
                f"{channel.name}本月授信额度{credit}元，剩余{remaining}元",
                [("开票渠道与库存", "/settings/channels/")],
            )


@detector("lock_date_near")
def _lock_date(ctx: Context) -> Iterator[Finding]:
    rule, today = "lock_date_near", local_date(ctx.now)
    for m in Monitoring.objects.select_related("channel"):
        taxpayer_id = m.channel.taxpayer_id
        days = (m.lock_date - today).days
        if ctx.on(taxpayer_id, rule) and 0 <= days <= ctx.limit(taxpayer_id, rule, "days"):
            yield Finding(
                rule,
                taxpayer_id,
                f"{m.channel_id}:{m.lock_date}",
                1,
                f"{m.channel.name}的开票截止日期为{m.lock_date}（还剩{days}天），"
                "请在此之前完成抄报和清卡",
                [("申报与清卡", f"/closing/?channel={m.channel_id}")],
            )


@detector("ledger_problem")
def _ledger(ctx: Context) -> Iterator[Finding]:
    rule = "ledger_problem"
    for taxpayer in _taxpayers(ctx, rule):
        problems = ledger_verify(taxpayer)
        if problems:
            named = "；".join(f"{p.where}：{p.what}" for p in problems[:3])
            yield Finding(
                rule,
                taxpayer.pk,
                str(local_date(ctx.now)),
                len(problems),
                f"历史记录校验发现{len(problems)}处问题：{named}",
                [("上传与对账", "/sync/")],
            )


@detector("uploads_refused")
def _refused(ctx: Context) -> Iterator[Finding]:
    rule = "uploads_refused"
    refused = Upload.objects.filter(
        accepted=False, answered_at__gt=ctx.since, answered_at__lte=ctx.now
    )
    for taxpayer_id, seen in Counter(refused.values_list("taxpayer_id", flat=True)).items():
        if ctx.on(taxpayer_id, rule):
            yield Finding(
                rule,
                taxpayer_id,
                str(local_date(ctx.now)),
                seen,
                f"税务机关拒绝了{seen}条上传",
                [("上传与对账", "/sync/")],
            )


@detector("uploads_waiting")
def _waiting(ctx: Context) -> Iterator[Finding]:
    rule = "uploads_waiting"
    for taxpayer in _taxpayers(ctx, rule):
        hours = ctx.limit(taxpayer.pk, rule, "hours")
        old = Upload.objects.filter(
            taxpayer=taxpayer,
            answered_at__isnull=True,
            created_at__lt=ctx.now - timedelta(hours=float(hours)),
        )
        oldest = old.order_by("sequence").first()
        if oldest is not None:
            yield Finding(
                rule,
                taxpayer.pk,
                str(oldest.sequence),
                old.count(),
                f"{old.count()}条上传等待超过{hours}小时，最早的于{at_text(oldest.created_at)}",
                [("上传与对账", "/sync/")],
            )


@detector("large_new_buyer")
def _large_new_buyer(ctx: Context) -> Iterator[Finding]:
    rule = "large_new_buyer"
    for taxpayer in _taxpayers(ctx, rule):
        amount = ctx.limit(taxpayer.pk, rule, "amount")
        large = Invoice.objects.filter(
            taxpayer=taxpayer,
            red=False,
            total__gte=amount,
            issued_at__gt=ctx.since,
            issued_at__lte=ctx.now,
        )
        for invoice in large:
            tax_id, name = invoice.buyer.get("tax_id", ""), invoice.buyer.get("name", "")
            same = Q(buyer__tax_id=tax_id) if tax_id else Q(buyer__name=name)
            earlier = Invoice.objects.filter(
                same, taxpayer=taxpayer, issued_at__lt=invoice.issued_at
            )
            if not earlier.exists():
                yield Finding(
                    rule,
                    taxpayer.pk,
                    str(invoice.pk),
                    1,
                    f"首次向“{name}”开具发票即达{invoice.total}元（发票{invoice}）",
                    [(f"发票{invoice}", f"/invoices/{invoice.pk}/")],
                )
