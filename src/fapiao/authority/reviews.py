"""抄报 and the review of 清卡 applications."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from fapiao.authority.keyring import authority_sign
from fapiao.authority.models import (
    ClearingApplication,
    PeriodFiling,
    RegistryInvoice,
    ReviewStatus,
)
from fapiao.authority.services import AuthorityRefused, registered
from fapiao.core.calendar import business_calendar
from fapiao.domain.closing import (
    ALREADY_CLEARED_MESSAGE,
    PENDING_REVIEW_MESSAGE,
    InvoiceFacts,
    same_totals,
    summarize,
)
from fapiao.domain.errors import Text
from fapiao.domain.kinds import InvoiceKind
from fapiao.domain.periods import Period, lock_date_after_clearing
from fapiao.domain.verification import (
    RegistryStatus,
)


def _period(start: str | date, end: str | date) -> Period:
    return Period(
        start if isinstance(start, date) else date.fromisoformat(start),
        end if isinstance(end, date) else date.fromisoformat(end),
    )


def registry_summary(
    *, tax_id: str, device_number: str, period: Period, kinds: list[str]
) -> dict[str, Any]:
    """The registry's own summary of a device's period, as :func:`summarize` makes it."""
    rows = RegistryInvoice.objects.filter(
        taxpayer__tax_id=tax_id,
        device_number=device_number,
        issued_on__gte=period.start,
        issued_on__lt=period.end,
    )
    facts = [
        InvoiceFacts(
            kind=InvoiceKind(row.kind),
            red=row.blue_id is not None,
            voided=row.status == RegistryStatus.VOIDED,
            amount=row.amount,
            tax=row.tax,
            lines=tuple(
                (line["rate"], Decimal(line["amount"]), Decimal(line["tax"]))
                for line in row.facts().get("lines", [])
            ),
        )
        for row in rows
    ]
    return summarize(facts, [InvoiceKind(kind) for kind in kinds])


@transaction.atomic
def file_period(
    *,
    tax_id: str,
    name: str,
    device_number: str,
    period_start: str,
    period_end: str,
    summary: dict[str, Any],
    now: datetime | None = None,
) -> dict[str, Any]:
    """Receive a 抄报; the same summary again is the same filing."""
    now = now or timezone.now()
    taxpayer = registered(tax_id, name)
    filing, created = PeriodFiling.objects.get_or_create(
        taxpayer=taxpayer,
        device_number=device_number,
        period_start=date.fromisoformat(period_start),
        defaults={
            "period_end": date.fromisoformat(period_end),
            "summary": summary,
            "received_at": now,
        },
    )
    if not created and filing.summary != summary:
        raise AuthorityRefused("该设备本期已抄报，且内容不同", field="period")
    answer = {
        "tax_id": tax_id,
        "device_number": device_number,
        "period_start": period_start,
        "received_at": filing.received_at.isoformat(),
    }
    answer["signature"] = authority_sign(answer)
    return answer


def _decision(application: ClearingApplication) -> dict[str, Any]:
    answer = {
        "number": application.number,
        "status": application.status,
        "reason": application.reason,
        "findings": application.findings,
        "device_number": application.device_number,
        "period_start": application.period_start.isoformat(),
        "period_end": application.period_end.isoformat(),
        "lock_date": application.lock_date.isoformat() if application.lock_date else None,
        "decided_at": application.decided_at.isoformat() if application.decided_at else None,
        "decided_by": application.decided_by,
    }
    answer["signature"] = authority_sign(answer)
    return answer


@transaction.atomic
def clearing_submit(
    *,
    tax_id: str,
    name: str,
    number: str,
    device_number: str,
    period_start: str,
    period_end: str,
    type: str,
    summary: dict[str, Any],
    declaration: dict[str, Any],
    now: datetime | None = None,
) -> dict[str, Any]:
    """Receive a 清卡 application; approve it at once when nothing needs a person."""
    now = now or timezone.now()
    taxpayer = registered(tax_id, name)
    earlier = ClearingApplication.objects.filter(number=number).first()
    if earlier is not None:  # the same application sent again
        return earlier.answer or _decision(earlier)
    period = _period(period_start, period_end)
    live = ClearingApplication.objects.filter(
        taxpayer=taxpayer,
        device_number=device_number,
        period_start=period.start,
        status__in=[ReviewStatus.PENDING, ReviewStatus.APPROVED],
    ).first()
    if live is not None:
        raise AuthorityRefused(
            ALREADY_CLEARED_MESSAGE
            if live.status == ReviewStatus.APPROVED
            else PENDING_REVIEW_MESSAGE,
            field="period",
        )
    if not PeriodFiling.objects.filter(
        taxpayer=taxpayer, device_number=device_number, period_start=period.start
    ).exists():
        raise AuthorityRefused("税务机关未收到该设备本期的抄报数据", field="period")
    theirs = registry_summary(
        tax_id=tax_id, device_number=device_number, period=period, kinds=list(summary["kinds"])
    )
    findings = [f"抄报与登记不符：{item}" for item in same_totals(summary, theirs)]
    if not declaration.get("comparison_ok"):
        findings.append(f"申报比对不通过，纳税人说明：{declaration.get('explanation') or '无'}")
    application = ClearingApplication(
        number=number,
        taxpayer=taxpayer,
        device_number=device_number,
        period_start=period.start,
        period_end=period.end,
        type=type,
        summary=summary,
        declaration=declaration,
        findings=findings,
        status=ReviewStatus.PENDING,
        submitted_at=now,
    )
    if not findings:
        _approve(application, actor="系统自动审核", now=now)
    application.answer = _decision(application)
    application.save()
    return dict(application.answer)


def _approve(application: ClearingApplication, *, actor: str, now: datetime) -> None:
    period = Period(application.period_start, application.period_end)
    application.status = ReviewStatus.APPROVED
    application.lock_date = lock_date_after_clearing(period, business_calendar())
    application.decided_at, application.decided_by = now, actor


@transaction.atomic
def clearing_decide(
    *, number: str, approve: bool, reason: str, actor: str, now: datetime | None = None
) -> ClearingApplication:
    """An authority user's decision on an application waiting for one."""
    now = now or timezone.now()
    application = ClearingApplication.objects.select_for_update().filter(number=number).first()
    if application is None:
        raise AuthorityRefused(Text("清卡申请{0}不存在", number), field="number")
    if application.status != ReviewStatus.PENDING:
        raise AuthorityRefused("该申请已审核", field="number")
    if approve:
        _approve(application, actor=actor, now=now)
        application.reason = reason.strip()
    else:
        if not reason.strip():
            raise AuthorityRefused("驳回须填写原因", field="reason")
        application.status, application.reason = ReviewStatus.REJECTED, reason.strip()
        application.decided_at, application.decided_by = now, actor
    application.answer = _decision(application)
    application.save()
    return application


def clearing_status(number: str) -> dict[str, Any]:
    application = ClearingApplication.objects.filter(number=number).first()
    if application is None:
        raise AuthorityRefused(Text("清卡申请{0}不存在", number), field="number")
    return dict(application.answer or _decision(application))


def clearings_pending() -> list[ClearingApplication]:
    return list(
        ClearingApplication.objects.filter(status=ReviewStatus.PENDING)
        .select_related("taxpayer")
        .order_by("submitted_at")
    )
