"""扫码开票: an order whose lines the seller fixed, opened by its buyer from a link or QR code."""

from __future__ import annotations

from django.db import models

from fapiao.invoicing.models.fields import MONEY


class Order(models.Model):
    """One order, one invoice: the buyer fills the 抬头 and gets the invoice issued and mailed.
    The link's token is stored only as its hash (shown once, made again on request)."""

    taxpayer = models.ForeignKey("invoicing.Taxpayer", on_delete=models.PROTECT, related_name="+")
    channel = models.ForeignKey("invoicing.Channel", on_delete=models.PROTECT, related_name="+")
    order_no = models.CharField(max_length=64)
    token_hash = models.CharField(max_length=64, unique=True)
    kinds = models.JSONField(default=list)  # the kinds the buyer may choose
    mode = models.CharField(max_length=10, default="inclusive")
    lines = models.JSONField()  # the draft's lines, as the single issue reads them
    remarks = models.CharField(max_length=200, blank=True)
    amount = models.DecimalField(**MONEY)
    tax = models.DecimalField(**MONEY)
    total = models.DecimalField(**MONEY)
    status = models.CharField(max_length=10, default="open")  # open, issued, cancelled
    expires_at = models.DateTimeField()
    created_by = models.CharField(max_length=150)
    created_at = models.DateTimeField()
    invoice = models.OneToOneField(
        "invoicing.Invoice", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    buyer_email = models.EmailField(blank=True)
    issued_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["taxpayer", "order_no"], name="order_no_once")
        ]
        indexes = [models.Index(fields=["taxpayer", "-created_at"])]

    def __str__(self) -> str:
        return f"订单{self.order_no}"
