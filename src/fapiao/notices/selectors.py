"""What the bell and the list page read of a user's notices."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db.models import QuerySet

from fapiao.notices.models import Notification


def unread_count(user: AbstractUser) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def notices_of(
    user: AbstractUser, *, unread: bool = False, kind: str = ""
) -> QuerySet[Notification]:
    """The user's notices, newest first, with their deliveries."""
    found = Notification.objects.filter(user=user).prefetch_related("deliveries")
    if unread:
        found = found.filter(read_at__isnull=True)
    if kind:
        found = found.filter(kind=kind)
    return found.order_by("-created_at", "-pk")
