"""勾选抵扣: 财务 selects received 专票 (增值税专用发票, 电子专票, 数电专票) for the input-tax
deduction of a period; the selected tax is the period's 进项税额 in 申报, and 申报 may not
claim more than was selected (its 比对)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from fapiao.domain.errors import DomainError, Text
from fapiao.domain.kinds import InvoiceKind, spec
from fapiao.domain.money import quantize_fen
from fapiao.invoicing.models import Taxpayer
from fapiao.receiving.models import ReceivedInvoice, ReceivedStatus
from fapiao.security.audit import audit_append

SPECIAL = [kind.value for kind in InvoiceKind if spec(kind).special]


class DeductionRefused(DomainError):
    code = "deduction_refused"


def _refusal(row: ReceivedInvoice, period_start: date) -> str:
    if row.kind not in SPECIAL:
        return "只有增值税专用发票可以勾选抵扣"
    if row.not_ours:
        return "购买方不是本企业，不能抵扣"
    if row.status == ReceivedStatus.MISMATCH:
        return "查验不符，不能抵扣"
    if row.tax is None:
        return "税额未识别，请先更正"
    if row.issued_on is not None and row.issued_on >= next_month(period_start):
        return "开票日期晚于所属期"
    if row.deducted_period is not None and row.deducted_period != period_start:
        return Text("已在{0}勾选抵扣", f"{row.deducted_period:%Y年%m月}")
    return ""


def next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


@transaction.atomic
def deduction_select(
    *,
    taxpayer: Taxpayer,
    period_start: date,
    invoice_ids: list[int],
    actor: str,
    now: datetime | None = None,
) -> list[ReceivedInvoice]:
    """Select the invoices for the period's deduction; all or none (a refusal names the
    invoice and why)."""
    now = now or timezone.now()
    period_start = period_start.replace(day=1)
    rows = list(
        ReceivedInvoice.objects.select_for_update()
        .filter(taxpayer=taxpayer, pk__in=invoice_ids)
        .order_by("pk")
    )
    if len(rows) != len(set(invoice_ids)):
        raise DeductionRefused("所选发票不存在", field="invoices")
    for row in rows:
        if why := _refusal(row, period_start):
            raise DeductionRefused(Text("发票{0}：{1}", row, why), field="invoices")
    for row in rows:
        row.deducted_period, row.deducted_at, row.deducted_by = period_start, now, actor
        row.status = ReceivedStatus.DEDUCTED
        row.save(update_fields=["deducted_period", "deducted_at", "deducted_by", "status"])
    audit_append(
        "deduction.selected",
        actor=actor,
        taxpayer=taxpayer,
        at=now,
        payload={"period": f"{period_start:%Y-%m}", "invoices": [str(r) for r in rows]},
    )
    return rows


@transaction.atomic
def deduction_undo(
    *, taxpayer: Taxpayer, invoice_ids: list[int], actor: str, now: datetime | None = None
) -> int:
    """Take invoices out of their period's deduction."""
    now = now or timezone.now()
    rows = list(
        ReceivedInvoice.objects.select_for_update().filter(
            taxpayer=taxpayer, pk__in=invoice_ids, deducted_period__isnull=False
        )
    )
    for row in rows:
        row.deducted_period, row.deducted_at, row.deducted_by = None, None, ""
        row.status = row.settled_status()
        row.save(update_fields=["deducted_period", "deducted_at", "deducted_by", "status"])
    if rows:
        audit_append(
            "deduction.undone",
            actor=actor,
            taxpayer=taxpayer,
            at=now,
            payload={"invoices": [str(r) for r in rows]},
        )
    return len(rows)


def deducted_tax(taxpayer: Taxpayer, period_start: date, period_end: date | None = None) -> Decimal:
    """The input tax selected for deduction in the months from ``period_start`` up to (not
    including) ``period_end`` (a period's end is the next one's first day); one month
    without it."""
    end = period_end or next_month(period_start)
    total = ReceivedInvoice.objects.filter(
        taxpayer=taxpayer,
        deducted_period__gte=period_start.replace(day=1),
        deducted_period__lt=end,
    ).aggregate(tax=Sum("tax"))["tax"]
    return quantize_fen(Decimal(total or 0))  # SQLite's sum drops the places
