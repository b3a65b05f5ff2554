"""Persistence of taxpayers, channels, invoices and the hash-chained event log.

Rows are written only by ``services``; nothing here holds business rules beyond constraints.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models

from fapiao.core.roles import Role
from fapiao.domain.kinds import ChannelType, DeviceKind, InvoiceKind
from fapiao.domain.kinds import RedForm as RedFormType
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
    signing_key = models.ForeignKey(
        "SigningKey", null=True, on_delete=models.PROTECT, related_name="+", editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.name}（{self.tax_id}）"


class Channel(models.Model):
    """A tax-control device or a 数电 channel of one taxpayer."""

    taxpayer = models.ForeignKey(Taxpayer, on_delete=models.PROTECT, related_name="channels")
    type = models.CharField(max_length=10, choices=_choices(ChannelType))
    name = models.CharField(max_length=60)
    device_number = models.CharField("设备编号", max_length=12, blank=True)
    device_kind = models.CharField(
        "设备类型", max_length=10, choices=_choices(DeviceKind), blank=True
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
    kind = models.CharField(max_length=30, choices=_choices(InvoiceKind))
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


class Membership(models.Model):
    """A user's role at a taxpayer; the authority role belongs to no taxpayer."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    taxpayer = models.ForeignKey(
        Taxpayer, null=True, blank=True, on_delete=models.CASCADE, related_name="members"
    )
    role = models.CharField(max_length=10, choices=Role.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "taxpayer", "role"], name="membership_unique"),
            models.UniqueConstraint(
                fields=["user"],
                condition=models.Q(taxpayer__isnull=True),
                name="authority_unique",
            ),
            models.CheckConstraint(
                condition=models.Q(role="authority", taxpayer__isnull=True)
                | (~models.Q(role="authority") & models.Q(taxpayer__isnull=False)),
                name="authority_outside_taxpayers",
            ),
        ]


class Invitation(models.Model):
    """A taxpayer's 管理员 asking an existing user to take a role there: the user joins only by
    accepting it (from 个人设置), before ``expires_at``."""

    taxpayer = models.ForeignKey(Taxpayer, on_delete=models.CASCADE, related_name="invitations")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="invitations"
    )
    role = models.CharField(max_length=10, choices=Role.choices)
    invited_by = models.CharField(max_length=150)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)
    accepted = models.BooleanField(null=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["taxpayer", "user", "role"], condition=models.Q(answered_at__isnull=True),
                name="one_open_invitation",
            ),
        ]  # fmt: skip


class Customer(models.Model):
    """A buyer the taxpayer invoices again and again."""

    taxpayer = models.ForeignKey(Taxpayer, on_delete=models.PROTECT, related_name="customers")
    name = models.CharField("名称", max_length=100)
    tax_id = models.CharField("纳税人识别号", max_length=20, blank=True)
    address = models.CharField("地址", max_length=100, blank=True)
    phone = models.CharField("电话", max_length=40, blank=True)
    bank = models.CharField("开户行", max_length=70, blank=True)
    account = models.CharField("银行账号", max_length=30, blank=True)
    email = models.EmailField("电子邮箱", blank=True)
    mobile = models.CharField("手机号", max_length=20, blank=True)
    individual = models.BooleanField("自然人", default=False)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["taxpayer", "name"], name="customer_name_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class Product(models.Model):
    """A good or service with its 税收分类编码, 简称, rate, unit and spec."""

    taxpayer = models.ForeignKey(Taxpayer, on_delete=models.PROTECT, related_name="products")
    name = models.CharField("名称", max_length=100)
    tax_code = models.CharField("税收分类编码", max_length=19)
    short_name = models.CharField("简称", max_length=40)
    rate = models.CharField("税率", max_length=12)
    spec = models.CharField("规格型号", max_length=40, blank=True)
    unit = models.CharField("单位", max_length=20, blank=True)
    unit_price = models.DecimalField("单价", null=True, blank=True, **PRICE)
    price_mode = models.CharField(
        "单价含税", max_length=10, choices=_choices(PriceMode), default=PriceMode.EXCLUSIVE
    )

    class Meta:
        ordering = ["name", "spec"]
        constraints = [
            models.UniqueConstraint(
                fields=["taxpayer", "name", "spec"], name="product_name_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"*{self.short_name}*{self.name}"


class Invoice(models.Model):
    # no index of its own on taxpayer or key: (taxpayer, issued_on) serves the taxpayer's
    # lookups, and each index costs every issue a write
    taxpayer = models.ForeignKey(
        Taxpayer, on_delete=models.PROTECT, related_name="invoices", db_index=False
    )
    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, related_name="invoices")
    kind = models.CharField(max_length=30, choices=_choices(InvoiceKind))
    code = models.CharField("发票代码", max_length=12, blank=True)
    number = models.CharField("发票号码", max_length=20)
    issued_at = models.DateTimeField("开票时间")
    issued_on = models.DateField("开票日期")
    status = models.CharField(max_length=20, choices=_choices(Status), default=Status.ISSUED)
    red = models.BooleanField(default=False)
    blue = models.ForeignKey(  # indexed where set (see Meta): most invoices are blue
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reds",
        db_index=False,
    )  # fmt: skip
    mode = models.CharField(max_length=10, choices=_choices(PriceMode))
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
    type = models.CharField(max_length=20, choices=_choices(RedFormType))
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
