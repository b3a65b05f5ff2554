"""Invoices and their lines, red forms, the hash-chained event log and the upload outbox."""

from __future__ import annotations

from django.db import models

from fapiao.domain.kinds import InvoiceKind
from fapiao.domain.kinds import RedForm as RedFormType
from fapiao.domain.lifecycle import Status
from fapiao.domain.tax import PriceMode
from fapiao.invoicing.models.fields import MONEY, PRICE, choices_of
from fapiao.invoicing.models.taxpayers import Channel, SigningKey, Taxpayer


class Invoice(models.Model):
    # no index of its own on taxpayer or key: (taxpayer, issued_on) serves the taxpayer's
    # lookups, and each index costs every issue a write
    taxpayer = models.ForeignKey(
        Taxpayer, on_delete=models.PROTECT, related_name="invoices", db_index=False
    )
    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, related_name="invoices")
    kind = models.CharField(max_length=30, choices=choices_of(InvoiceKind))
    code = models.CharField("发票代码", max_length=12, blank=True)
    number = models.CharField("发票号码", max_length=20)
    issued_at = models.DateTimeField("开票时间")
    issued_on = models.DateField("开票日期")
    status = models.CharField(max_length=20, choices=choices_of(Status), default=Status.ISSUED)
    red = models.BooleanField(default=False)
    blue = models.ForeignKey(  # indexed where set (see Meta): most invoices are blue
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reds",
        db_index=False,
    )  # fmt: skip
    mode = models.CharField(max_length=10, choices=choices_of(PriceMode))
    seller = models.JSONField()
    buyer = models.JSONField()
    buyer_name = models.CharField(max_length=100, db_index=True)
    buyer_email = models.EmailField("交付邮箱", blank=True)  # where the files go; not printed
    buyer_mobile = models.CharField("交付手机号", max_length=20, blank=True)
    remarks = models.CharField(max_length=200, blank=True)
    payee = models.CharField(max_length=20, blank=True)
    reviewer = models.CharField(max_length=20, blank=True)
    drawer = models.CharField(max_length=20, blank=True)
    amount = models.DecimalField("合计金额", **MONEY)
    tax = models.DecimalField("合计税额", **MONEY)
    total = models.DecimalField("价税合计", **MONEY)
    check_code = models.CharField("校验码", max_length=20, blank=True)
    qr = models.CharField(max_length=120)
    red_reason = models.CharField("红冲原因", max_length=10, blank=True)
    red_form = models.OneToOneField(
        "RedForm", null=True, blank=True, on_delete=models.PROTECT, related_name="red_invoice"
    )
    signing_key = models.ForeignKey(SigningKey, on_delete=models.PROTECT, db_index=False)
    signature = models.CharField(max_length=200)
    request_id = models.CharField(max_length=100, null=True, blank=True)
    content_hash = models.CharField(max_length=64)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "code", "number"], name="invoice_number_unique"
            ),
            models.UniqueConstraint(
                fields=["taxpayer", "request_id"],
                condition=models.Q(request_id__isnull=False),
                name="invoice_request_unique",
            ),
        ]
        indexes = [
            models.Index(fields=["taxpayer", "issued_on"]),
            models.Index(
                fields=["blue"], condition=models.Q(blue__isnull=False), name="invoice_red_of_blue"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code}{self.number}" if self.code else self.number


class InvoiceLine(models.Model):
    invoice = models.ForeignKey(  # (invoice, index) is unique, which indexes it
        Invoice, on_delete=models.PROTECT, related_name="lines", db_index=False
    )
    index = models.PositiveIntegerField()
    name = models.CharField(max_length=100)
    short_name = models.CharField(max_length=40)
    tax_code = models.CharField(max_length=19)
    spec = models.CharField(max_length=40, blank=True)
    unit = models.CharField(max_length=20, blank=True)
    quantity = models.DecimalField(null=True, **PRICE)
    unit_price = models.DecimalField(null=True, **PRICE)
    amount = models.DecimalField(**MONEY)
    rate = models.CharField(max_length=12)
    tax = models.DecimalField(**MONEY)
    discount = models.BooleanField(default=False)
    blue_index = models.PositiveIntegerField(null=True)  # on a red line: the blue line it reverses

    class Meta:
        ordering = ["index"]
        constraints = [
            models.UniqueConstraint(fields=["invoice", "index"], name="line_index_unique"),
        ]


class RedFormStatus(models.TextChoices):
    PENDING = "pending", "待对方确认"
    CONFIRMED = "confirmed", "已确认"
    REJECTED = "rejected", "对方已拒绝"
    LAPSED = "lapsed", "超时作废"
    CANCELLED = "cancelled", "已撤销"
    USED = "used", "已开具红字发票"


class RedForm(models.Model):
    """红字发票信息表 (税控 专票) or 红字发票信息确认单 (数电) for one blue invoice."""

    taxpayer = models.ForeignKey(Taxpayer, on_delete=models.PROTECT, related_name="red_forms")
    blue = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="red_forms")
    type = models.CharField(max_length=20, choices=choices_of(RedFormType))
    number = models.CharField("编号", max_length=20)
    reason = models.CharField("红冲原因", max_length=10)
    raised_by = models.CharField(max_length=10)  # seller or buyer
    status = models.CharField(max_length=10, choices=RedFormStatus.choices)
    lines = models.JSONField()  # the red lines, as drafted
    amount = models.DecimalField(**MONEY)
    tax = models.DecimalField(**MONEY)
    total = models.DecimalField(**MONEY)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField(null=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["type", "number"], name="red_form_number_unique"),
        ]

    def __str__(self) -> str:
        return self.number


class Event(models.Model):
    """One entry of a taxpayer's append-only history; each hashes the one before it."""

    taxpayer = models.ForeignKey(  # (taxpayer, sequence) is unique, which indexes it
        Taxpayer, on_delete=models.PROTECT, related_name="events", db_index=False
    )
    sequence = models.PositiveBigIntegerField()
    type = models.CharField(max_length=40)
    invoice = models.ForeignKey(Invoice, null=True, on_delete=models.PROTECT, related_name="events")
    red_form = models.ForeignKey(  # indexed where set (see Meta): most events have none
        RedForm, null=True, on_delete=models.PROTECT, related_name="events", db_index=False
    )
    actor = models.CharField(max_length=150)
    #: the address of the request that made the change ("" from the command line or the worker)
    client = models.CharField(max_length=45, blank=True, default="")
    #: and its user agent (likewise)
    user_agent = models.CharField(max_length=300, blank=True, default="")
    at = models.DateTimeField()
    payload = models.JSONField()
    previous_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["taxpayer", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["taxpayer", "sequence"], name="event_sequence_unique"),
        ]
        indexes = [
            models.Index(
                fields=["red_form"], condition=models.Q(red_form__isnull=False),
                name="event_of_red_form",
            ),
        ]  # fmt: skip


class Upload(models.Model):
    """报送 outbox: what the authority must learn of an invoice (issued, red, voided), written
    in the transaction that made the change. ``sequence`` is that change's event sequence, so
    a taxpayer's uploads are numbered in the order they were committed."""

    taxpayer = models.ForeignKey(  # (taxpayer, sequence) is unique, which indexes it
        Taxpayer, on_delete=models.PROTECT, related_name="uploads", db_index=False
    )
    sequence = models.PositiveBigIntegerField()
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="uploads")
    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, related_name="uploads")
    issued_at = models.DateTimeField()
    amount = models.DecimalField(**MONEY)  # what counts toward the offline amount (0 for a void)
    voided = models.BooleanField(default=False)
    created_at = models.DateTimeField()
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    answered_at = models.DateTimeField(null=True)
    accepted = models.BooleanField(null=True)
    answer = models.JSONField(null=True)  # the authority's answer, with its signed receipt

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["taxpayer", "sequence"], name="upload_sequence_unique")
        ]
        indexes = [
            models.Index(
                fields=["channel", "issued_at"],
                condition=models.Q(answered_at__isnull=True),
                name="upload_waiting_channel",
            ),
            models.Index(
                fields=["taxpayer", "sequence"],
                condition=models.Q(answered_at__isnull=True),
                name="upload_waiting_taxpayer",
            ),
        ]

    def __str__(self) -> str:
        return f"上传#{self.sequence}"


class UploadLease(models.Model):
    """Which worker is uploading a taxpayer's outbox now, and when to try again after the
    authority could not be reached."""

    taxpayer = models.OneToOneField(Taxpayer, on_delete=models.CASCADE, primary_key=True)
    holder = models.CharField(max_length=64, blank=True)
    until = models.DateTimeField(null=True)
    failures = models.PositiveIntegerField(default=0)
    retry_at = models.DateTimeField(null=True)
    last_error = models.CharField(max_length=500, blank=True)
    #: 存证: when the chains' heads last reached the authority, and what it last objected to
    anchored_at = models.DateTimeField(null=True)
    anchor_error = models.CharField(max_length=500, blank=True)
