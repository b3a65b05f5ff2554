"""Download links: a buyer fetches the invoice's files with an unguessable token, no account."""

from __future__ import annotations

from django.db import models

from fapiao.invoicing.models import Invoice


class DownloadLink(models.Model):
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="links")
    token_hash = models.CharField(max_length=64, unique=True)  # SHA-256 of the token
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    created_by = models.CharField(max_length=150)
    downloads = models.PositiveIntegerField(default=0)


class Paper(models.TextChoices):
    """What a printer is loaded with: the invoice's own size (pre-printed forms, or paper cut to
    the invoice), or a plain A4 or A5 sheet the invoice is printed at the top of."""

    INVOICE = "invoice", "按发票票面大小"
    A4 = "a4", "A4（210×297毫米）"
    A5 = "a5", "A5横向（210×148毫米）"


class Printer(models.Model):
    """A printer of a taxpayer, with how far its paper feed is off: printing on pre-printed
    paper forms shifts the whole invoice by ``offset_right`` / ``offset_down`` millimetres."""

    taxpayer = models.ForeignKey(
        "invoicing.Taxpayer", on_delete=models.CASCADE, related_name="printers"
    )
    name = models.CharField("名称", max_length=60)
    offset_right = models.DecimalField("右移（毫米）", max_digits=4, decimal_places=1, default=0)
    offset_down = models.DecimalField("下移（毫米）", max_digits=4, decimal_places=1, default=0)
    paper = models.CharField("纸张", max_length=10, choices=Paper.choices, default=Paper.INVOICE)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["taxpayer", "name"], name="printer_name_unique")
        ]

    def __str__(self) -> str:
        return self.name
