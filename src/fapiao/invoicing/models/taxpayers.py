"""Taxpayers, their channels (devices and 数电), stock segments, 数电 blocks, credit use,
counters and signing keys."""

from __future__ import annotations

from django.db import models

from fapiao.domain.kinds import ChannelType, DeviceKind, InvoiceKind
from fapiao.domain.periods import Cycle
from fapiao.domain.rates import TaxpayerKind
from fapiao.invoicing.models.fields import MONEY, choices_of, new_secret


class Taxpayer(models.Model):
    name = models.CharField("名称", max_length=100)
    tax_id = models.CharField("统一社会信用代码", max_length=20, unique=True)
    address = models.CharField("地址", max_length=100, blank=True)
    phone = models.CharField("电话", max_length=40, blank=True)
    bank = models.CharField("开户行", max_length=70, blank=True)
    account = models.CharField("银行账号", max_length=30, blank=True)
    kind = models.CharField("纳税人类型", max_length=10, choices=choices_of(TaxpayerKind))
    cycle = models.CharField(
        "申报周期", max_length=10, choices=choices_of(Cycle), default=Cycle.MONTHLY
    )
    region = models.CharField("地区代码", max_length=4)
    secret = models.BinaryField("校验码密钥", default=new_secret, editable=False)
    ledger_sequence = models.PositiveBigIntegerField(default=0, editable=False)
    ledger_head = models.CharField(max_length=64, default="0" * 64, editable=False)
    signing_key = models.ForeignKey(
        "SigningKey", null=True, on_delete=models.PROTECT, related_name="+", editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)
    #: 开票申请: which drafts need an approver (domain.approval), read with the taxpayer
    approval_mode = models.CharField("开票审批", max_length=5, default="off")
    approval_over = models.DecimalField("审批金额", null=True, blank=True, **MONEY)
    approval_kinds = models.JSONField("需审批的种类", default=list, blank=True)

    def __str__(self) -> str:
        return f"{self.name}（{self.tax_id}）"


class Channel(models.Model):
    """A tax-control device or a 数电 channel of one taxpayer."""

    taxpayer = models.ForeignKey(Taxpayer, on_delete=models.PROTECT, related_name="channels")
    type = models.CharField(max_length=10, choices=choices_of(ChannelType))
    name = models.CharField(max_length=60)
    device_number = models.CharField("设备编号", max_length=12, blank=True)
    device_kind = models.CharField(
        "设备类型", max_length=10, choices=choices_of(DeviceKind), blank=True
    )
    reported_through = models.DateField("已抄报至", null=True, blank=True)
    channel_digit = models.CharField("渠道代码", max_length=1, default="0")
    monthly_credit = models.DecimalField("月授信额度", null=True, blank=True, **MONEY)
    # 离线正数累计金额: the positive amount of this channel's invoices waiting for upload, kept
    # by the outbox as rows are written and answered (so the offline check reads one row)
    waiting_amount = models.DecimalField(default=0, **MONEY)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["taxpayer", "name"], name="channel_name_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class CreditUse(models.Model):
    """The net amount (excluding tax) a 数电 channel issued in one month, kept by issuing, so
    that the credit check reads one row instead of summing the month's invoices."""

    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, related_name="credit_uses")
    month = models.DateField()  # its first day
    used = models.DecimalField(default=0, **MONEY)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["channel", "month"], name="credit_use_unique"),
        ]


class Monitoring(models.Model):
    """监控数据 of one invoice kind on a device, written back by the authority at each 清卡."""

    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, related_name="monitoring")
    kind = models.CharField(max_length=30, choices=choices_of(InvoiceKind))
    lock_date = models.DateField("开票截止时间")
    single_limit = models.DecimalField("单张发票限额", **MONEY)
    offline_hours = models.PositiveIntegerField("离线开票时长")
    offline_amount = models.DecimalField("离线正数累计金额", **MONEY)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["channel", "kind"], name="monitoring_unique"),
        ]


class StockSegment(models.Model):
    """发票库存: numbers ``first``..``last`` of one code; ``next_number`` is the next to issue."""

    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, related_name="segments")
    kind = models.CharField(max_length=30, choices=choices_of(InvoiceKind))
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


class DigitalBlock(models.Model):
    """A block of 数电 numbers the authority handed to a 数电 channel (赋码): the 15-digit
    sequences ``first``..``last`` after ``prefix`` (year, region, channel digit);
    ``next_number`` is the next to issue. Granted ahead, so that issuing does not ask the
    authority each time and goes on while it cannot be reached."""

    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, related_name="digital_blocks")
    year = models.PositiveSmallIntegerField()
    prefix = models.CharField(max_length=5)
    first = models.PositiveBigIntegerField()
    last = models.PositiveBigIntegerField()
    next_number = models.PositiveBigIntegerField()
    received_from = models.CharField("来源", max_length=100)
    received_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["prefix", "first"], name="digital_block_unique"),
            models.CheckConstraint(
                condition=models.Q(first__lte=models.F("last"))
                & models.Q(next_number__gte=models.F("first"))
                & models.Q(next_number__lte=models.F("last") + 1),
                name="digital_block_bounds",
            ),
        ]
        indexes = [models.Index(fields=["channel", "year", "first"])]


class Counter(models.Model):
    """A gapless running number of one taxpayer: ``series`` names it (``info:<channel>`` for
    信息表 numbers, …). 数电 and 确认单 numbers are the authority's (:class:`DigitalBlock`)."""

    taxpayer = models.ForeignKey(Taxpayer, on_delete=models.PROTECT)
    series = models.CharField(max_length=40)
    next_value = models.PositiveBigIntegerField(default=1)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["taxpayer", "series"], name="counter_unique"),
        ]


class SigningKey(models.Model):
    """A taxpayer's signing key pair; the private half is encrypted under FAPIAO_SECRET_KEY."""

    taxpayer = models.ForeignKey(Taxpayer, on_delete=models.PROTECT, related_name="keys")
    algorithm = models.CharField(max_length=20)
    public_key = models.BinaryField()
    private_key = models.BinaryField()  # nonce + AES-256-GCM ciphertext
    created_at = models.DateTimeField()
    active = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["taxpayer"], condition=models.Q(active=True), name="one_active_key"
            ),
        ]
