"""批量开具's writes: a file checked and kept with its plan (nothing issued), confirmed (the
issuing queued as background work), cancelled. Each one is an event on the taxpayer's history.
The issuing itself is :mod:`fapiao.batches.issuing`."""

from __future__ import annotations

import hashlib
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from fapiao.batches.checking import Checker, Options, Planned, summary
from fapiao.batches.files import read_file
from fapiao.batches.models import Batch, BatchItem, BatchStatus
from fapiao.core import fastsql
from fapiao.core.clock import local_date
from fapiao.domain.batchfile import RowError
from fapiao.domain.errors import DomainError, Text
from fapiao.invoicing.ledger import event_append
from fapiao.invoicing.locks import taxpayer_lock
from fapiao.invoicing.models import Channel, Taxpayer
from fapiao.jobs.services import job_enqueue

#: items written per statement
WRITE_BATCH = 2000
#: errors kept on the batch (the count is always whole)
ERRORS_KEPT = 20_000


class BatchRefused(DomainError):
    code = "batch_refused"


class AlreadyUploaded(BatchRefused):
    """The same file (same content) was uploaded before: ``batch`` is the first batch."""

    code = "batch_duplicate"

    def __init__(self, batch: Batch) -> None:
        super().__init__(
            Text("该文件已于{0}上传过（{1}），不会重复开具", local_date(batch.created_at), batch),
            field="file",
        )
        self.batch = batch

    def as_dict(self) -> dict[str, str | None]:
        return {**super().as_dict(), "batch": str(self.batch.pk)}


def _check_rows(checker: Checker, read: Any) -> tuple[list[Planned], list[RowError]]:
    planned: list[Planned] = []
    errors: list[RowError] = list(read.errors)
    seen = {(error.row, error.column) for error in errors}
    for group in read.groups:
        invoices, bad = checker.check(group)
        for error in bad:  # a cell refused while reading is reported once
            if (error.row, error.column) not in seen:
                seen.add((error.row, error.column))
                errors.append(error)
        if group.order not in read.bad_orders and not bad:
            planned.extend(invoices)
    errors.sort(key=lambda error: error.row)
    return planned, errors


def batch_check(
    *,
    taxpayer: Taxpayer,
    channel: Channel,
    content: bytes,
    filename: str,
    options: Options,
    actor: str,
    drawer: str = "",
    keep: bool = True,
) -> Batch:
    """Read and check a detail file and keep it with its plan: every invoice it makes (split
    and merged as ``options`` ask) or every bad row's error. Nothing is issued; a file with any
    bad row cannot be confirmed. The same file twice is refused, naming the first batch.
    Without ``keep`` nothing is stored: the batch returned is the check's report."""
    if channel.taxpayer_id != taxpayer.pk:
        raise BatchRefused("开票渠道不属于该纳税人", field="channel")
    digest = hashlib.sha256(content).hexdigest()
    if first := Batch.objects.filter(taxpayer=taxpayer, content_hash=digest).first():
        raise AlreadyUploaded(first)
    read = read_file(content, filename)
    checker = Checker(taxpayer, channel, options, drawer or actor)
    planned, errors = _check_rows(checker, read)
    if not read.groups and not errors:
        raise BatchRefused("文件中没有明细行", field="file")
    now = timezone.now()
    batch = Batch(
        taxpayer=taxpayer,
        channel=channel,
        filename=filename[:200],
        content_hash=digest,
        content=content,
        options=options.as_dict(),
        status=BatchStatus.INVALID if errors else BatchStatus.READY,
        rows=read.rows,
        errors=[[e.row, e.column, str(e.message)] for e in errors[:ERRORS_KEPT]],
        error_count=len(errors),
        summary=summary(planned, checker.state, channel),
        invoice_count=0 if errors else len(planned),
        created_by=actor,
        created_at=now,
    )
    if not keep:
        return batch
    try:
        with transaction.atomic():
            locked = taxpayer_lock(taxpayer.pk)
            batch.save()
            if not errors:
                items = [_item(batch, seq, item) for seq, item in enumerate(planned, start=1)]
                for start in range(0, len(items), WRITE_BATCH):
                    fastsql.insert(items[start : start + WRITE_BATCH], keys=False)
            event_append(
                taxpayer=locked,
                type="batch.checked",
                actor=actor,
                at=now,
                payload={
                    "batch": batch.pk,
                    "file": batch.filename,
                    "rows": read.rows,
                    "invoices": batch.invoice_count,
                    "errors": len(errors),
                },
            )
    except IntegrityError:  # the same file, uploaded at the same moment by someone else
        raise AlreadyUploaded(Batch.objects.get(taxpayer=taxpayer, content_hash=digest)) from None
    return batch


def _item(batch: Batch, seq: int, planned: Planned) -> BatchItem:
    totals = planned.computed.totals
    return BatchItem(
        batch=batch,
        seq=seq,
        order=planned.order[:100],
        part=planned.part,
        parts=planned.parts,
        source_rows=planned.rows,
        data=planned.data,
        kind=planned.kind.value,
        amount=totals.amount,
        tax=totals.tax,
        total=totals.total,
    )


def _locked(batch: Batch) -> tuple[Batch, Taxpayer]:
    """The taxpayer's lock, then the batch's (the order issuing takes them in)."""
    locked = taxpayer_lock(batch.taxpayer_id)
    return Batch.objects.select_for_update().defer("content").get(pk=batch.pk), locked


def batch_confirm(*, batch: Batch, actor: str) -> Batch:
    """Start (or, once stopped, resume) issuing the batch's invoices as background work."""
    with transaction.atomic():
        batch, locked = _locked(batch)
        if batch.status not in (BatchStatus.READY, BatchStatus.STOPPED):
            raise BatchRefused(
                Text("该批次状态为“{0}”，不能开具", batch.get_status_display()), field="status"
            )
        resumed = batch.status == BatchStatus.STOPPED
        batch.status, batch.message = BatchStatus.QUEUED, ""
        if not resumed:
            batch.confirmed_by, batch.confirmed_at = actor, timezone.now()
        batch.save(update_fields=["status", "message", "confirmed_by", "confirmed_at"])
        job_enqueue("batch.issue", {"batch": batch.pk}, taxpayer_id=batch.taxpayer_id)
        event_append(
            taxpayer=locked,
            type="batch.resumed" if resumed else "batch.confirmed",
            actor=actor,
            at=timezone.now(),
            payload={"batch": batch.pk, "invoices": batch.invoice_count, "issued": batch.issued},
        )
    return batch


def batch_cancel(*, batch: Batch, actor: str) -> Batch | None:
    """Give up a batch not being issued: one that issued nothing is removed (its file may be
    uploaded again); one stopped part-way keeps what it issued and plans nothing more."""
    with transaction.atomic():
        batch, locked = _locked(batch)
        if batch.status in (BatchStatus.QUEUED, BatchStatus.ISSUING):
            raise BatchRefused("批次正在开具，请等待完成或暂停后再取消", field="status")
        if batch.status in (BatchStatus.DONE, BatchStatus.CANCELLED):
            raise BatchRefused(
                Text("该批次状态为“{0}”，不能取消", batch.get_status_display()), field="status"
            )
        payload = {"batch": batch.pk, "file": batch.filename, "issued": batch.issued}
        event_append(
            taxpayer=locked,
            type="batch.cancelled",
            actor=actor,
            at=timezone.now(),
            payload=payload,
        )
        if batch.issued == 0:
            batch.delete()
            return None
        batch.status, batch.finished_at = BatchStatus.CANCELLED, timezone.now()
        batch.save(update_fields=["status", "finished_at"])
    return batch
