"""进项与报销: the invoices a taxpayer received (one row per invoice, whatever files it came
in), the files themselves, corrections of what was read, 报销单 and their items."""

from __future__ import annotations

from django.db import models

from fapiao.invoicing.models.fields import MONEY


class ReceivedStatus(models.TextChoices):
    PENDING = "pending", "待查验"
    VERIFIED = "verified", "已查验"
    MISMATCH = "mismatch", "查验不符"
    REIMBURSED = "reimbursed", "已报销"
    DEDUCTED = "deducted", "已抵扣"


class ReceivedInvoice(models.Model):
    """A received invoice: the fields read (each with its source and confidence in
    ``reading``), corrected by a clerk where wrong, its 查验 answer, its claim and deduction.
    ``identity`` (code:number) makes the same invoice one row across formats and people."""

    taxpayer = models.ForeignKey("invoicing.Taxpayer", on_delete=models.PROTECT, related_name="+")
    identity = models.CharField(max_length=40)
    kind = models.CharField(max_length=30, blank=True)
    code = models.CharField(max_length=12, blank=True)
    number = models.CharField(max_length=20)
    issued_on = models.DateField(null=True, blank=True)
    check_code = models.CharField(max_length=20, blank=True)
    seller_name = models.CharField(max_length=200, blank=True)
    seller_tax_id = models.CharField(max_length=20, blank=True)
    buyer_name = models.CharField(max_length=200, blank=True)
    buyer_tax_id = models.CharField(max_length=20, blank=True)
    amount = models.DecimalField(**MONEY, null=True, blank=True)
    tax = models.DecimalField(**MONEY, null=True, blank=True)
    total = models.DecimalField(**MONEY, null=True, blank=True)
    remarks = models.TextField(blank=True)
    issuer = models.CharField(max_length=60, blank=True)
    lines = models.JSONField(default=list)
    #: what was read, as ``fapiao read --json`` prints it (sources, confidence, warnings)
    reading = models.JSONField(default=dict)
    #: the buyer printed is not this taxpayer (its name or tax id differs)
    not_ours = models.BooleanField(default=False)
    status = models.CharField(max_length=12, choices=ReceivedStatus.choices, default="pending")
    verify_answer = models.JSONField(default=dict, blank=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    claim = models.ForeignKey(
        "Claim", null=True, blank=True, on_delete=models.SET_NULL, related_name="invoices"
    )
    deducted_period = models.DateField(null=True, blank=True)  # the period's first day
    deducted_at = models.DateTimeField(null=True, blank=True)
    deducted_by = models.CharField(max_length=150, blank=True)
    received_at = models.DateTimeField()
    received_by = models.CharField(max_length=150)
    via = models.CharField(max_length=10)  # upload, api, cli, mail

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["taxpayer", "identity"], name="received_once")
        ]
        indexes = [
            models.Index(fields=["taxpayer", "-received_at"]),
            models.Index(fields=["taxpayer", "deducted_period"]),
        ]

    def __str__(self) -> str:
        return f"{self.code}{self.number}" if self.code else self.number

    def settled_status(self) -> str:
        """The status the row's facts give: 已抵扣 when in a period's deduction, 已报销 when in
        an approved claim, else its last 查验 outcome (待查验 when it had none that decided)."""
        if self.deducted_period is not None:
            return ReceivedStatus.DEDUCTED
        if self.claim_id is not None and self.claim.status == ClaimStatus.APPROVED:
            return ReceivedStatus.REIMBURSED
        outcome = self.verify_answer.get("outcome")
        return {"一致": ReceivedStatus.VERIFIED, "不一致": ReceivedStatus.MISMATCH}.get(
            outcome, ReceivedStatus.PENDING
        )


class ReceivedFile(models.Model):
    """A file an invoice came in (an invoice may come as PDF, OFD and XML: each is kept)."""

    invoice = models.ForeignKey(ReceivedInvoice, on_delete=models.CASCADE, related_name="files")
    name = models.CharField(max_length=200)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveIntegerField()
    content = models.BinaryField()
    page = models.PositiveSmallIntegerField(null=True, blank=True)
    received_at = models.DateTimeField()
    received_by = models.CharField(max_length=150)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["invoice", "sha256", "page"], name="received_file_once")
        ]


class Correction(models.Model):
    """A clerk's correction of a field read wrong: who, when, before and after."""

    invoice = models.ForeignKey(
        ReceivedInvoice, on_delete=models.CASCADE, related_name="corrections"
    )
    field = models.CharField(max_length=30)
    before = models.TextField(blank=True)
    after = models.TextField(blank=True)
    by = models.CharField(max_length=150)
    at = models.DateTimeField()


class ClaimStatus(models.TextChoices):
    DRAFT = "draft", "草稿"
    SUBMITTED = "submitted", "待审批"
    APPROVED = "approved", "已批准"
    REJECTED = "rejected", "已驳回"


class Claim(models.Model):
    """报销单: a claimant's invoices for one purpose, decided by 财务."""

    taxpayer = models.ForeignKey("invoicing.Taxpayer", on_delete=models.PROTECT, related_name="+")
    claimant = models.ForeignKey("auth.User", on_delete=models.PROTECT, related_name="claims")
    purpose = models.CharField(max_length=200)
    status = models.CharField(max_length=10, choices=ClaimStatus.choices, default="draft")
    amount = models.DecimalField(**MONEY, default=0)  # 价税合计 of its invoices
    created_at = models.DateTimeField()
    submitted_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.CharField(max_length=150, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    reason = models.TextField(blank=True)  # why it was rejected, or a note on approval

    class Meta:
        indexes = [models.Index(fields=["taxpayer", "status", "-created_at"])]

    def __str__(self) -> str:
        return f"报销单{self.pk}"


class PendingStatus(models.TextChoices):
    WAITING = "waiting", "识别中"
    DONE = "done", "已识别"
    FAILED = "failed", "无法识别"


class PendingFile(models.Model):
    """A picture or a scan waiting for OCR, read by the worker (a page stays quick)."""

    taxpayer = models.ForeignKey("invoicing.Taxpayer", on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=200)
    content = models.BinaryField()
    status = models.CharField(max_length=10, choices=PendingStatus.choices, default="waiting")
    message = models.TextField(blank=True)
    invoices = models.JSONField(default=list)  # the received invoices' ids it gave
    received_at = models.DateTimeField()
    received_by = models.CharField(max_length=150)
    via = models.CharField(max_length=10)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["taxpayer", "status", "-received_at"])]
