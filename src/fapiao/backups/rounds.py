"""The nightly backup (at ``FAPIAO_BACKUP_HOUR``, once its recipients are set), its verification
into a scratch database when the worker holds the identity, and the rotation of old ones."""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from fapiao.backups.models import Backup
from fapiao.backups.services import backup_create, backup_verify, recipients_default
from fapiao.domain.retention import to_keep
from fapiao.jobs.services import handler, periodic
from fapiao.security.audit import audit_append


def keep_counts() -> tuple[int, int, int]:
    daily, weekly, monthly = (int(n) for n in settings.FAPIAO_BACKUP_KEEP.split(","))
    return daily, weekly, monthly


def due(now: datetime) -> bool:
    local = timezone.localtime(now)
    slot = local.replace(hour=settings.FAPIAO_BACKUP_HOUR, minute=0, second=0, microsecond=0)
    if local < slot:
        slot -= timedelta(days=1)
    return not Backup.objects.filter(trigger="schedule", started_at__gte=slot).exists()


def rotate(*, now: datetime | None = None) -> int:
    """Delete the scheduled backups the rotation no longer keeps; returns how many."""
    live = list(Backup.objects.filter(trigger="schedule", deleted_at__isnull=True))
    daily, weekly, monthly = keep_counts()
    kept = to_keep([b.started_at for b in live], daily=daily, weekly=weekly, monthly=monthly,
                   day_of=timezone.localdate)  # fmt: skip
    gone = 0
    for index, backup in enumerate(live):
        if index in kept:
            continue
        for path in backup.destinations:
            Path(path).unlink(missing_ok=True)
        with transaction.atomic():
            backup.deleted_at = now or timezone.now()
            backup.save(update_fields=["deleted_at"])
            audit_append("backup.rotated", actor="system", payload={"name": backup.name})
        gone += 1
    return gone


@periodic
def backup_round(now: datetime | None = None) -> int:
    if not recipients_default() or not due(now or timezone.now()):
        return 0
    _verified(backup_create(trigger="schedule"))
    rotate()
    return 1


def _verified(backup: Backup) -> Backup:
    """``backup`` restored into a scratch database, when this process holds the identity."""
    identity = os.environ.get("FAPIAO_BACKUP_IDENTITY_FILE", "").strip()
    if identity:
        backup_verify(Path(backup.destinations[0]), identity_file=Path(identity), backup=backup)
    return backup


@handler("backup.create")
def backup_now(payload: dict[str, Any]) -> dict[str, Any]:
    """A backup asked for on the page (by the installation's operator)."""
    backup = _verified(backup_create(trigger="manual", actor=str(payload.get("actor", "system"))))
    return {"name": backup.name}
