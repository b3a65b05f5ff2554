"""Sums of a taxpayer's invoices by day, kept by the transactions that issue and void them:
the reports add these few rows up instead of every invoice and line."""

from __future__ import annotations

from django.db import models

from fapiao.invoicing.models.fields import MONEY
from fapiao.invoicing.models.taxpayers import Channel, Taxpayer


class DaySum(models.Model):
    """A day's invoices of one kind, channel, drawer and buyer, blue or red, live or voided:
    how many, and their 金额, 税额 and 价税合计."""

    taxpayer = models.ForeignKey(Taxpayer, on_delete=models.CASCADE, related_name="+",
                                 db_index=False)  # fmt: skip
    day = models.DateField()
    kind = models.CharField(max_length=30)
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="+",
                                db_index=False)  # fmt: skip
    drawer = models.CharField(max_length=20, blank=True)
    buyer_name = models.CharField(max_length=100)
    red = models.BooleanField()
    voided = models.BooleanField()
    n = models.IntegerField(default=0)
    amount = models.DecimalField(**MONEY)
    tax = models.DecimalField(**MONEY)
    total = models.DecimalField(**MONEY)

    class Meta:
        constraints = [
            models.UniqueConstraint(  # (taxpayer, day, …): also the reports' range index
                fields=["taxpayer", "day", "kind", "channel", "drawer", "buyer_name", "red",
                        "voided"],
                name="day_sum_unique",
            ),
        ]  # fmt: skip


class LineSum(models.Model):
    """A day's lines of live invoices at one rate (``dimension`` rate) or of one 税收分类编码
    (``product``): how many invoices carry them, and their 金额 and 税额."""

    taxpayer = models.ForeignKey(Taxpayer, on_delete=models.CASCADE, related_name="+",
                                 db_index=False)  # fmt: skip
    day = models.DateField()
    dimension = models.CharField(max_length=8)
    key = models.CharField(max_length=19)
    short_name = models.CharField(max_length=40, blank=True)
    n = models.IntegerField(default=0)
    amount = models.DecimalField(**MONEY)
    tax = models.DecimalField(**MONEY)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["taxpayer", "day", "dimension", "key"],
                                    name="line_sum_unique"),
        ]  # fmt: skip
