"""清卡: what blocks it now, the application with its confirmation code, the authority's
decision and the worker's round that fetches it."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.contrib.auth.models import AbstractUser
from django.db import transaction
from django.utils import timezone

from fapiao.authority.client import AuthorityClient, authority_client
from fapiao.closing.models import Clearing, ClearingStatus, Declaration, PeriodReport
from fapiao.closing.reminders import reminders_send
from fapiao.closing.services import (
    CONFIRM_PURPOSE,
    MONTHLY_FILER_MESSAGE,
    ask_authority,
    period_key,
    waiting_uploads,
)
from fapiao.core.calendar import business_calendar
from fapiao.core.clock import local_date
from fapiao.core.signing import signed_answer_valid
from fapiao.domain.closing import (
    ClearingState,
    ClosingRefused,
    application_number,
    clearing_blockers,
)
from fapiao.domain.kinds import ChannelType, InvoiceKind
from fapiao.domain.periods import (
    ClearingType,
    Cycle,
    Period,
    clearing_type_for,
    filing_window,
)
from fapiao.invoicing.ledger import event_append
from fapiao.invoicing.locks import taxpayer_lock
from fapiao.invoicing.models import (
    Channel,
    Monitoring,
    Upload,
)
from fapiao.invoicing.taxpayers import monitoring_set
from fapiao.jobs.services import periodic
from fapiao.security.services import confirm_check


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
    answer = ask_authority(
        (client or authority_client()).clearing_submit,
        {
            "tax_id": taxpayer.tax_id, "name": taxpayer.name, "number": number,
            "device_number": channel.device_number, **period_key(period),
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
    answer = ask_authority((client or authority_client()).clearing_status, clearing.number)
    return _decided(clearing, answer, client=client)


def _decided(
    clearing: Clearing, answer: dict[str, Any], *, client: AuthorityClient | None
) -> Clearing:
    """Apply a signed decision: approved moves every kind's lock date; rejected shows why."""
    if answer.get("number") != clearing.number or answer.get("status") == "pending":
        return clearing
    key = ask_authority((client or authority_client()).public_key)
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
