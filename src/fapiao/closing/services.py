"""申报与清卡 on the taxpayer side: 抄报 per device, 申报 per taxpayer, the 清卡 application and
its review by the authority, the device's new lock date, the 清卡凭证, and reminders.

Each step is recorded in the taxpayer's history with who did it and when. The authority is asked
through the client port, so the review happens wherever the authority runs.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import AbstractUser
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from fapiao.authority.client import AuthorityClient, Unreachable, authority_client
from fapiao.closing.models import Clearing, ClearingStatus, Declaration, PeriodReport, Reminder
from fapiao.core.calendar import business_calendar
from fapiao.core.clock import local_date
from fapiao.core.roles import Role
from fapiao.core.signing import signed_answer_valid
from fapiao.domain.closing import (
    ClearingState,
    ClosingRefused,
    InvoiceFacts,
    application_number,
    clearing_blockers,
    summarize,
    vat_return,
)
from fapiao.domain.errors import Text
from fapiao.domain.kinds import ChannelType, InvoiceKind
from fapiao.domain.lifecycle import Status
from fapiao.domain.periods import (
    ClearingType,
    Cycle,
    Period,
    clearing_type_for,
    filing_window,
    period_of,
    previous_period,
)
from fapiao.invoicing.ledger import event_append
from fapiao.invoicing.locks import taxpayer_lock
from fapiao.invoicing.models import (
    Channel,
    Invoice,
    Membership,
    Monitoring,
    Taxpayer,
    Upload,
)
from fapiao.invoicing.services import monitoring_set
from fapiao.jobs.services import periodic
from fapiao.security.services import confirm_check, notify

CONFIRM_PURPOSE = "清卡"
MONTHLY_FILER_MESSAGE = "按月申报的纳税人不能季度清卡"


def _period_key(period: Period) -> dict[str, str]:
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


def _facts(invoices: Any) -> list[InvoiceFacts]:
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


def _in_period(period: Period) -> Q:
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


def _ask(call: Any, *args: Any) -> Any:
    try:
        return call(*args)
    except Unreachable:
        raise ClosingRefused("税务机关暂时无法连接，请稍后再试", field="authority") from None


# --- 抄报 ----------------------------------------------------------------------------------------


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
    invoices = Invoice.objects.filter(_in_period(period), channel=channel)
    summary = summarize(_facts(invoices), device_kinds(channel))
    taxpayer = channel.taxpayer
    receipt = _ask(
        (client or authority_client()).file_period,
        {
            "tax_id": taxpayer.tax_id,
            "name": taxpayer.name,
            "device_number": channel.device_number,
            **_period_key(period),
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
            payload={"channel": channel.pk, "period": period.label, **_period_key(period),
                     "sales": summary["sales"], "tax": summary["tax"]},
        )  # fmt: skip
    return report


# --- 申报 ----------------------------------------------------------------------------------------


def period_declare(
    *,
    taxpayer: Taxpayer,
    period: Period,
    declared_sales: Decimal,
    actor: str,
    input_tax: Decimal = Decimal("0.00"),
    explanation: str = "",
    now: datetime | None = None,
) -> Declaration:
    """申报: the return from every channel's invoices of the period and the declared sales;
    declared again (更正) until the period is cleared."""
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
    invoices = Invoice.objects.filter(_in_period(period), taxpayer=taxpayer)
    kinds = sorted({InvoiceKind(k) for k in invoices.values_list("kind", flat=True)})
    summary = summarize(_facts(invoices), kinds)
    result = vat_return(summary, declared_sales=declared_sales, input_tax=input_tax)
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
            payload={"period": period.label, **_period_key(period),
                     "declared_sales": str(declared_sales), "output_tax": str(result.output_tax),
                     "payable": str(result.payable), "comparison_ok": result.comparison_ok},
        )  # fmt: skip
    return declaration


# --- 清卡 ----------------------------------------------------------------------------------------


@dataclass
class ClearingView:
    """Everything the 申报与清卡 page shows of a device's period."""

    channel: Channel
    period: Period
    clearing_type: ClearingType
    window: Any
    report: PeriodReport | None
    declaration: Declaration | None
    clearing: Clearing | None
    history: list[Clearing]
    waiting: list[Upload]
    blockers: list[str]
    lock_date: date | None


def clearing_state(
    channel: Channel,
    period: Period,
    *,
    today: date,
    clearing_type: ClearingType | None = None,
) -> ClearingView:
    taxpayer = channel.taxpayer
    calendar = business_calendar()
    kind = clearing_type or clearing_type_for(Cycle(taxpayer.cycle), period)
    window = filing_window(period, calendar)
    if clearing_type is None and today > window.closes:
        kind = ClearingType.SPECIAL  # 逾期
    report = PeriodReport.objects.filter(channel=channel, period_start=period.start).first()
    declaration = Declaration.objects.filter(taxpayer=taxpayer, period_start=period.start).first()
    history = list(
        Clearing.objects.filter(channel=channel, period_start=period.start).order_by("-pk")
    )
    live = next((c for c in history if c.status != ClearingStatus.REJECTED), None)
    waiting = waiting_uploads(channel, period)
    blockers = clearing_blockers(
        ClearingState(
            period=period,
            clearing_type=kind,
            today=today,
            reported=report is not None,
            declared=declaration is not None,
            comparison_ok=declaration is not None and declaration.comparison_ok,
            explained=declaration is not None and bool(declaration.explanation),
            uploads_pending=len(waiting),
            cleared=live is not None and live.status == ClearingStatus.APPROVED,
            under_review=live is not None and live.status == ClearingStatus.SUBMITTED,
        ),
        calendar,
    )
    if kind == ClearingType.QUARTERLY and Cycle(taxpayer.cycle) is Cycle.MONTHLY:
        blockers.append(MONTHLY_FILER_MESSAGE)
    lock = channel.monitoring.order_by("lock_date").values_list("lock_date", flat=True).first()
    return ClearingView(
        channel, period, kind, window, report, declaration,
        history[0] if history else None, history, waiting, blockers, lock,
    )  # fmt: skip


def clearing_as_dict(clearing: Clearing) -> dict[str, Any]:
    return {
        "number": clearing.number, "status": clearing.status,
        "status_name": clearing.get_status_display(), "type": clearing.type,
        "reason": clearing.reason, "findings": clearing.findings,
        "lock_date": clearing.lock_date.isoformat() if clearing.lock_date else None,
        "period_start": clearing.period_start.isoformat(),
    }  # fmt: skip


def state_as_dict(view: ClearingView) -> dict[str, Any]:
    """What the page shows, as plain data for the CLI and the API."""
    return {
        "channel": view.channel.name, "period": view.period.label,
        "period_start": view.period.start.isoformat(), "type": view.clearing_type.value,
        "window": [view.window.opens.isoformat(), view.window.closes.isoformat()],
        "report": view.report.summary if view.report else None,
        "declaration": view.declaration.result if view.declaration else None,
        "clearing": clearing_as_dict(view.clearing) if view.clearing else None,
        "waiting_uploads": [str(u.invoice) for u in view.waiting],
        "blockers": view.blockers,
        "lock_date": view.lock_date.isoformat() if view.lock_date else None,
    }  # fmt: skip


def clearing_apply(
    *,
    channel: Channel,
    period: Period,
    user: AbstractUser,
    code: str,
    actor: str,
    clearing_type: ClearingType | None = None,
    now: datetime | None = None,
    client: AuthorityClient | None = None,
) -> Clearing:
    """清卡: confirmed with the one-time code just sent to ``user``; goes to the authority for
    review and, once approved, moves the device's lock date. Irreversible."""
    now = now or timezone.now()
    if channel.type != ChannelType.DEVICE:
        raise ClosingRefused("数电渠道没有抄报和清卡", field="channel")
    view = clearing_state(channel, period, today=local_date(now), clearing_type=clearing_type)
    if view.blockers:
        raise ClosingRefused("不能清卡：" + "；".join(view.blockers), field="period")
    if not confirm_check(user, purpose=CONFIRM_PURPOSE, code=code, now=now):
        raise ClosingRefused("验证码不正确或已过期", field="code")
    assert view.report is not None  # no blocker: reported and declared
    assert view.declaration is not None
    taxpayer = channel.taxpayer
    number = application_number(
        device_number=channel.device_number, period=period, attempt=len(view.history) + 1
    )
    declaration = {**view.declaration.result, "explanation": view.declaration.explanation}
    answer = _ask(
        (client or authority_client()).clearing_submit,
        {
            "tax_id": taxpayer.tax_id, "name": taxpayer.name, "number": number,
            "device_number": channel.device_number, **_period_key(period),
            "type": view.clearing_type.value, "summary": view.report.summary,
            "declaration": declaration,
        },
    )  # fmt: skip
    with transaction.atomic():
        locked = taxpayer_lock(taxpayer.pk)
        clearing = Clearing.objects.create(
            number=number, taxpayer=taxpayer, channel=channel, period_start=period.start,
            period_end=period.end, type=view.clearing_type.value,
            status=ClearingStatus.SUBMITTED, summary=view.report.summary,
            declaration=declaration, submitted_at=now, actor=actor,
        )  # fmt: skip
        event_append(
            taxpayer=locked, type="clearing.submitted", actor=actor, at=now,
            payload={"number": number, "period": period.label, "type": view.clearing_type.value},
        )  # fmt: skip
    return _decided(clearing, answer, client=client)


def clearing_refresh(clearing: Clearing, *, client: AuthorityClient | None = None) -> Clearing:
    """Ask the authority how the application stands and apply its decision."""
    if clearing.status != ClearingStatus.SUBMITTED:
        return clearing
    answer = _ask((client or authority_client()).clearing_status, clearing.number)
    return _decided(clearing, answer, client=client)


def _decided(
    clearing: Clearing, answer: dict[str, Any], *, client: AuthorityClient | None
) -> Clearing:
    """Apply a signed decision: approved moves every kind's lock date; rejected shows why."""
    if answer.get("number") != clearing.number or answer.get("status") == "pending":
        return clearing
    key = _ask((client or authority_client()).public_key)
    if not signed_answer_valid(answer, key):
        raise ClosingRefused("税务机关的审核结果签名无效", field="authority")
    with transaction.atomic():
        locked = taxpayer_lock(clearing.taxpayer_id)
        clearing = Clearing.objects.select_related("channel").get(pk=clearing.pk)
        if clearing.status != ClearingStatus.SUBMITTED:
            return clearing
        at = datetime.fromisoformat(answer["decided_at"])
        clearing.decision, clearing.decided_at = answer, at
        clearing.reason, clearing.findings = answer.get("reason", ""), answer.get("findings", [])
        approved = answer["status"] == "approved"
        clearing.status = ClearingStatus.APPROVED if approved else ClearingStatus.REJECTED
        if approved:
            clearing.lock_date = date.fromisoformat(answer["lock_date"])
        clearing.save()
        event_append(
            taxpayer=locked, type=f"clearing.{clearing.status}",
            actor=answer.get("decided_by") or "税务机关", at=at,
            payload={"number": clearing.number, "reason": clearing.reason,
                     "lock_date": answer.get("lock_date")},
        )  # fmt: skip
        if approved:  # the authority writes back the monitoring data (each with its event)
            for row in Monitoring.objects.filter(channel=clearing.channel):
                monitoring_set(
                    channel=clearing.channel, kind=InvoiceKind(row.kind),
                    lock_date=date.fromisoformat(answer["lock_date"]),
                    single_limit=row.single_limit, offline_hours=row.offline_hours,
                    offline_amount=row.offline_amount, source=f"清卡{clearing.number}",
                    actor=answer.get("decided_by") or "税务机关",
                )  # fmt: skip
    return clearing


ROUND_EVERY = 30.0  # seconds between the worker's looks at applications and reminders
_last_round = [0.0]


@periodic
def clearing_round() -> int:
    """The worker's round (at most every :data:`ROUND_EVERY` seconds): learn the decisions on
    applications under review, and remind."""
    if time.monotonic() - _last_round[0] < ROUND_EVERY:
        return 0
    _last_round[0] = time.monotonic()
    done = 0
    for clearing in Clearing.objects.filter(status=ClearingStatus.SUBMITTED):
        try:
            if clearing_refresh(clearing).status != ClearingStatus.SUBMITTED:
                done += 1
        except ClosingRefused:
            continue  # the authority is away: asked again next round
    return done + reminders_send()


# --- reminders ----------------------------------------------------------------------------------

REMIND_DAYS = (5, 1)


def reminders_send(*, now: datetime | None = None) -> int:
    """Remind (in the app and by e-mail to the taxpayer's admins and finance) 5 days and 1 day
    before a device's filing window closes while its period is not cleared. Once each."""
    now = now or timezone.now()
    today = local_date(now)
    sent = 0
    calendar = business_calendar()
    for channel in Channel.objects.filter(type=ChannelType.DEVICE).select_related("taxpayer"):
        period = due_period(channel.taxpayer, today)
        window = filing_window(period, calendar)
        if today not in window:
            continue
        days = (window.closes - today).days
        due = [d for d in REMIND_DAYS if days <= d]
        if (
            not due
            or Clearing.objects.filter(
                channel=channel, period_start=period.start, status=ClearingStatus.APPROVED
            ).exists()
        ):
            continue
        text = _reminder_text(channel.name, period, window.closes, days)
        remind = min(due)
        _, created = Reminder.objects.get_or_create(
            channel=channel, period_start=period.start, days_before=remind,
            defaults={"taxpayer": channel.taxpayer, "text": text, "at": now},
        )  # fmt: skip
        if created:
            sent += 1
            users = {
                m.user
                for m in Membership.objects.filter(
                    taxpayer=channel.taxpayer, role__in=[Role.ADMIN, Role.FINANCE]
                ).select_related("user")
            }
            for user in sorted(users, key=lambda u: u.pk):
                notify(user, subject="Fapiao 清卡提醒", text=text, now=now)
    return sent


REMINDER_MESSAGE = "{0}{1}尚未清卡，征期{2:%m月%d日}截止（还剩{3}天），逾期设备将锁死"


def _reminder_text(channel_name: str, period: Period, closes: date, days: int) -> Text:
    return Text(REMINDER_MESSAGE, channel_name, period.label, closes, days)


def reminders_of(taxpayer: Taxpayer, *, since: datetime | None = None) -> list[Reminder]:
    """The taxpayer's recent reminders, each with its ``message`` made again from its parts
    (a :class:`Text`, so a page in English can say it; ``text`` is what was sent)."""
    since = since or timezone.now() - timedelta(days=20)
    reminders = list(
        Reminder.objects.filter(taxpayer=taxpayer, at__gte=since)
        .select_related("channel")
        .order_by("-at")
    )
    calendar = business_calendar()
    for reminder in reminders:
        period = period_of(reminder.period_start, Cycle(taxpayer.cycle))
        closes = filing_window(period, calendar).closes
        days = (closes - local_date(reminder.at)).days
        reminder.message = _reminder_text(reminder.channel.name, period, closes, days)  # type: ignore[attr-defined]
    return reminders


def digital_summary(channel: Channel, period: Period) -> dict[str, Any]:
    """A 数电 channel's month: the credit line used and the summary by kind (no 清卡)."""
    invoices = Invoice.objects.filter(_in_period(period), channel=channel)
    kinds = sorted({InvoiceKind(k) for k in invoices.values_list("kind", flat=True)})
    summary = summarize(_facts(invoices), kinds)
    used = Decimal(summary["sales"])
    return {
        "summary": summary,
        "credit": channel.monthly_credit,
        "used": used,
        "left": None if channel.monthly_credit is None else channel.monthly_credit - used,
    }
