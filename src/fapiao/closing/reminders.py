"""Reminders of the 清卡 deadline, by the channels each person chose, outside quiet hours."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.utils import timezone

from fapiao.closing.models import Clearing, ClearingStatus, Reminder
from fapiao.closing.services import due_period
from fapiao.core.calendar import business_calendar
from fapiao.core.clock import local_date
from fapiao.core.roles import Role
from fapiao.domain.errors import Text
from fapiao.domain.kinds import ChannelType
from fapiao.domain.periods import (
    Cycle,
    Period,
    filing_window,
    period_of,
)
from fapiao.invoicing.models import (
    Channel,
    Membership,
    Taxpayer,
)
from fapiao.notices.services import notice_send_all

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
            users = [
                m.user
                for m in Membership.objects.filter(
                    taxpayer=channel.taxpayer, role__in=[Role.ADMIN, Role.FINANCE]
                ).select_related("user")
            ]
            notice_send_all(
                users, kind="clearing", subject="Fapiao 清卡提醒", text=str(text), now=now,
                link=f"/closing/?channel={channel.pk}", taxpayer=channel.taxpayer,
                severity="warning",
            )  # fmt: skip
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
