"""Issuing a confirmed batch, as background work that survives being killed.

The planned invoices are issued in order, a chunk at a time, each chunk in one transaction
that also marks its items issued: a worker killed mid-chunk leaves that chunk unissued and
unmarked, and the next run (the job delivered again, or the batch resumed) starts at the first
unissued item. Every item's request id is ``batch-<batch>-<seq>``: even a second runner could
not issue it twice. Two runners of one batch queue on the batch's row, chunk by chunk.

Stock or credit running out, a device past its lock date, any refusal, stops the batch with
what was issued and what was not; it can be resumed. A run gives the job back after a few
minutes and queues the rest, so one large batch never outlives the job's lease.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from fapiao.batches.models import Batch, BatchItem, BatchStatus, ItemStatus
from fapiao.core import fastsql
from fapiao.core.clock import local_date
from fapiao.domain.errors import DomainError, Text
from fapiao.invoicing.bulk import invoices_issue_many
from fapiao.invoicing.drafts import parse_draft
from fapiao.invoicing.ledger import event_append
from fapiao.invoicing.locks import taxpayer_lock
from fapiao.invoicing.numbers import NumbersUsedUp, digital_numbers_refill
from fapiao.jobs.services import handler, job_enqueue, job_progress
from fapiao.notices.services import notice_send

#: invoices issued per transaction
CHUNK = 200
#: seconds a run issues before it queues the rest as a new job
SLICE = 240.0

Progress = Callable[[int, int], None]


def request_id(batch_id: int, seq: int) -> str:
    return f"batch-{batch_id}-{seq}"


def _taxpayer_of(batch_id: int) -> int:
    return Batch.objects.values_list("taxpayer_id", flat=True).get(pk=batch_id)


def _batch_locked(batch_id: int) -> Batch:
    """The batch's row locked (the file and errors left unread), with its channel and taxpayer."""
    rows = Batch.objects.select_for_update(of=("self",)).select_related("channel", "taxpayer")
    return rows.defer("content", "errors").get(pk=batch_id)


def _chunk(batch_id: int) -> tuple[Batch, DomainError | None, bool]:
    """Issue the next chunk of the batch; the batch after it, the refusal that stopped it and
    whether the batch has nothing left to issue."""
    with transaction.atomic():
        locked = taxpayer_lock(_taxpayer_of(batch_id))
        batch = _batch_locked(batch_id)
        if batch.status not in (BatchStatus.QUEUED, BatchStatus.ISSUING):
            return batch, None, True
        items = list(
            BatchItem.objects.filter(batch=batch, status=ItemStatus.PLANNED).order_by("seq")[:CHUNK]
        )
        if not items:
            _finish(batch, locked)
            return batch, None, True
        drafts = [(request_id(batch.pk, item.seq), parse_draft(item.data)) for item in items]
        result = invoices_issue_many(
            taxpayer=locked, channel=batch.channel, drafts=drafts, actor=batch.confirmed_by
        )
        done = items[: len(result.invoices)]
        for item, invoice in zip(done, result.invoices, strict=True):
            item.status, item.invoice = ItemStatus.ISSUED, invoice
        fastsql.update_many(done, "status", "invoice")
        batch.issued += len(done)
        batch.status = BatchStatus.ISSUING
        refused = result.refused
        if refused is not None and not isinstance(refused, NumbersUsedUp):
            stopped = items[len(done)]
            _stop(batch, result.taxpayer, Text("单据号{0}：{1}", stopped.order, refused.message))
        batch.save(update_fields=["issued", "status", "message", "finished_at"])
    return batch, refused, False


def _stop(batch: Batch, locked: Any, message: Text) -> None:
    batch.status, batch.message, batch.finished_at = BatchStatus.STOPPED, str(message), None
    event_append(
        taxpayer=locked,
        type="batch.stopped",
        actor=batch.confirmed_by,
        at=timezone.now(),
        payload={"batch": batch.pk, "issued": batch.issued, "reason": batch.message},
    )
    _tell(
        batch,
        f"批量开具已暂停：{batch.filename}",
        f"已开具{batch.issued}张，共{batch.invoice_count}张。原因：{batch.message}",
        "warning",
    )


def _finish(batch: Batch, locked: Any) -> None:
    batch.status, batch.finished_at = BatchStatus.DONE, timezone.now()
    batch.save(update_fields=["status", "finished_at"])
    event_append(
        taxpayer=locked,
        type="batch.finished",
        actor=batch.confirmed_by,
        at=batch.finished_at,
        payload={"batch": batch.pk, "issued": batch.issued},
    )
    _tell(batch, f"批量开具完成：{batch.filename}", f"已开具{batch.issued}张发票。", "info")


def _tell(batch: Batch, subject: str, text: str, severity: str) -> None:
    """The notice of the batch's end to who confirmed it (and who uploaded it)."""
    names = {batch.confirmed_by, batch.created_by} - {""}
    for user in get_user_model().objects.filter(username__in=names, is_active=True):
        notice_send(
            user,
            kind="batch",
            severity=severity,
            subject=subject,
            text=text,
            link=f"/batches/{batch.pk}/",
            taxpayer=batch.taxpayer,
        )


def batch_issue_run(
    batch_id: int, *, progress: Progress | None = None, slice_seconds: float | None = None
) -> Batch:
    """Issue what is left of a queued batch, chunk by chunk, for at most ``slice_seconds``
    (no bound when None); the batch as the run left it (done, stopped, or still issuing)."""
    started = time.monotonic()
    refilled = False
    while True:
        batch, refused, finished = _chunk(batch_id)
        if progress is not None:
            progress(batch.issued, batch.invoice_count)
        if finished or batch.status == BatchStatus.STOPPED:
            return batch
        if isinstance(refused, NumbersUsedUp):
            if refilled:  # the authority gave no numbers: stop until resumed
                _stop_after_refill(batch_id, refused)
                continue
            digital_numbers_refill(batch.channel, local_date(timezone.now()).year, actor="batch")
            refilled = True
            continue
        refilled = False
        if slice_seconds is not None and time.monotonic() - started > slice_seconds:
            return batch


def _stop_after_refill(batch_id: int, refused: DomainError) -> None:
    with transaction.atomic():
        locked = taxpayer_lock(_taxpayer_of(batch_id))
        batch = _batch_locked(batch_id)
        _stop(batch, locked, Text("数电发票号码已用完：{0}", refused.message))
        batch.save(update_fields=["status", "message", "finished_at"])


@handler("batch.issue")
def _issue_job(payload: dict[str, Any]) -> dict[str, Any]:
    batch = batch_issue_run(payload["batch"], progress=job_progress, slice_seconds=SLICE)
    if batch.status == BatchStatus.ISSUING:  # the slice ran out: the rest in a new job
        with transaction.atomic():
            job_enqueue("batch.issue", {"batch": batch.pk}, taxpayer_id=batch.taxpayer_id)
    return {"status": batch.status, "issued": batch.issued, "invoices": batch.invoice_count}
