"""开票申请: a draft submitted for an approver's decision, and the invoice it became."""

from __future__ import annotations

from django.db import models

from fapiao.invoicing.models.fields import MONEY


class IssueRequest(models.Model):
    """One draft waiting for (or past) its approval. ``request_id`` is the submitter's own id
    (another system's order number, say): the same id again is the same request."""

    taxpayer = models.ForeignKey("invoicing.Taxpayer", on_delete=models.PROTECT, related_name="+")
    channel = models.ForeignKey("invoicing.Channel", on_delete=models.PROTECT, related_name="+")
    request_id = models.CharField(max_length=64)
    content_hash = models.CharField(max_length=64)
    data = models.JSONField()  # the draft, as the single issue reads it
    kind = models.CharField(max_length=30)
    buyer_name = models.CharField(max_length=100)
    amount = models.DecimalField(**MONEY)
    tax = models.DecimalField(**MONEY)
    total = models.DecimalField(**MONEY)
    status = models.CharField(max_length=10, default="pending")  # domain.approval.RequestStatus
    submitted_by = models.CharField(max_length=150)
    submitted_at = models.DateTimeField()
    decided_by = models.CharField(max_length=150, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(max_length=200, blank=True)
    message = models.TextField(blank=True)  # why approving could not issue it (yet)
    invoice = models.OneToOneField(
        "invoicing.Invoice", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["taxpayer", "request_id"], name="issue_request_once")
        ]
        indexes = [models.Index(fields=["taxpayer", "status", "-submitted_at"])]

    def __str__(self) -> str:
        return f"开票申请{self.pk}"
