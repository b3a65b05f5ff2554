"""A taxpayer's customers and products."""

from __future__ import annotations

from django.db import models

from fapiao.domain.tax import PriceMode
from fapiao.invoicing.models.fields import PRICE, choices_of
from fapiao.invoicing.models.taxpayers import Taxpayer


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
        "单价含税", max_length=10, choices=choices_of(PriceMode), default=PriceMode.EXCLUSIVE
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


class InvoiceTemplate(models.Model):
    """开票模板: what the issuing form starts with (备注, 收款人, 复核人) and which optional
    fields it shows; one of a taxpayer's templates may be the default."""

    taxpayer = models.ForeignKey(Taxpayer, on_delete=models.PROTECT, related_name="templates")
    name = models.CharField("名称", max_length=40)
    remarks = models.CharField("默认备注", max_length=200, blank=True)
    payee = models.CharField("收款人", max_length=20, blank=True)
    reviewer = models.CharField("复核人", max_length=20, blank=True)
    fields = models.JSONField("显示的可选项", default=list)
    default = models.BooleanField("默认模板", default=False)

    class Meta:
        ordering = ["-default", "name"]
        constraints = [
            models.UniqueConstraint(fields=["taxpayer", "name"], name="template_name_unique"),
        ]

    def __str__(self) -> str:
        return self.name
