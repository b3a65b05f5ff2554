"""批量开具's reads, scoped to the taxpayer: the batches, one batch with its progress, its
items, and the files it gives back (the errors, the result, the invoices' ZIP)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.db.models import QuerySet

from fapiao.batches.files import annotated
from fapiao.batches.models import Batch, BatchItem, BatchStatus, ItemStatus
from fapiao.documents.exports import invoices_zip
from fapiao.domain.errors import DomainError, Text
from fapiao.invoicing.models import Invoice, Taxpayer
from fapiao.invoicing.selectors import NotFound


class TooMany(DomainError):
    code = "too_many"


#: the most invoices one ZIP holds (a larger batch downloads its invoices from the list)
ZIP_MAX = 2000


def batches_of(taxpayer: Taxpayer) -> QuerySet[Batch]:
    """The taxpayer's batches, newest first, without their files."""
    return (
        Batch.objects.filter(taxpayer=taxpayer)
        .select_related("channel")
        .defer("content", "errors")
        .order_by("-created_at", "-pk")
    )


def batch_get(taxpayer: Taxpayer, pk: int, *, full: bool = False) -> Batch:
    """The taxpayer's batch (with its uploaded file when ``full``), or :class:`NotFound`."""
    rows = Batch.objects.filter(taxpayer=taxpayer, pk=pk).select_related("channel")
    found = (rows if full else rows.defer("content")).first()
    if found is None:
        raise NotFound("批次不存在", field="id")
    return found


def batch_items(batch: Batch) -> QuerySet[BatchItem]:
    return batch.items.select_related("invoice").order_by("seq")


def batch_as_dict(batch: Batch, *, errors: int = 0) -> dict[str, Any]:
    """The batch as the API, the command and the progress on the page show it; its first
    ``errors`` row errors."""
    data: dict[str, Any] = {
        "id": batch.pk,
        "file": batch.filename,
        "channel": batch.channel.name,
        "status": batch.status,
        "status_label": BatchStatus(batch.status).label,
        "rows": batch.rows,
        "invoices": batch.invoice_count,
        "issued": batch.issued,
        "error_count": batch.error_count,
        "message": batch.message,
        "options": batch.options,
        "summary": batch.summary,
        "created_by": batch.created_by,
        "created_at": batch.created_at.isoformat(),
        "confirmed_by": batch.confirmed_by,
        "finished_at": batch.finished_at.isoformat() if batch.finished_at else None,
    }
    if errors:
        data["errors"] = [
            {"row": row, "column": column, "message": message}
            for row, column, message in batch.errors[:errors]
        ]
    return data


def batch_error_file(batch: Batch) -> tuple[bytes, str]:
    """The uploaded file with each row's errors in a last column 错误信息."""
    by_row: dict[int, list[str]] = defaultdict(list)
    for row, column, message in batch.errors:
        by_row[row].append(f"{column}：{message}")
    content, name = annotated(
        bytes(batch.content), batch.filename, ["错误信息"], lambda row: ["；".join(by_row[row])]
    )
    return content, f"错误报告-{name}"


RESULT_COLUMNS = ["开具状态", "发票号码", "开票日期", "价税合计", "说明"]


def batch_result_file(batch: Batch) -> tuple[bytes, str]:
    """The uploaded file with each row's invoice number(s), date, total and status added (a
    row of a split invoice lists every part)."""
    by_row: dict[int, list[BatchItem]] = defaultdict(list)
    for item in batch_items(batch):
        for row in item.source_rows:
            by_row[row].append(item)

    def result(row: int) -> list[Any]:
        items = by_row.get(row, [])
        if not items:
            return ["", "", "", "", ""]
        issued = [item.invoice for item in items if item.invoice is not None]
        state = "已开具" if len(issued) == len(items) else ("部分开具" if issued else "未开具")
        numbers = "、".join(invoice.number for invoice in issued)
        days = "、".join(sorted({invoice.issued_on.isoformat() for invoice in issued}))
        totals = "、".join(f"{invoice.total:.2f}" for invoice in issued)
        parts = items[0].parts
        note = f"超限额拆分为{parts}张" if parts > 1 else ""
        if state != "已开具" and batch.message:
            note = "；".join(filter(None, [note, batch.message]))
        return [state, numbers, days, totals, note]

    content, name = annotated(bytes(batch.content), batch.filename, RESULT_COLUMNS, result)
    return content, f"开具结果-{name}"


def batch_invoices(batch: Batch) -> QuerySet[Invoice]:
    ids = batch.items.filter(status=ItemStatus.ISSUED).values("invoice_id")
    return Invoice.objects.filter(pk__in=ids, taxpayer_id=batch.taxpayer_id).order_by("pk")


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def batch_file(batch: Batch, what: str) -> tuple[bytes, str, str]:
    """One of the batch's files (``errors`` once it has errors, ``result`` and ``zip`` once it
    issued something): content, file name, content type; :class:`NotFound` otherwise. The
    batch is read ``full`` (its uploaded file)."""
    if what == "errors" and batch.error_count:
        content, name = batch_error_file(batch)
    elif what == "result" and batch.issued:
        content, name = batch_result_file(batch)
    elif what == "zip" and batch.issued:
        return batch_zip(batch), f"batch-{batch.pk}.zip", "application/zip"
    else:
        raise NotFound("该批次没有这个文件（result、errors 或 zip）", field="what")
    return content, name, XLSX if name.endswith(".xlsx") else "text/csv"


def batch_zip(batch: Batch) -> bytes:
    """The issued invoices' PDFs (and 数电 XML) in one ZIP with its manifest."""
    invoices = batch_invoices(batch).select_related("channel", "taxpayer", "signing_key")
    if invoices.count() > ZIP_MAX:
        raise TooMany(Text("发票超过{0}张，请在发票查询中分批下载", ZIP_MAX), field="zip")
    return invoices_zip(invoices.prefetch_related("lines"), ("pdf", "xml"))
