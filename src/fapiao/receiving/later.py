"""Pictures and scans are read by OCR as background work (seconds each): an upload keeps them
as :class:`PendingFile`, the worker reads each (job ``received.read``) and keeps its invoices
as any other upload, and tells the uploader what came of it (notice kind ``received``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from fapiao.invoicing.models import Taxpayer
from fapiao.jobs.services import handler, job_enqueue
from fapiao.notices.services import notice_send
from fapiao.receiving.models import PendingFile, PendingStatus
from fapiao.receiving.reading import needs_ocr
from fapiao.receiving.services import receive_files
from fapiao.security.audit import audit_append


def receive_later(
    *,
    taxpayer: Taxpayer,
    files: list[tuple[str, bytes]],
    actor: str,
    via: str,
    now: datetime | None = None,
) -> tuple[Any, list[PendingFile]]:
    """What :func:`receive_files` does, but pictures and scans wait for the worker."""
    now = now or timezone.now()
    later = [(name, content) for name, content in files if needs_ocr(content)]
    done = receive_files(
        taxpayer=taxpayer,
        files=[(name, content) for name, content in files if not needs_ocr(content)],
        actor=actor,
        via=via,
        now=now,
    )
    waiting = []
    for name, content in later:
        with transaction.atomic():
            pending = PendingFile.objects.create(
                taxpayer=taxpayer,
                name=name[:200],
                content=content,
                received_at=now,
                received_by=actor,
                via=via,
            )
            audit_append(
                "received.queued",
                actor=actor,
                taxpayer=taxpayer,
                at=now,
                payload={"file": pending.name, "pending": pending.pk},
            )
            job_enqueue("received.read", {"pending": pending.pk}, taxpayer_id=taxpayer.pk)
        waiting.append(pending)
    return done, waiting


@handler("received.read")
def _read_job(payload: dict[str, Any]) -> dict[str, Any]:
    return pending_read(PendingFile.objects.get(pk=payload["pending"]))


def pending_read(pending: PendingFile, *, now: datetime | None = None) -> dict[str, Any]:
    """Read a waiting file (once), keep its invoices, and tell who uploaded it."""
    if pending.status != PendingStatus.WAITING:
        return {"status": pending.status}
    now = now or timezone.now()
    done = receive_files(
        taxpayer=pending.taxpayer,
        files=[(pending.name, bytes(pending.content))],
        actor=pending.received_by,
        via=pending.via,
        now=now,
    )
    rows = done.new + done.known
    pending.status = PendingStatus.DONE if rows else PendingStatus.FAILED
    pending.message = "；".join(why for _, why in done.refused)
    pending.invoices = [row.pk for row in rows]
    pending.done_at = now
    pending.save(update_fields=["status", "message", "invoices", "done_at"])
    audit_append(
        "received.read",
        actor=pending.received_by,
        taxpayer=pending.taxpayer,
        at=now,
        payload={"pending": pending.pk, "file": pending.name, "status": pending.status},
    )
    user = User.objects.filter(username=pending.received_by, is_active=True).first()
    if user is not None:
        numbers = "、".join(str(row) for row in rows)
        text = f"已识别发票{numbers}" if rows else f"未能识别：{pending.message}"
        notice_send(
            user,
            kind="received",
            subject=f"“{pending.name}”识别完成" if rows else f"“{pending.name}”未能识别",
            text=text,
            link=f"/received/{rows[0].pk}/" if len(rows) == 1 else "/received/",
            severity="info" if rows else "warning",
            taxpayer=pending.taxpayer,
            now=now,
        )
    return {"status": pending.status, "invoices": pending.invoices}
