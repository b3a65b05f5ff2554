"""批量开具: an uploaded detail file, checked, and the invoices it plans and issues."""

from __future__ import annotations

from django.db import models

from fapiao.invoicing.models.fields import MONEY


class BatchStatus(models.TextChoices):
    INVALID = "invalid", "有错误"
    READY = "ready", "待确认"
    QUEUED = "queued", "排队中"
    ISSUING = "issuing", "开具中"
    STOPPED = "stopped", "已暂停"
    DONE = "done", "已完成"
    CANCELLED = "cancelled", "已取消"


class Batch(models.Model):
    """One uploaded file: kept (for its error and result files), its rows' errors, the preview
    figures, and how far issuing has come."""

    taxpayer = models.ForeignKey("invoicing.Taxpayer", on_delete=models.PROTECT, related_name="+")
    channel = models.ForeignKey("invoicing.Channel", on_delete=models.PROTECT, related_name="+")
    filename = models.CharField(max_length=200)
    content_hash = models.CharField(max_length=64)
    content = models.BinaryField()
    options = models.JSONField(default=dict)  # split, merge, limit, kind
    status = models.CharField(max_length=10, choices=BatchStatus.choices)
    rows = models.PositiveIntegerField(default=0)
    #: [[row, column, message], …] of every bad row
    errors = models.JSONField(default=list)
    error_count = models.PositiveIntegerField(default=0)
    #: what the preview shows: totals by kind and rate, what stock or credit it uses
    summary = models.JSONField(default=dict)
    invoice_count = models.PositiveIntegerField(default=0)
    issued = models.PositiveIntegerField(default=0)
    message = models.TextField(blank=True)  # why issuing stopped
    created_by = models.CharField(max_length=150)
    created_at = models.DateTimeField()
    confirmed_by = models.CharField(max_length=150, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["taxpayer", "content_hash"], name="batch_file_once")
        ]
        indexes = [models.Index(fields=["taxpayer", "-created_at"])]

    def __str__(self) -> str:
        return f"批次{self.pk}"


class ItemStatus(models.TextChoices):
    PLANNED = "planned", "待开具"
    ISSUED = "issued", "已开具"
    REFUSED = "refused", "未开具"


class BatchItem(models.Model):
    """One invoice the batch plans: a 单据号's draft, or one part of it when it was split; its
    request id (``batch-<batch>-<seq>``) makes issuing it twice impossible."""

    batch = models.ForeignKey(Batch, on_delete=models.CASCADE, related_name="items")
    seq = models.PositiveIntegerField()
    order = models.CharField(max_length=100)  # 单据号
    part = models.PositiveSmallIntegerField(default=1)
    parts = models.PositiveSmallIntegerField(default=1)
    source_rows = models.JSONField(default=list)  # the file's rows it comes from
    data = models.JSONField()  # the draft, as the single issue reads it
    kind = models.CharField(max_length=30)
    amount = models.DecimalField(**MONEY)
    tax = models.DecimalField(**MONEY)
    total = models.DecimalField(**MONEY)
    status = models.CharField(max_length=10, choices=ItemStatus.choices, default="planned")
    invoice = models.OneToOneField(
        "invoicing.Invoice", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    message = models.TextField(blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["batch", "seq"], name="batch_item_seq")]
        indexes = [models.Index(fields=["batch", "status", "seq"])]
