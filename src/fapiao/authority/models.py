"""The authority's own data (税务机关): its registry of uploaded invoices, what it handed out,
查验 counts and risk events. Nothing here refers to the taxpayer side's tables: the two sides
meet only through :mod:`fapiao.authority.client`."""

from __future__ import annotations

import json
from typing import Any

from django.db import models

from fapiao.domain.verification import RegistryStatus

MONEY = {"max_digits": 18, "decimal_places": 2}


class RegisteredTaxpayer(models.Model):
    tax_id = models.CharField("纳税人识别号", max_length=18, unique=True)
    name = models.CharField(max_length=100)
    last_sequence = models.PositiveBigIntegerField(default=0)  # of the last accepted upload
    monthly_credit = models.DecimalField("授信额度", null=True, **MONEY)

    def __str__(self) -> str:
        return f"{self.name}（{self.tax_id}）"


class TaxpayerKey(models.Model):
    """A public key a taxpayer signs with, registered with its first upload."""

    taxpayer = models.ForeignKey(RegisteredTaxpayer, on_delete=models.PROTECT, related_name="keys")
    algorithm = models.CharField(max_length=20)
    public_key = models.BinaryField()
    fingerprint = models.CharField(max_length=16, unique=True)
    registered_at = models.DateTimeField()


class AuthorityKey(models.Model):
    """The authority's own key: it signs receipts and answers."""

    algorithm = models.CharField(max_length=20)
    public_key = models.BinaryField()
    private_key = models.BinaryField()  # sealed under FAPIAO_SECRET_KEY
    created_at = models.DateTimeField()
    active = models.BooleanField(default=True)


class RegistryInvoice(models.Model):
    """An invoice as uploaded; ``facts()`` gives its signed content back as a dict."""

    taxpayer = models.ForeignKey(
        RegisteredTaxpayer, on_delete=models.PROTECT, related_name="invoices"
    )
    kind = models.CharField(max_length=30)
    code = models.CharField(max_length=12, blank=True)
    number = models.CharField(max_length=20)
    issued_at = models.DateTimeField()
    issued_on = models.DateField()
    amount = models.DecimalField(**MONEY)
    tax = models.DecimalField(**MONEY)
    total = models.DecimalField(**MONEY)
    check_code = models.CharField(max_length=20, blank=True)
    buyer_name = models.CharField(max_length=100)
    buyer_tax_id = models.CharField(max_length=20, blank=True)
    device_number = models.CharField(max_length=12, blank=True)  # "" for 数电
    status = models.CharField(
        max_length=4, choices=[(s.value, s.value) for s in RegistryStatus], default="正常"
    )
    blue = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reds"
    )
    red_total = models.DecimalField(default=0, **MONEY)  # positive sum of the reds against it
    # what the taxpayer signed, as its canonical JSON text: its SHA-256 is the digest signed, and
    # it is stored as sent (no JSON parsing by the database on the way in)
    content = models.TextField()
    digest = models.CharField(max_length=64)
    signature = models.CharField(max_length=200)
    key = models.ForeignKey(TaxpayerKey, on_delete=models.PROTECT)
    received_at = models.DateTimeField()
    changed_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["code", "number"], name="registry_number_unique")
        ]
        indexes = [models.Index(fields=["taxpayer", "id"])]

    def __str__(self) -> str:
        return f"{self.code}{self.number}" if self.code else self.number

    def facts(self) -> dict[str, Any]:
        return dict(json.loads(self.content))


class Receipt(models.Model):
    """Each upload the authority answered, by the taxpayer's sequence: a replay gets the same
    answer."""

    taxpayer = models.ForeignKey(RegisteredTaxpayer, on_delete=models.PROTECT)
    sequence = models.PositiveBigIntegerField()
    invoice = models.ForeignKey(RegistryInvoice, null=True, on_delete=models.PROTECT)
    message_digest = models.CharField(max_length=64)
    accepted = models.BooleanField()
    answer = models.JSONField()  # what was answered, signed when accepted

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["taxpayer", "sequence"], name="receipt_unique")
        ]


class CheckCount(models.Model):
    """查验 of one invoice on one natural day (Asia/Shanghai)."""

    invoice = models.ForeignKey(RegistryInvoice, on_delete=models.CASCADE)
    day = models.DateField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["invoice", "day"], name="check_count_unique")
        ]


class MissCount(models.Model):
    """查验 that found nothing, per client and hour: many of them look like enumeration."""

    client = models.CharField(max_length=64)
    hour = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["client", "hour"], name="miss_unique")]


class Risk(models.Model):
    taxpayer = models.ForeignKey(RegisteredTaxpayer, null=True, on_delete=models.PROTECT)
    kind = models.CharField(max_length=40)
    detail = models.JSONField()
    at = models.DateTimeField()


class StockGrant(models.Model):
    """A segment of invoice numbers handed to a device (发票领用)."""

    taxpayer = models.ForeignKey(RegisteredTaxpayer, on_delete=models.PROTECT)
    device_number = models.CharField(max_length=12)
    kind = models.CharField(max_length=30)
    code = models.CharField(max_length=12)
    first = models.PositiveIntegerField()
    last = models.PositiveIntegerField()
    at = models.DateTimeField()


class PeriodFiling(models.Model):
    """抄报: a device's summary of a period, as the taxpayer sent it."""

    taxpayer = models.ForeignKey(RegisteredTaxpayer, on_delete=models.PROTECT)
    device_number = models.CharField(max_length=12)
    period_start = models.DateField()
    period_end = models.DateField()
    summary = models.JSONField()
    received_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["taxpayer", "device_number", "period_start"], name="filing_unique"
            )
        ]


class ReviewStatus(models.TextChoices):
    PENDING = "pending", "审核中"
    APPROVED = "approved", "已通过"
    REJECTED = "rejected", "已驳回"


class ClearingApplication(models.Model):
    """A 清卡 application under review: approved at once when the return's comparison passes
    and the device's summary matches the registry, else by an authority user."""

    number = models.CharField(max_length=40, unique=True)
    taxpayer = models.ForeignKey(RegisteredTaxpayer, on_delete=models.PROTECT)
    device_number = models.CharField(max_length=12)
    period_start = models.DateField()
    period_end = models.DateField()
    type = models.CharField(max_length=4)
    summary = models.JSONField()  # the device's 抄报 summary
    declaration = models.JSONField()  # the return and its 比对, with any explanation
    findings = models.JSONField(default=list)  # why it needs a person, if it does
    status = models.CharField(max_length=10, choices=ReviewStatus.choices)
    reason = models.CharField(max_length=500, blank=True)
    submitted_at = models.DateTimeField()
    decided_at = models.DateTimeField(null=True)
    decided_by = models.CharField(max_length=150, blank=True)
    lock_date = models.DateField(null=True)  # the device's new 开票截止日期 once approved
    answer = models.JSONField(null=True)  # the signed decision

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["taxpayer", "device_number", "period_start"],
                condition=models.Q(status__in=["pending", "approved"]),
                name="one_live_clearing_per_period",
            )
        ]


class DigitalGrant(models.Model):
    """A block of 数电 numbers handed to one 数电 channel of a taxpayer (赋码): sequences
    ``first``..``last`` under ``prefix`` (2-digit year, 2-digit region, channel digit). Blocks of
    one prefix never overlap, whoever they went to, so no two taxpayers share a number."""

    taxpayer = models.ForeignKey(RegisteredTaxpayer, on_delete=models.PROTECT)
    prefix = models.CharField(max_length=5)
    first = models.PositiveBigIntegerField()
    last = models.PositiveBigIntegerField()
    at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["prefix", "first"], name="digital_grant_unique"),
        ]


class NumberSeries(models.Model):
    """A running number the authority hands out one at a time (``confirmation:42:2026`` for the
    确认单 of a region and year)."""

    series = models.CharField(max_length=40, unique=True)
    next_value = models.PositiveBigIntegerField(default=1)


class Anchor(models.Model):
    """A head of one of a taxpayer's chains (its history, or the audit log of the system it
    uses) as sent with an upload batch or the daily anchoring: kept and signed, so that a chain
    rewritten later, however consistently, no longer passes through it."""

    taxpayer = models.ForeignKey(RegisteredTaxpayer, on_delete=models.PROTECT, related_name="+")
    chain = models.CharField(max_length=10)  # history, audit
    sequence = models.PositiveBigIntegerField()
    head = models.CharField(max_length=64)
    #: the chain goes on from here after a restore: the heads kept after it are superseded
    restart = models.BooleanField(default=False)
    received_at = models.DateTimeField()
    superseded_at = models.DateTimeField(null=True, blank=True)
    signature = models.TextField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["taxpayer", "chain", "sequence"],
                condition=models.Q(superseded_at__isnull=True),
                name="anchor_unique",
            )
        ]
