"""通知中心: one service gives every notice (risk alerts, 清卡 reminders, refused uploads, failed
deliveries, batch results, claim decisions, ticket replies …). Each is kept for its reader (the
bell and the list page) and delivered by the channels they chose for its kind in 个人设置: by
e-mail and SMS as background work, after their quiet hours unless it is critical, tried again
with the task engine's backoff, each delivery's outcome kept."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from fapiao.core.sms import sms_backend
from fapiao.domain.notices import KINDS, Severity, channels_for, passes_quiet_hours
from fapiao.jobs.services import MAX_ATTEMPTS, handler, job_enqueue
from fapiao.notices.models import Delivery, DeliveryStatus, Notification
from fapiao.security.preferences import deliver_at, preferences_of

log = logging.getLogger(__name__)


def _chosen(user: AbstractUser) -> tuple[Any, set[str]]:
    profile = preferences_of(user)
    chosen = {
        channel
        for channel, on in (("in_app", profile.notify_in_app), ("email", profile.notify_email),
                            ("sms", profile.notify_sms))
        if on
    }  # fmt: skip
    return profile, chosen


@transaction.atomic
def notice_send(
    user: AbstractUser,
    *,
    kind: str,
    subject: str,
    text: str,
    link: str = "",
    severity: str = Severity.INFO,
    taxpayer: Any = None,
    now: datetime | None = None,
) -> Notification:
    """Give ``user`` a notice: kept for the bell (already read when they turned the app's
    notices off for its kind) and queued by e-mail and SMS as they chose."""
    if kind not in KINDS:
        raise ValueError(kind)
    now = now or timezone.now()
    profile, chosen = _chosen(user)
    channels = channels_for(kind, chosen=chosen, off=profile.notice_off or {})
    notification = Notification.objects.create(
        user=user, taxpayer=taxpayer, kind=kind, severity=str(severity), subject=subject[:200],
        text=text, link=link[:300], created_at=now,
        read_at=None if "in_app" in channels else now,
    )  # fmt: skip
    due = now if passes_quiet_hours(severity) else deliver_at(profile, now)
    targets = {"email": user.email, "sms": profile.mobile}
    for channel in ("email", "sms"):
        if channel in channels and targets[channel]:
            delivery = Delivery.objects.create(
                notification=notification, channel=channel, target=targets[channel], due_at=due
            )
            job_enqueue("notices.deliver", {"delivery": delivery.pk}, at=due)
    return notification


def notice_send_all(users: Iterable[AbstractUser], **notice: Any) -> int:
    """:func:`notice_send` to each active user of ``users`` (once each); how many."""
    seen: set[int] = set()
    for user in sorted(users, key=lambda u: u.pk):
        if user.is_active and user.pk not in seen:
            seen.add(user.pk)
            notice_send(user, **notice)
    return len(seen)


def notices_read(user: AbstractUser, ids: Iterable[int] | None = None) -> int:
    """Mark the user's notices read (``ids``, or all); how many were unread."""
    unread = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=list(ids))
    return unread.update(read_at=timezone.now())


def _body(notification: Notification) -> str:
    if not notification.link:
        return notification.text
    site = getattr(settings, "FAPIAO_SITE_URL", "").rstrip("/")
    return f"{notification.text}\n\n{site}{notification.link}"


@handler("notices.deliver")
def _deliver(payload: dict[str, Any]) -> str:
    """Send one delivery; raising leaves it to the engine's next try, the error kept."""
    delivery = (
        Delivery.objects.select_related("notification").filter(pk=payload["delivery"]).first()
    )
    if delivery is None or delivery.status == DeliveryStatus.SENT:
        return "nothing to send"
    notification = delivery.notification
    delivery.attempts += 1
    try:
        if delivery.channel == "email":
            send_mail(notification.subject, _body(notification), settings.DEFAULT_FROM_EMAIL,
                      [delivery.target])  # fmt: skip
        else:
            sms_backend().send(delivery.target, f"【Fapiao】{notification.text}"[:300])
    except Exception as error:
        delivery.error = f"{type(error).__name__}: {error}"[:500]
        delivery.status = (
            DeliveryStatus.FAILED if delivery.attempts >= MAX_ATTEMPTS else DeliveryStatus.WAITING
        )
        delivery.save(update_fields=["attempts", "error", "status"])
        raise
    delivery.status, delivery.sent_at, delivery.error = DeliveryStatus.SENT, timezone.now(), ""
    delivery.save(update_fields=["attempts", "error", "status", "sent_at"])
    return "sent"
