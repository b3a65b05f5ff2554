"""Archive packages (归档): one taxpayer's invoices of one month (and kind), with their files,
history, registry check, index, checksums and 四性检测 report, kept until their retention ends."""

from __future__ import annotations

from django.db import models


class ArchivePackage(models.Model):
    taxpayer = models.ForeignKey(
        "invoicing.Taxpayer", on_delete=models.PROTECT, related_name="archive_packages"
    )
    month = models.DateField()  # the first day of the month archived
    kind = models.CharField(max_length=30, blank=True)  # "" every kind
    name = models.CharField(max_length=120)  # the package's 档号
    path = models.CharField(max_length=500)
    size = models.PositiveBigIntegerField(default=0)
    sha256 = models.CharField(max_length=64)
    invoices = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField()
    created_by = models.CharField(max_length=150)
    checked_ok = models.BooleanField(default=False)
    report = models.JSONField(default=dict)  # the 四性检测 report
    retain_until = models.DateField()  # nothing deletes it before

    class Meta:
        ordering = ["-month", "-created_at"]
