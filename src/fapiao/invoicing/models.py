"""Persistence of taxpayers, channels, invoices and the hash-chained event log.

Rows are written only by ``services``; nothing here holds business rules beyond constraints.
"""

from __future__ import annotations

import secrets

from django.db import models

from fapiao.domain.kinds import ChannelType, InvoiceKind
from fapiao.domain.lifecycle import Status
from fapiao.domain.periods import Cycle
from fapiao.domain.rates import TaxpayerKind
from fapiao.domain.tax import PriceMode

MONEY = {"max_digits": 18, "decimal_places": 2}
PRICE = {"max_digits": 30, "decimal_places": 13}


def _choices(enum: type) -> list[tuple[str, str]]:
    return [(member.value, member.value) for member in enum]  # type: ignore[attr-defined]


def new_secret() -> bytes:
    return secrets.token_bytes(32)


class Taxpayer(models.Model):
    name = models.CharField("名称", max_length=100)
    tax_id = models.CharField("统一社会信用代码", max_length=20, unique=True)
    address = models.CharField("地址", max_length=100, blank=True)
    phone = models.CharField("电话", max_length=40, blank=True)
    bank = models.CharField("开户行", max_length=70, blank=True)
    account = models.CharField("银行账号", max_length=30, blank=True)
    kind = models.CharField("纳税人类型", max_length=10, choices=_choices(TaxpayerKind))
    cycle = models.CharField(
        "申报周期", max_length=10, choices=_choices(Cycle), default=Cycle.MONTHLY
    )
    region = models.CharField("地区代码", max_length=4)
    secret = models.BinaryField("校验码密钥", default=new_secret, editable=False)
    ledger_sequence = models.PositiveBigIntegerField(default=0, editable=False)
    ledger_head = models.CharField(max_length=64, default="0" * 64, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.name}（{self.tax_id}）"


class Channel(models.Model):
    """A tax-control device or a 数电 channel of one taxpayer."""

    taxpayer = models.ForeignKey(Taxpayer, on_delete=models.PROTECT, related_name="channels")
    type = models.CharField(max_length=10, choices=_choices(ChannelType))
    name = models.CharField(max_length=60)
    device_number = models.CharField("设备编号", max_length=20, blank=True)
    device_kind = models.CharField("设备类型", max_length=20, blank=True)
    lock_date = models.DateField("开票截止时间", null=True, blank=True)
    single_limit = models.DecimalField("单张发票限额", null=True, blank=True, **MONEY)
    offline_hours = models.PositiveIntegerField("离线开票时长", null=True, blank=True)
    offline_amount = models.DecimalField("离线正数累计金额", null=True, blank=True, **MONEY)
    channel_digit = models.CharField("渠道代码", max_length=1, default="0")
    monthly_credit = models.DecimalField("月授信额度", null=True, blank=True, **MONEY)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["taxpayer", "name"], name="channel_name_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class StockSegment(models.Model):
    """发票库存: numbers ``first``..``last`` of one code; ``next_number`` is the next to issue."""

    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, related_name="segments")
    kind = models.CharField(max_length=30, choices=_choices(InvoiceKind))
    code = models.CharField(max_length=12)
    first = models.PositiveIntegerField()
    last = models.PositiveIntegerField()
    next_number = models.PositiveIntegerField()
    received_from = models.CharField("来源", max_length=100)
    received_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["code", "first"], name="segment_unique"),
            models.CheckConstraint(
                condition=models.Q(first__lte=models.F("last"))
                & models.Q(next_number__gte=models.F("first"))
                & models.Q(next_number__lte=models.F("last") + 1),
                name="segment_bounds",
            ),
        ]


class DigitalCounter(models.Model):
    """The gapless 15-digit sequence of 数电 numbers per (taxpayer, year)."""

    taxpayer = models.ForeignKey(Taxpayer, on_delete=models.PROTECT)
    year = models.PositiveIntegerField()
    next_sequence = models.PositiveBigIntegerField(default=1)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["taxpayer", "year"], name="digital_counter_unique"),
        ]


class Invoice(models.Model):
    taxpayer = models.ForeignKey(Taxpayer, on_delete=models.PROTECT, related_name="invoices")
    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, related_name="invoices")
    kind = models.CharField(max_length=30, choices=_choices(InvoiceKind))
    code = models.CharField("发票代码", max_length=12, blank=True)
    number = models.CharField("发票号码", max_length=20)
    issued_at = models.DateTimeField("开票时间")
    issued_on = models.DateField("开票日期")
    status = models.CharField(max_length=20, choices=_choices(Status), default=Status.ISSUED)
    red = models.BooleanField(default=False)
    blue = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reds"
    )
    mode = models.CharField(max_length=10, choices=_choices(PriceMode))
    seller = models.JSONField()
    buyer = models.JSONField()
    buyer_name = models.CharField(max_length=100, db_index=True)
    remarks = models.CharField(max_length=200, blank=True)
    payee = models.CharField(max_length=20, blank=True)
    reviewer = models.CharField(max_length=20, blank=True)
    drawer = models.CharField(max_length=20, blank=True)
    amount = models.DecimalField("合计金额", **MONEY)
    tax = models.DecimalField("合计税额", **MONEY)
    total = models.DecimalField("价税合计", **MONEY)
    check_code = models.CharField("校验码", max_length=20, blank=True)
    qr = models.CharField(max_length=120)
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
        indexes = [models.Index(fields=["taxpayer", "issued_on"])]

    def __str__(self) -> str:
        return f"{self.code}{self.number}" if self.code else self.number


class InvoiceLine(models.Model):
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="lines")
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

    class Meta:
        ordering = ["index"]
        constraints = [
            models.UniqueConstraint(fields=["invoice", "index"], name="line_index_unique"),
        ]


class Event(models.Model):
    """One entry of a taxpayer's append-only history; each hashes the one before it."""

    taxpayer = models.ForeignKey(Taxpayer, on_delete=models.PROTECT, related_name="events")
    sequence = models.PositiveBigIntegerField()
    type = models.CharField(max_length=40)
    invoice = models.ForeignKey(Invoice, null=True, on_delete=models.PROTECT, related_name="events")
    actor = models.CharField(max_length=150)
    at = models.DateTimeField()
    payload = models.JSONField()
    previous_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["taxpayer", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["taxpayer", "sequence"], name="event_sequence_unique"),
        ]
